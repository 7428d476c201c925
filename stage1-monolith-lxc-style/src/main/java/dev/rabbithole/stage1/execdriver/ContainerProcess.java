package dev.rabbithole.stage1.execdriver;

import java.io.InputStream;

/** A container started by an exec driver: its output, its signals, its exit. */
public interface ContainerProcess {

    /**
     * @return the host pid of the container's pid 1, what Docker reports as State.Pid: its namespaces are the
     *         container's (LXC: LXC's init, the workload's parent; native: the workload, or tini with --init)
     */
    long pid();

    /** @return the workload's stdout, closed when the container exits */
    InputStream stdout();

    /** @return the workload's stderr, closed when the container exits */
    InputStream stderr();

    /**
     * Delivers a signal to the workload, as {@code kill(2)}. A container that is already gone is success.
     *
     * @param signal signal number, e.g. 15 for SIGTERM, 9 for SIGKILL
     */
    void signal(int signal);

    /**
     * Waits for the container to exit and for its resources (cgroups, mounts the driver made) to be released.
     *
     * @return the exit code as Docker reports it: the workload's status, or 128 + signal number
     */
    int waitFor() throws InterruptedException;

    /**
     * Whether the kernel's OOM killer killed a process of the container (its memory cgroup's {@code oom_kill}
     * counter: cgroup v1 {@code memory.oom_control}, v2 {@code memory.events}), as Docker's State.OOMKilled.
     * Meaningful once {@link #waitFor()} has returned; drivers that cannot tell say false.
     *
     * @return true if at least one OOM kill happened in the container's memory cgroup
     */
    default boolean oomKilled() {
        return false;
    }

    /**
     * The process's standard input, when it was started with {@link Command.Stdio#openStdin()}: bytes written
     * here reach the process (through its pipe or terminal); closing it is the end of input ({@code StdinOnce},
     * Engine API {@code POST /containers/{id}/attach?stdin=1}).
     *
     * @return the stream, or null when the process has no open stdin or the runtime cannot give one
     */
    default java.io.OutputStream stdin() {
        return null;
    }

    /**
     * Sets the size of the process's terminal (TIOCSWINSZ), when it has one (Engine API
     * {@code POST /containers/{id}/resize}).
     *
     * @param columns width in character cells
     * @param rows    height in character cells
     * @throws UnsupportedOperationException when the process has no terminal or the runtime cannot resize it
     */
    default void resize(int columns, int rows) {
        throw new UnsupportedOperationException("the container has no terminal");
    }
}
