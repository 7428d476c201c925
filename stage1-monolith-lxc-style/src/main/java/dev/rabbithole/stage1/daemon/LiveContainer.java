package dev.rabbithole.stage1.daemon;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rabbithole.stage1.execdriver.ContainerProcess;

import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;

/**
 * A container as the daemon holds it: the persisted snapshot and what lives only while the daemon runs (its
 * log, its process, the futures its waiters hold). Guarded by its own monitor: lock it to read and change
 * {@code c}, {@code process}, {@code nextExit} and {@code removing} together.
 */
final class LiveContainer {
    volatile Container c;
    final ContainerLog log;
    ContainerProcess process;
    CompletableFuture<Integer> nextExit = new CompletableFuture<>();
    final CompletableFuture<Integer> removed = new CompletableFuture<>();
    boolean removing;
    /** A restart's stop is under way: its exit does not remove an AutoRemove container. */
    boolean keepOnExit;
    /** {@code docker cp} calls in flight that hold the rootfs mounted (see ContainerArchives); guarded by this. */
    int copies;
    /** The daemon's end of its stdin (Config.OpenStdin): attached clients write here. */
    final ContainerStdin stdin = new ContainerStdin();

    LiveContainer(Container c, ObjectMapper json) {
        this.c = c;
        this.log = new ContainerLog(Path.of(c.logPath()), json);
    }

    /** The restart policy at work since the last start by a user; made on first use. */
    private RestartManager restartManager;
    /** The policy's restart waiting for its back-off delay while the state says restarting, else null. */
    java.util.concurrent.Future<?> pendingRestart;

    /** @return running, or restarting (Docker counts both as running) */
    boolean running() { return c.state().running(); }

    /** @return the restart policy waits to start it again: there is no process */
    boolean restarting() { return c.state().restarting(); }

    /** @return the restart manager of this run of starts (caller holds the lock) */
    RestartManager restarts() {
        if (restartManager == null) {
            restartManager = new RestartManager(c.hostConfig().restartPolicy(), c.restartCount());
        }
        return restartManager;
    }

    /** A user's start: a fresh restart manager (moby's {@code ResetRestartManager}); caller holds the lock. */
    void resetRestarts() {
        if (restartManager != null) {
            restartManager.cancel();
        }
        restartManager = null;
    }
}
