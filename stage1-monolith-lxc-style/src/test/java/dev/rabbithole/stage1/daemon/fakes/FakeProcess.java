package dev.rabbithole.stage1.daemon.fakes;

import dev.rabbithole.stage1.execdriver.ContainerProcess;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A scripted container process: the test (or the driver's script) writes its output and decides its exit.
 * SIGKILL always ends it with 137; other signals end it with 128 + signal unless {@code ignoring} them.
 */
public final class FakeProcess implements ContainerProcess {
    private static final AtomicLong PIDS = new AtomicLong(40000);

    private final long pid = PIDS.incrementAndGet();
    private final QueueInputStream out = new QueueInputStream();
    private final QueueInputStream err = new QueueInputStream();
    private final CompletableFuture<Integer> exit = new CompletableFuture<>();
    public final List<Integer> signals = new CopyOnWriteArrayList<>();
    public volatile boolean ignoreTerm;
    /** How long the process takes to die of a signal, milliseconds (0: at once, in {@link #signal}). */
    public volatile long dyingMillis;

    public FakeProcess stdout(String s) { out.push(s.getBytes(StandardCharsets.UTF_8)); return this; }

    public FakeProcess stderr(String s) { err.push(s.getBytes(StandardCharsets.UTF_8)); return this; }

    /** Closes both streams and exits with the code. */
    public synchronized void exit(int code) {
        if (!exit.isDone()) {
            out.end();
            err.end();
            exit.complete(code);
        }
    }

    public boolean exited() { return exit.isDone(); }

    @Override public long pid() { return pid; }
    @Override public InputStream stdout() { return out; }
    @Override public InputStream stderr() { return err; }

    @Override
    public void signal(int signal) {
        signals.add(signal);
        if (signal == 9 || (signal == 15 && !ignoreTerm) || (signal != 15 && signal != 28 && signal != 17)) {
            long delay = dyingMillis;
            if (delay <= 0) {
                exit(128 + signal);
            } else {
                CompletableFuture.delayedExecutor(delay, java.util.concurrent.TimeUnit.MILLISECONDS)
                        .execute(() -> exit(128 + signal));
            }
        }
    }

    @Override
    public int waitFor() throws InterruptedException {
        try {
            return exit.get();
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException(e);
        }
    }
}
