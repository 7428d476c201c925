package dev.rabbithole.stage1.daemon;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/** The daemon's end of a container's stdin: before the start, StdinOnce, runs after a restart. */
class ContainerStdinTest {

    /** A process stdin that records what it got and whether it was closed. */
    static final class Sink extends ByteArrayOutputStream {
        boolean closed;

        @Override
        public void close() {
            closed = true;
        }

        String text() {
            return toString(StandardCharsets.UTF_8);
        }
    }

    @Test
    void inputBeforeTheStartIsKeptAndItsEndClosesTheStdinAtTheStart() throws Exception {
        ContainerStdin stdin = new ContainerStdin();
        ContainerInput client = stdin.input(true, false);
        client.write("early\n".getBytes(StandardCharsets.UTF_8));
        assertThat(client.end()).isTrue();                   // StdinOnce without a TTY: the stdin is closed
        Sink process = new Sink();
        stdin.connect(process);
        assertThat(process.text()).isEqualTo("early\n");
        assertThat(process.closed).isTrue();
    }

    @Test
    void withoutStdinOnceOrWithATtyTheEndOfInputEndsOnlyTheAttachment() throws Exception {
        ContainerStdin stdin = new ContainerStdin();
        Sink process = new Sink();
        stdin.connect(process);
        ContainerInput plain = stdin.input(false, false);
        plain.write("a".getBytes(StandardCharsets.UTF_8));
        assertThat(plain.end()).isFalse();
        assertThat(stdin.input(true, true).end()).isFalse();
        assertThat(process.closed).isFalse();
        assertThat(process.text()).isEqualTo("a");
    }

    @Test
    void aClientOfAnEarlierRunNeitherWritesToNorClosesTheNextOne() throws Exception {
        ContainerStdin stdin = new ContainerStdin();
        Sink first = new Sink();
        stdin.connect(first);
        ContainerInput stale = stdin.input(true, false);
        stdin.disconnect();                                   // the first run exited
        ContainerInput next = stdin.input(true, false);       // docker start -a -i: attached before the start
        next.write("second\n".getBytes(StandardCharsets.UTF_8));
        stale.write("stale\n".getBytes(StandardCharsets.UTF_8));
        stale.end();                                          // its connection closes late
        Sink second = new Sink();
        stdin.connect(second);
        assertThat(second.text()).isEqualTo("second\n");
        assertThat(second.closed).isFalse();
        assertThat(first.text()).isEmpty();
    }
}
