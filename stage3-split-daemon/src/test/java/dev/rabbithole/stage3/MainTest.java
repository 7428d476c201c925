package dev.rabbithole.stage3;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class MainTest {

    @Test
    void helpListsTheFourProgramsAsNotYetWritten() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int rc = Main.run(new String[] {"--help"}, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        assertThat(rc).isZero();
        String help = out.toString(StandardCharsets.UTF_8);
        assertThat(help).containsPattern("(?m)^  containerd +containerd's gRPC API");
        assertThat(help).containsPattern("(?m)^  dockerd +the Engine API");
        for (String program : new String[] {"shim", "runc"}) {
            assertThat(help).containsPattern("(?m)^  " + program + " +not yet: ");
        }
    }

    @Test
    void aProgramNotWrittenYetOrUnknownIsAUsageError() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8);
        assertThat(Main.run(new String[] {"shim"}, System.out, e)).isEqualTo(2);
        assertThat(Main.run(new String[] {"containerd", "--frob"}, System.out, e)).isEqualTo(2);
        assertThat(Main.run(new String[] {"frob"}, System.out, e)).isEqualTo(2);
        assertThat(Main.run(new String[] {"dockerd", "--frob"}, System.out, e)).isEqualTo(2);
        assertThat(Main.run(new String[] {"tree"}, System.out, e)).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("Unknown option: '--frob'")
                .contains("tree: which container?").contains("shim is not written yet").contains("containerd: unknown argument: --frob").contains("unknown program: frob");
    }
}
