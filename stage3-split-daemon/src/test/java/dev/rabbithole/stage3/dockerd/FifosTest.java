package dev.rabbithole.stage3.dockerd;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.FileOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

/**
 * The stdio FIFOs as the shim and dockerd share them: a reader that opens before any writer, the end of the
 * stream when the writer closes, and a daemon that detaches (live restore) leaving what it has not taken in the
 * FIFO for the next reader.
 */
class FifosTest {

    @TempDir
    Path dir;

    @AfterEach
    void attach() {
        Fifos.attachAgain();
    }

    @Test
    void aReaderOpensBeforeTheWriterAndEndsWhenTheWriterCloses() throws Exception {
        Path fifo = dir.resolve("init-stdout");
        Fifos.make(fifo);
        try (Fifos.Reader reader = new Fifos.Reader(fifo, () -> false)) {  // does not block: no writer yet
            try (OutputStream shim = new FileOutputStream(fifo.toFile())) {  // the shim's open finds a reader
                shim.write("line 0\n".getBytes(StandardCharsets.UTF_8));
                byte[] buf = new byte[64];
                int n = reader.read(buf, 0, buf.length);
                assertThat(new String(buf, 0, n, StandardCharsets.UTF_8)).isEqualTo("line 0\n");
                shim.write("line 1\n".getBytes(StandardCharsets.UTF_8));
            }
            assertThat(new String(reader.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("line 1\n");
        }
    }

    @Test
    void aReaderWhoseTaskExitedWithoutAWriterEnds() throws Exception {
        Path fifo = dir.resolve("init-stderr");
        Fifos.make(fifo);
        try (Fifos.Reader reader = new Fifos.Reader(fifo, () -> true)) {
            assertThat(CompletableFuture.supplyAsync(() -> {
                try {
                    return reader.read(new byte[8], 0, 8);
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }).get(5, TimeUnit.SECONDS)).isEqualTo(-1);
        }
    }

    @Test
    void aDetachedReaderLeavesWhatItHasNotTakenForTheNextOne() throws Exception {
        Path fifo = dir.resolve("init-stdout");
        Fifos.make(fifo);
        Fifos.Reader first = new Fifos.Reader(fifo, () -> false);
        try (OutputStream shim = new FileOutputStream(fifo.toFile())) {
            shim.write("taken\n".getBytes(StandardCharsets.UTF_8));
            byte[] buf = new byte[64];
            int n = first.read(buf, 0, buf.length);
            assertThat(new String(buf, 0, n, StandardCharsets.UTF_8)).isEqualTo("taken\n");
            CompletableFuture<Void> detached = CompletableFuture.runAsync(() -> Fifos.detach(5000));
            // detach waits for the taken chunk to be handed on (the caller coming back for more)
            org.awaitility.Awaitility.await().during(Duration.ofMillis(100)).atMost(Duration.ofSeconds(2))
                    .until(() -> !detached.isDone());
            shim.write("kept\n".getBytes(StandardCharsets.UTF_8));
            assertThat(first.read(buf, 0, buf.length)).as("the caller is back: detached, nothing taken").isEqualTo(-1);
            detached.get(5, TimeUnit.SECONDS);
            first.close();

            Fifos.attachAgain();                        // the next daemon
            try (Fifos.Reader second = new Fifos.Reader(fifo, () -> false)) {
                n = second.read(buf, 0, buf.length);
                assertThat(new String(buf, 0, n, StandardCharsets.UTF_8)).isEqualTo("kept\n");
            }
        }
    }

    @Test
    void closingAWriterNobodyOpenedReturnsAndRunsItsAction() {
        Path fifo = dir.resolve("init-stdin");
        Fifos.make(fifo);
        AtomicBoolean closed = new AtomicBoolean();
        Fifos.Writer stdin = new Fifos.Writer(fifo, () -> closed.set(true));
        assertThatCode(() -> CompletableFuture.runAsync(() -> {
            try {
                stdin.close();
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }).get(Duration.ofSeconds(5).toMillis(), TimeUnit.MILLISECONDS)).doesNotThrowAnyException();
        assertThat(closed).isTrue();
    }
}
