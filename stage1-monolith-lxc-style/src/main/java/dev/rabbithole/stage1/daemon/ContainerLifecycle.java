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
    private dev.rabbithole.stage1.volume.ContainerMounts mounts;
    private java.util.function.Function<String, List<String>> volumeUsers = name -> List.of();
    /** Pause, unpause, update, stats and top; a signal to a paused container thaws it ({@link ContainerResources#afterSignal}). */
    final ContainerResources resources;
    /** Set by a {@link ContainerRuntime#liveRestore()} shutdown: exits seen from now on are not recorded. */
    private volatile boolean detached;
    /** Set by {@link #close}: exits seen from now on are not answered by the restart policy. */
    private volatile boolean shuttingDown;
    /** Runs the restart policy's restarts after their back-off delay. */
    private final java.util.concurrent.ScheduledExecutorService timers =
            Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "restart-timer");
                t.setDaemon(true);
                return t;
            });
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
        this.resources = new ContainerResources(store, runtime, events);
    }

    /** Gives the lifecycle the containers' mounts: made at start, anonymous volumes released at removal. */
    void mounts(dev.rabbithole.stage1.volume.ContainerMounts m, java.util.function.Function<String, List<String>> users) {
        this.mounts = m;
        this.volumeUsers = users;
    }

    // ---------------------------------------------------------------- start and the exit monitor

    /**
     * Starts a container: {@code POST /containers/{id}/start}. Mounts its rootfs through the storage driver,
     * starts it through the exec driver and pumps its output into the log and to attached clients; a
     * monitor thread records the exit, unmounts, ends attached streams and, with AutoRemove, removes it.
     *
     * <p>A user's start also begins a new run of the restart policy: RestartCount 0, not manually stopped.
     *
     * @param ref name, ID or unique ID prefix
     * @return false if it was already running or restarting (the API's 304), true if this call started it
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
            if (l.c.state().paused()) {
                throw new ConflictException("cannot start a paused container, try unpause instead");
            }
            if (l.running()) {
                return false;
            }
            // a user's start: a fresh restart manager, RestartCount 0 (moby's ResetRestartManager)
            l.resetRestarts();
            l.c = l.c.withRestartCount(0).withManuallyStopped(false);
            run(l);
        }
        return true;
    }

    /**
     * Starts the container's process (caller holds l): by a user's start, the restart policy and a daemon start.
     *
     * @throws EngineException the start failed (recorded in the state, as {@link #start} says)
     */
    // tag::run-container[]
    private void run(LiveContainer l) {
        Container c = l.c;
        ContainerProcess process;
        try {
            Image image = images.resolve(c.imageId());
            Path rootfs = storage.mount(c.id(), images.layerDirs(image));
            process = runtime.start(networks.attach(c,
                    withMounts(configs.command(c, rootfs, runtime.stateDir(c.id())), c, rootfs)));
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
    // end::run-container[]

    /** The command with the container's mounts ({@code -v}, {@code --mount}, {@code --tmpfs}) and {@code --read-only}. */
    private dev.rabbithole.stage1.execdriver.Command withMounts(dev.rabbithole.stage1.execdriver.Command cmd,
                                                               Container c, Path rootfs) {
        if (mounts == null) {
            return cmd;
        }
        return cmd.withMounts(mounts.commandMounts(c.mountPoints(), c.hostConfig().tmpfs(), rootfs),
                c.hostConfig().readonlyRootfs());
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

    /**
     * Records a failed start: the status stays (Docker's {@code Created}), with the error and its exit code; a
     * restart by the policy that fails leaves the container exited.
     */
    private void exited(LiveContainer l, int code, String error) {
        exited(l, code, s -> s.restarting() ? s.toExited(code, error, Instant.now().toString())
                : s.withStartError(code, error), false, false);
    }

    private void exited(LiveContainer l, int code, String error, boolean oomKilled) {
        if (oomKilled) {
            events.container(l.c, "oom", java.util.Map.of());
        }
        exited(l, code, s -> s.toExited(code, error, Instant.now().toString()).withOomKilled(oomKilled), true,
                oomKilled);
    }

    /** Records an exit (or a failed start), releases the rootfs, ends attached streams and wakes waiters. */
    private void exited(LiveContainer l, int code, java.util.function.UnaryOperator<ContainerState> next,
                        boolean died, boolean oomKilled) {
        if (detached) {
            return;                     // live restore: the container runs on; the next daemon restores it
        }
        boolean autoRemove;
        synchronized (l) {
            Container c = l.c;
            l.process = null;
            l.stdin.disconnect();
            // tag::exit-monitor-restart[]
            java.time.Duration delay = died ? restartDelay(l, code) : null;
            if (delay != null) {
                // the policy starts it again after the back-off delay; meanwhile it is "restarting"
                l.c = c.withState(c.state().toRestarting(code, Instant.now().toString(), oomKilled))
                        .withRestartCount(l.restarts().restartCount());
                l.pendingRestart = timers.schedule(() -> restartByPolicy(l), delay.toMillis(), TimeUnit.MILLISECONDS);
                EngineLog.info("container " + c.shortId() + " exited with " + code + ", restart " + l.c.restartCount()
                        + " by its policy in " + delay.toMillis() + " ms");
            } else {
                l.c = c.withState(next.apply(c.state()));
            }
            // end::exit-monitor-restart[]
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
            autoRemove = delay == null && c.hostConfig().autoRemove() && !l.keepOnExit;
            EngineLog.info("container " + c.shortId() + " exited with " + code);
        }
        if (autoRemove) {
            threads.execute(() -> {
                try {
                    removeNow(l, true);
                } catch (RuntimeException e) {
                    EngineLog.warn("auto-removing container " + l.c.shortId() + ": " + e.getMessage());
                    l.removed.completeExceptionally(e);  // wait?condition=removed answers the error, never hangs
                }
            });
        }
    }

    /**
     * The restart policy's answer to an exit (caller holds l): the back-off delay, or null for none (no policy, a
     * user's stop or kill, the policy's maximum reached, the daemon shutting down).
     */
    private java.time.Duration restartDelay(LiveContainer l, int code) {
        if (shuttingDown || l.removing) {
            return null;
        }
        Instant started = startedAt(l.c);
        java.time.Duration ran = started == null ? java.time.Duration.ZERO
                : java.time.Duration.between(started, Instant.now());
        return l.restarts().next(code, l.c.hasBeenManuallyStopped(), ran);
    }

    /** The back-off delay is over: start the restarting container again, unless a user stopped it meanwhile. */
    private void restartByPolicy(LiveContainer l) {
        synchronized (l) {
            l.pendingRestart = null;
            if (!l.restarting() || l.removing || l.restarts().canceled() || shuttingDown) {
                return;
            }
            try {
                run(l);
            } catch (RuntimeException e) {
                EngineLog.warn("restart of container " + l.c.shortId() + " by its policy failed: " + e.getMessage());
            }
        }
    }

    /**
     * Ends a pending restart (caller holds l): the restart manager is canceled and a restarting container becomes
     * exited with the exit code it had, waking its waiters (moby's {@code SetStopped} after a canceled restart).
     */
    private void cancelRestart(LiveContainer l) {
        l.restarts().cancel();
        if (l.pendingRestart != null) {
            l.pendingRestart.cancel(false);
            l.pendingRestart = null;
        }
        if (l.restarting()) {
            ContainerState s = l.c.state();
            l.c = l.c.withState(s.toExited(s.exitCode(), "", Instant.now().toString()).withOomKilled(s.oomKilled()));
            store.persist(l.c);
            CompletableFuture<Integer> done = l.nextExit;
            l.nextExit = new CompletableFuture<>();
            done.complete(s.exitCode());
            EngineLog.info("container " + l.c.shortId() + ": pending restart canceled");
        }
    }

    /**
     * A user's stop or kill (caller holds l), as moby's {@code killWithSignal}: remembered as a manual stop (an
     * {@code unless-stopped} container stays stopped at the next daemon start), and with the stop signal or SIGKILL
     * the restart policy no longer answers the coming exit.
     */
    private void stoppedByUser(LiveContainer l, int signal) {
        if (!shuttingDown && !l.c.hasBeenManuallyStopped()) {
            l.c = l.c.withManuallyStopped(true);
            store.persist(l.c);
        }
        String configured = l.c.config().stopSignal();
        if (!notEmpty(configured) || signal == Signals.SIGKILL || signal == Signals.parse(configured)) {
            l.restarts().cancel();
        }
        if (l.restarting() && l.restarts().canceled()) {
            cancelRestart(l);
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
            stoppedByUser(l, number);
            if (l.restarting()) {
                return;                 // no process to signal: the pending restart is canceled (or goes on)
            }
            exit = l.nextExit;
            events.container(l.c, "kill", java.util.Map.of("signal", Integer.toString(number)));
            l.process.signal(number);
            resources.afterSignal(l, number);
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
            int first = stopSignal(l.c.config());
            stoppedByUser(l, first);
            if (!l.running()) {
                events.container(l.c, "stop", java.util.Map.of());   // it was restarting: nothing to signal
                return true;
            }
            exit = l.nextExit;
            events.container(l.c, "kill", java.util.Map.of("signal", Integer.toString(first)));
            l.process.signal(first);
            resources.afterSignal(l, first);
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
            stoppedByUser(l, Signals.SIGKILL);
            if (!l.running()) {
                return;                 // it was restarting: canceled
            }
            exit = l.nextExit;
            events.container(l.c, "kill", java.util.Map.of("signal", Integer.toString(Signals.SIGKILL)));
            l.process.signal(Signals.SIGKILL);
            resources.afterSignal(l, Signals.SIGKILL);
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

    /**
     * Restarts a container: {@code POST /containers/{id}/restart?t=}, as dockerd's {@code containerRestart}: a
     * running (or restarting) one is stopped as {@link #stop} does (AutoRemove held off meanwhile), then it is
     * started as a user's {@link #start} (a created or exited one is just started); then the {@code restart} event.
     *
     * @param ref            name, ID or unique ID prefix
     * @param timeoutSeconds the stop's grace period in seconds, as {@link #stop}
     * @throws NotFoundException no such container
     * @throws ConflictException it is being removed
     * @throws EngineException   the stop or the start failed
     */
    // tag::restart[]
    void restart(String ref, Integer timeoutSeconds) {
        LiveContainer l = store.get(ref);
        synchronized (l) {
            l.keepOnExit = true;        // a --rm container is not removed by the stop of a restart
        }
        try {
            stop(ref, timeoutSeconds);
        } finally {
            synchronized (l) {
                l.keepOnExit = false;
            }
        }
        start(l.c.id());
        events.container(l.c, "restart", java.util.Map.of());
    }
    // end::restart[]

    // ---------------------------------------------------------------- remove

    /**
     * Removes a container: {@code DELETE /containers/{id}?force=}. Deletes its writable layer (storage
     * driver), its directory (config and log) and frees its name.
     *
     * @param ref   name, ID or unique ID prefix
     * @param force kill it first (SIGKILL) if it is running
     * @param removeVolumes {@code v}: its anonymous volumes too (unless another container uses them)
     * @throws NotFoundException no such container
     * @throws ConflictException it is running and force is false (Docker's message)
     */
    void remove(String ref, boolean force, boolean removeVolumes) {
        LiveContainer l = store.get(ref);
        synchronized (l) {
            if (l.c.state().paused() && !force) {
                throw new ConflictException("You cannot remove a paused container " + l.c.id()
                        + ". Unpause and then stop the container before attempting removal or force remove");
            }
            if (l.running() && !force) {
                throw new ConflictException("You cannot remove a " + l.c.state().status() + " container " + l.c.id()
                        + ". Stop the container before attempting removal or force remove");
            }
        }
        if (force) {
            killAndWait(l);
        }
        if (!removeNow(l, removeVolumes)) {
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
    private boolean removeNow(LiveContainer l, boolean removeVolumes) {
        Container c;
        synchronized (l) {
            if (l.removing) {
                return false;
            }
            if (l.running()) {
                throw new ConflictException("You cannot remove a " + l.c.state().status() + " container " + l.c.id()
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
        if (mounts != null) {
            mounts.removed(c.mountPoints(), removeVolumes, volumeUsers);
        }
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
                quietly(() -> removeNow(l, true));
            }
        }
        // tag::boot-restart[]
        for (LiveContainer l : store.all()) {
            if (RestartPolicies.restartsOnBoot(l.c)) {
                threads.execute(() -> bootRestart(l));
            }
        }
        // end::boot-restart[]
    }

    /** A daemon start restarts a container its policy says to (moby's restore): as a user's start, RestartCount 0. */
    private void bootRestart(LiveContainer l) {
        synchronized (l) {
            if (l.running() || l.removing || shuttingDown) {
                return;
            }
            EngineLog.info("container " + l.c.shortId() + " restarts by its policy ("
                    + l.c.hostConfig().restartPolicy().name() + ") at the daemon's start");
            l.resetRestarts();
            l.c = l.c.withRestartCount(0).withManuallyStopped(false);
            try {
                run(l);
            } catch (RuntimeException e) {
                EngineLog.warn("restart of container " + l.c.shortId() + " at the daemon's start failed: "
                        + e.getMessage());
            }
        }
    }

    /**
     * Shuts the daemon down: kills every running container (SIGKILL; the monolith does not leave containers
     * behind), waits for their exits (and AutoRemove removals), which unmounts their root filesystems, and
     * closes the logs. Idempotent.
     */
    void close() {
        shuttingDown = true;
        for (LiveContainer l : store.all()) {
            synchronized (l) {
                if (l.restarting()) {
                    cancelRestart(l);   // recorded exited: the next daemon start restarts it by its policy
                }
            }
        }
        timers.shutdownNow();
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
                    quietly(() -> resources.afterSignal(l, Signals.SIGKILL));
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
