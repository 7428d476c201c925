package dev.rabbithole.stage1.execdriver;

import java.io.InputStream;

/** A container started by an exec driver: its output, its signals, its exit. */
public interface ContainerProcess {

    /** @return the host pid of the process the driver started (for LXC: {@code lxc-execute}) */
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
}
