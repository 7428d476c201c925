package dev.rabbithole.stage1.daemon;

import dev.rabbithole.stage1.errdefs.ConflictException;
import dev.rabbithole.stage1.errdefs.EngineException;
import dev.rabbithole.stage1.errdefs.NotFoundException;
import dev.rabbithole.stage1.errdefs.SystemException;
import dev.rabbithole.stage1.execdriver.ContainerProcess;
import dev.rabbithole.stage1.image.Image;
import dev.rabbithole.stage1.image.ImageStore;
import dev.rabbithole.stage1.storage.StorageDriver;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The daemon's side of running containers, as moby's {@code daemon/start.go}, {@code monitor.go},
 * {@code kill.go}, {@code stop.go}, {@code delete.go} and {@code restore}: start (mount the rootfs, ask the
 * {@link ContainerRuntime}, pump the output into the log), the exit events (record the exit, unmount, wake
 * waiters, AutoRemove), signals (kill, stop), wait, remove, restore at the daemon's start and shutdown.
 * Each operation: find the container in the {@link ContainerStore}, guard under its lock, act, persist.
 */
final class ContainerLifecycle {

    private static final long KILL_WAIT_SECONDS = 30;

    private final ContainerStore store;
    private final ContainerRuntime runtime;
    private final ContainerConfigs configs;
    private final ImageStore images;
    private final StorageDriver storage;
    private final Events events;
    private final dev.rabbithole.stage1.network.NetworkController networks;
    /** Set by a {@link ContainerRuntime#liveRestore()} shutdown: exits seen from now on are not recorded. */
    private volatile boolean detached;
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "daemon-worker");
        t.setDaemon(true);
        return t;
    });

    ContainerLifecycle(ContainerStore store, ContainerRuntime runtime, ContainerConfigs configs, ImageStore images,
                       StorageDriver storage, Events events,
                       dev.rabbithole.stage1.network.NetworkController networks) {
        this.events = events;
        this.networks = networks;
        this.store = store;
        this.runtime = runtime;
        this.configs = configs;
        this.images = images;
        this.storage = storage;
    }

    // ---------------------------------------------------------------- start and the exit monitor

    /**
     * Starts a container: {@code POST /containers/{id}/start}. Mounts its rootfs through the storage driver,
     * starts it through the exec driver and pumps its output into the log and to attached clients; a
     * monitor thread records the exit, unmounts, ends attached streams and, with AutoRemove, removes it.
     *
     * @param ref name, ID or unique ID prefix
     * @return false if it was already running (the API's 304), true if this call started it
     * @throws NotFoundException no such container
     * @throws ConflictException the container is being removed
     * @throws EngineException   the storage or exec driver failed; the container keeps its status (Docker's),
     *                           with the error and the exit code of {@link StartFailure#exitCode} (127, 126 or
     *                           {@value Daemon#START_FAILED_EXIT_CODE}), and is removed if AutoRemove
     */
    boolean start(String ref) {
        LiveContainer l = store.get(ref);
        synchronized (l) {
            if (l.removing) {
                throw new ConflictException("Container " + l.c.id() + " is marked for removal and cannot be started");
            }
            if (l.running()) {
                return false;
            }
            Container c = l.c;
            ContainerProcess process;
            try {
                Image image = images.resolve(c.imageId());
                Path rootfs = storage.mount(c.id(), images.layerDirs(image));
                process = runtime.start(networks.attach(c, configs.command(c, rootfs, runtime.stateDir(c.id()))));
            } catch (RuntimeException e) {
                EngineException error = e instanceof EngineException ee ? ee
                        : new SystemException("starting container " + c.id() + ": " + e, e);
                EngineLog.warn("container " + c.shortId() + " failed to start: " + error.getMessage());
                quietly(() -> storage.unmount(c.id()));
                quietly(() -> networks.detach(c.id()));        // no address, veth or rule of a failed start
                exited(l, StartFailure.exitCode(error.getMessage(), c.path()), error.getMessage());
                throw error;
            }
            l.c = c.withState(c.state().toRunning(process.pid(), Instant.now().toString()));
            store.persist(l.c);
            EngineLog.info("container " + c.shortId() + " started, pid " + process.pid());
            watch(l, process);
            events.container(l.c, "start", java.util.Map.of());
        }
        return true;
    }

    /** Follows a running process (caller holds l): pumps its output into the log, and a monitor its exit. */
    private void watch(LiveContainer l, ContainerProcess process) {
        l.process = process;
        if (l.c.config().openStdin()) {
            l.stdin.connect(process.stdin());
        }
        CompletableFuture<Void> out = pump(l, StreamType.STDOUT, process.stdout());
        CompletableFuture<Void> err = pump(l, StreamType.STDERR, process.stderr());
        threads.execute(() -> monitor(l, process, out, err));
    }

    private CompletableFuture<Void> pump(LiveContainer l, StreamType stream, InputStream in) {
        if (in == null) {
            return CompletableFuture.completedFuture(null);   // no such stream (stderr of a TTY container)
        }
        return CompletableFuture.runAsync(() -> {
            byte[] buf = new byte[32 * 1024];
            try (in) {
                int n;
                while ((n = in.read(buf)) > 0) {
                    l.log.write(stream, buf, n);
                }
            } catch (IOException e) {
                EngineLog.debug("container " + l.c.shortId() + " " + stream.logName() + " closed: " + e.getMessage());
            }
        }, threads);
    }

    private void monitor(LiveContainer l, ContainerProcess process, CompletableFuture<Void> out, CompletableFuture<Void> err) {
        int code;
        try {
            code = process.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            code = Daemon.DAEMON_DIED_EXIT_CODE;
        } catch (RuntimeException e) {
            EngineLog.warn("container " + l.c.shortId() + ": waiting for the exec driver failed: " + e);
            code = Daemon.DAEMON_DIED_EXIT_CODE;
        }
        try {
            // all output first: the streams end when the workload's last writer exits; a stray grandchild
            // holding a pipe open must not keep the container "running" forever
            CompletableFuture.allOf(out, err).get(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            EngineLog.warn("container " + l.c.shortId() + ": output still open after exit, not waiting for it");
        }
        l.log.flushPartial();
        exited(l, code, "", process.oomKilled());
    }

    /** Records a failed start: the status stays (Docker's {@code Created}), with the error and its exit code. */
    private void exited(LiveContainer l, int code, String error) {
        exited(l, code, s -> s.withStartError(code, error), false);
    }

    private void exited(LiveContainer l, int code, String error, boolean oomKilled) {
        if (oomKilled) {
            events.container(l.c, "oom", java.util.Map.of());
        }
        exited(l, code, s -> s.toExited(code, error, Instant.now().toString()).withOomKilled(oomKilled), true);
    }

    /** Records an exit (or a failed start), releases the rootfs, ends attached streams and wakes waiters. */
    private void exited(LiveContainer l, int code, java.util.function.UnaryOperator<ContainerState> next,
                        boolean died) {
        if (detached) {
            return;                     // live restore: the container runs on; the next daemon restores it
        }
        boolean autoRemove;
        synchronized (l) {
            Container c = l.c;
            l.process = null;
            l.stdin.disconnect();
            l.c = c.withState(next.apply(c.state()));
            store.persist(l.c);
            if (died) {
                events.container(l.c, "die", java.util.Map.of("exitCode", Integer.toString(code)));
            }
            quietly(() -> storage.unmount(c.id()));
            quietly(() -> networks.detach(c.id()));
            l.log.end();
            CompletableFuture<Integer> done = l.nextExit;
            l.nextExit = new CompletableFuture<>();
            done.complete(code);
            autoRemove = c.hostConfig().autoRemove();
            EngineLog.info("container " + c.shortId() + " exited with " + code);
        }
        if (autoRemove) {
            threads.execute(() -> {
                try {
                    removeNow(l);
                } catch (RuntimeException e) {
                    EngineLog.warn("auto-removing container " + l.c.shortId() + ": " + e.getMessage());
                    l.removed.completeExceptionally(e);  // wait?condition=removed answers the error, never hangs
                }
            });
        }
    }

    // ---------------------------------------------------------------- wait, kill, stop

    /**
     * Waits for a container: {@code POST /containers/{id}/wait?condition=} (Engine API 1.41). The container is
     * looked up now; the future completes when the condition is met.
     *
     * @param ref       name, ID or unique ID prefix
     * @param condition not-running (at once if not running), next-exit, removed
     * @return the exit code (the last one for {@code removed}, 0 for a container that never ran)
     * @throws NotFoundException no such container
     */
    CompletableFuture<Integer> waitFor(String ref, WaitCondition condition) {
        LiveContainer l = store.get(ref);
        synchronized (l) {
            return switch (condition) {
                case NOT_RUNNING -> l.running() ? l.nextExit.copy()
                        : CompletableFuture.completedFuture(l.c.state().exitCode());
                case NEXT_EXIT -> l.nextExit.copy();
                case REMOVED -> l.removed.copy();
            };
        }
    }

    /**
     * Sends a signal: {@code POST /containers/{id}/kill?signal=} (default SIGKILL). With SIGKILL it returns once
     * the container has exited (at most {@value Daemon#KILL_RETURN_WAIT_SECONDS} s), as dockerd's kill does, so that an
     * inspect right after it sees the exit; other signals return at once.
     *
     * @param ref    name, ID or unique ID prefix
     * @param signal {@code SIGTERM}, {@code TERM}, {@code 15}; null or empty for SIGKILL
     * @throws NotFoundException         no such container
     * @throws InvalidParameterException an unknown signal
     * @throws ConflictException         the container is not running
     */
    void kill(String ref, String signal) {
        int number = Signals.parse(signal);
        LiveContainer l = store.get(ref);
        CompletableFuture<Integer> exit;
        synchronized (l) {
            if (!l.running()) {
                throw new ConflictException("Cannot kill container: " + ref + ": Container " + l.c.id()
                        + " is not running");
            }
            exit = l.nextExit;
            events.container(l.c, "kill", java.util.Map.of("signal", Integer.toString(number)));
            l.process.signal(number);
        }
        if (number != Signals.SIGKILL) {
            return;
        }
        try {
            exit.get(Daemon.KILL_RETURN_WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            EngineLog.warn("container " + l.c.shortId() + " has not exited " + Daemon.KILL_RETURN_WAIT_SECONDS
                    + " s after SIGKILL");
        }
    }

    /**
     * Stops a container: {@code POST /containers/{id}/stop?t=}: its stop signal (Config.StopSignal, from
     * {@code --stop-signal} or the image; SIGTERM by default), then SIGKILL after the grace period.
     *
     * @param ref            name, ID or unique ID prefix
     * @param timeoutSeconds grace period in seconds; null means the container's Config.StopTimeout
     *                       ({@code --stop-timeout}), else {@value Daemon#DEFAULT_STOP_TIMEOUT}; negative waits for ever
     * @return false if it was not running (the API's 304)
     * @throws NotFoundException no such container
     * @throws SystemException   it is still running 30 seconds after SIGKILL
     */
    boolean stop(String ref, Integer timeoutSeconds) {
        LiveContainer l = store.get(ref);
        CompletableFuture<Integer> exit;
        synchronized (l) {
            if (!l.running()) {
                return false;
            }
            exit = l.nextExit;
            int first = stopSignal(l.c.config());
            events.container(l.c, "kill", java.util.Map.of("signal", Integer.toString(first)));
            l.process.signal(first);
        }
        Integer configured = l.c.config().stopTimeout();
        int t = timeoutSeconds != null ? timeoutSeconds : configured != null ? configured : Daemon.DEFAULT_STOP_TIMEOUT;
        try {
            if (t < 0) {
                exit.get();
            } else {
                exit.get(t, TimeUnit.SECONDS);
            }
            events.container(l.c, "stop", java.util.Map.of());
            return true;
        } catch (TimeoutException graceOver) {
            EngineLog.info("container " + l.c.shortId() + " did not stop in " + t + "s, sending SIGKILL");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SystemException("interrupted while stopping " + l.c.id());
        } catch (ExecutionException e) {
            throw new SystemException("stopping " + l.c.id() + ": " + e.getCause());
        }
        killAndWait(l);
        events.container(l.c, "stop", java.util.Map.of());
        return true;
    }

    /** The signal {@code docker stop} sends first: Config.StopSignal, else SIGTERM. */
    private static int stopSignal(ContainerConfig config) {
        return notEmpty(config.stopSignal()) ? Signals.parse(config.stopSignal()) : Signals.SIGTERM;
    }

    private void killAndWait(LiveContainer l) {
        CompletableFuture<Integer> exit;
        synchronized (l) {
            if (!l.running()) {
                return;
            }
            exit = l.nextExit;
            events.container(l.c, "kill", java.util.Map.of("signal", Integer.toString(Signals.SIGKILL)));
            l.process.signal(Signals.SIGKILL);
        }
        try {
            exit.get(KILL_WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SystemException("interrupted while killing " + l.c.id());
        } catch (ExecutionException | TimeoutException e) {
            throw new SystemException("container " + l.c.id() + " did not exit after SIGKILL");
        }
    }

    // ---------------------------------------------------------------- remove

    /**
     * Removes a container: {@code DELETE /containers/{id}?force=}. Deletes its writable layer (storage
     * driver), its directory (config and log) and frees its name.
     *
     * @param ref   name, ID or unique ID prefix
     * @param force kill it first (SIGKILL) if it is running
     * @throws NotFoundException no such container
     * @throws ConflictException it is running and force is false (Docker's message)
     */
    void remove(String ref, boolean force) {
        LiveContainer l = store.get(ref);
        synchronized (l) {
            if (l.running() && !force) {
                throw new ConflictException("You cannot remove a running container " + l.c.id()
                        + ". Stop the container before attempting removal or force remove");
            }
        }
        if (force) {
            killAndWait(l);
        }
        if (!removeNow(l)) {
            try {
                l.removed.get(KILL_WAIT_SECONDS, TimeUnit.SECONDS); // someone else (AutoRemove) is removing it
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (ExecutionException | TimeoutException e) {
                throw new SystemException("removal of container " + l.c.id() + " did not finish");
            }
        }
    }

    /** @return false if another thread is already removing it */
    private boolean removeNow(LiveContainer l) {
        Container c;
        synchronized (l) {
            if (l.removing) {
                return false;
            }
            if (l.running()) {
                throw new ConflictException("You cannot remove a running container " + l.c.id()
                        + ". Stop the container before attempting removal or force remove");
            }
            l.removing = true;
            l.c = l.c.withState(l.c.state().toRemoving());
            c = l.c;
        }
        try {
            storage.remove(c.id());
        } catch (RuntimeException e) {
            synchronized (l) {
                l.removing = false;
            }
            throw e instanceof EngineException ee ? ee : new SystemException("removing " + c.id() + ": " + e, e);
        }
        l.log.end();
        l.log.close();
        store.delete(c);
        quietly(() -> networks.forget(c.id()));
        events.container(c, "destroy", java.util.Map.of());
        l.removed.complete(c.state().exitCode());
        EngineLog.info("container " + c.shortId() + " removed");
        return true;
    }

    // ---------------------------------------------------------------- restore and close

    /**
     * Restores the containers the store read from disk: each that was running (or being removed) when the
     * previous daemon stopped goes to the runtime, which says whether it died with that daemon (marked exited
     * {@value Daemon#DAEMON_DIED_EXIT_CODE}, its leftovers released, removed if AutoRemove) or still runs
     * (reattached: output and exit followed again).
     */
    void restore() {
        for (Container c : store.load()) {
            LiveContainer l = store.register(c);
            boolean died = c.state().running() || "removing".equals(c.state().status());
            if (died) {
                // the runtime decides: stages 1 and 2 say it died with the previous daemon (and release what
                // the exec driver left, telling when it ended); stage 3's would say it still runs
                ContainerRuntime.Restored fate = runtime.restore(c.id(), startedAt(c));
                if (fate.alive() && c.state().running()) {
                    synchronized (l) {
                        watch(l, fate.process());
                    }
                    EngineLog.info("container " + c.shortId() + " still runs, pid " + fate.process().pid());
                    continue;
                }
                quietly(() -> storage.unmount(c.id()));
                Instant ended = fate.alive() ? Instant.now() : fate.endedAt();
                l.c = c.withState(c.state().toExited(Daemon.DAEMON_DIED_EXIT_CODE,
                        "container died with the previous daemon", ended.toString()));
                store.persist(l.c);
                EngineLog.info("container " + c.shortId() + " was running when the previous daemon died: exited "
                        + Daemon.DAEMON_DIED_EXIT_CODE);
            }
            if (died && c.hostConfig().autoRemove()) {
                quietly(() -> removeNow(l));
            }
        }
    }

    /**
     * Shuts the daemon down: kills every running container (SIGKILL; the monolith does not leave containers
     * behind), waits for their exits (and AutoRemove removals), which unmounts their root filesystems, and
     * closes the logs. Idempotent.
     */
    void close() {
        // tag::live-restore-close[]
        if (runtime.liveRestore()) {
            // live restore (dockerd's --live-restore): the running containers stay running, their state on disk
            // says running, and the next daemon reattaches to them (ContainerRuntime#restore)
            detached = true;
            for (LiveContainer l : store.all()) {
                l.log.close();
            }
            threads.shutdownNow();
            runtime.close();
            return;
        }
        // end::live-restore-close[]
        List<CompletableFuture<?>> pending = new ArrayList<>();
        for (LiveContainer l : store.all()) {
            synchronized (l) {
                if (l.running()) {
                    pending.add(l.c.hostConfig().autoRemove() ? l.removed : l.nextExit);
                    quietly(() -> l.process.signal(Signals.SIGKILL));
                }
            }
        }
        try {
            CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new)).get(KILL_WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            EngineLog.warn("some containers did not exit at shutdown: " + e);
        }
        for (LiveContainer l : store.all()) {
            synchronized (l) {
                if (!l.running()) {
                    quietly(() -> storage.unmount(l.c.id()));
                }
            }
            l.log.end();
            l.log.close();
        }
        threads.shutdownNow();
        runtime.close();
    }

    /** When the container last started, or null when its state does not say (never started). */
    private static Instant startedAt(Container c) {
        try {
            return Instant.parse(c.state().startedAt());
        } catch (RuntimeException e) {
            return null;
        }
    }

    private static void quietly(Runnable action) {
        try {
            action.run();
        } catch (RuntimeException e) {
            EngineLog.warn(e.getMessage() == null ? e.toString() : e.getMessage());
        }
    }

    private static boolean notEmpty(String s) {
        return s != null && !s.isEmpty();
    }
}
