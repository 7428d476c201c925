package dev.rabbithole.stage2.libcontainer.container;

import java.util.concurrent.TimeUnit;

/**
 * A process started inside a running container by {@link LinuxContainer#exec}: the exec JVM after its execve,
 * so one pid all along. It is this JVM's child (its parent is a thread of this process), so {@link #waitFor}
 * returns its exit status; after this JVM exits it is reparented to the nearest subreaper (a shim), which
 * reaps it with waitpid(2).
 *
 * @param process          the child: its streams are the process's stdio when the exec asked for pipes;
 *                         {@link Process#pid()} is the host pid
 * @param pidInContainer   its pid in the container's pid namespace (what {@code echo $$} prints inside)
 * @param startMicros      microseconds from the call of {@code exec} to the execve (the control socket's end)
 * @param steps            microseconds from the call of {@code exec} to each step ({@code spawned},
 *                         {@code connected}, {@code ready (joined, set up)}, {@code exec'd (socket closed)}), in order
 */
public record ExecProcess(Process process, int pidInContainer, long startMicros, java.util.Map<String, Long> steps) {
    /** @return the host pid (the pid-file's content for {@code runc exec --pid-file}) */
    public long pid() {
        return process.pid();
    }

    /**
     * Waits for the process to exit.
     *
     * @return its status: the value it passed to exit(2), or 128 + the number of the signal that killed it
     * @throws InterruptedException when interrupted
     */
    public int waitFor() throws InterruptedException {
        return process.waitFor();
    }

    /**
     * @param timeout how long, in {@code unit}s
     * @param unit    the unit
     * @return whether it exited in time
     * @throws InterruptedException when interrupted
     */
    public boolean waitFor(long timeout, TimeUnit unit) throws InterruptedException {
        return process.waitFor(timeout, unit);
    }
}
