package dev.rabbithole.stage2.libcontainer.container;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The runtime-spec's {@code start} (runc's {@code exec}): refresh, guard (only a {@link Status#CREATED}
 * container), act (one byte into the start gate, the gate removed, then wait for the init's execve), persist
 * ({@link Status#RUNNING}). Works from any process: the one that created the container waits on the init's
 * socket, another one watches {@code /proc/PID/cmdline} change from the init JVM's to the workload's.
 */
final class ContainerStart {
    private ContainerStart() { }

    static void run(LinuxContainer c) throws ContainerException {
        Status now = c.state().status();
        if (now != Status.CREATED) {
            throw new ContainerException(ContainerException.Kind.INCORRECT_STATUS,
                    "container " + c.id() + " cannot be started: it is " + now);
        }
        try {
            openGate(c);
            InitProcess init = c.initProcess();
            if (init != null) {
                init.awaitExec();
            } else {
                c.awaitWorkloadExec();
            }
            c.lowerLimits();
            c.reached(Status.RUNNING);
        } catch (ContainerException e) {
            c.failed();
            throw e;
        } catch (IOException | RuntimeException e) {
            c.failed();
            throw new ContainerException("start " + c.id() + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            c.failed();
            throw new ContainerException("start " + c.id() + ": interrupted", e);
        }
    }

    /**
     * Writes the byte the init waits for. Opening a FIFO for writing blocks until it has a reader: the init
     * holds one while it waits; one that died meanwhile leaves none, so the open runs with a timeout and a
     * reader of our own then unblocks it.
     */
    private static void openGate(LinuxContainer c) throws ContainerException, IOException, InterruptedException {
        Path fifo = c.execFifo();
        CompletableFuture<Void> write = CompletableFuture.runAsync(() -> {
            try (FileChannel w = FileChannel.open(fifo, StandardOpenOption.WRITE)) {
                w.write(ByteBuffer.wrap(new byte[] {1}));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        try {
            write.get(c.options().startTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            try (FileChannel unblock = FileChannel.open(fifo, StandardOpenOption.READ)) {
                // nobody reads the gate: the init is gone
            }
            throw ContainerException.initFailed("the init does not wait at the start gate", null, 0);
        } catch (ExecutionException e) {
            throw new IOException("start gate " + fifo + ": " + e.getCause().getMessage(), e.getCause());
        }
        Files.deleteIfExists(fifo); // from now on the status is running
        c.report().mark("start gate opened");
    }
}
