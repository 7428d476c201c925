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
    /** {@code docker cp} calls in flight that hold the rootfs mounted (see ContainerArchives); guarded by this. */
    int copies;
    /** The daemon's end of its stdin (Config.OpenStdin): attached clients write here. */
    final ContainerStdin stdin = new ContainerStdin();

    LiveContainer(Container c, ObjectMapper json) {
        this.c = c;
        this.log = new ContainerLog(Path.of(c.logPath()), json);
    }

    boolean running() { return c.state().running(); }
}
