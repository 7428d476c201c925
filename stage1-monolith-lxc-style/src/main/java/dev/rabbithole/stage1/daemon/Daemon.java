package dev.rabbithole.stage1.daemon;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.rabbithole.stage1.errdefs.ConflictException;
import dev.rabbithole.stage1.errdefs.EngineException;
import dev.rabbithole.stage1.errdefs.InvalidParameterException;
import dev.rabbithole.stage1.errdefs.NotFoundException;
import dev.rabbithole.stage1.errdefs.SystemException;
import dev.rabbithole.stage1.execdriver.Command;
import dev.rabbithole.stage1.execdriver.ContainerProcess;
import dev.rabbithole.stage1.execdriver.ContainerUser;
import dev.rabbithole.stage1.execdriver.ExecDriver;
import dev.rabbithole.stage1.image.Image;
import dev.rabbithole.stage1.image.ImageConfig;
import dev.rabbithole.stage1.image.ImageStore;
import dev.rabbithole.stage1.security.SeccompProfile;
import dev.rabbithole.stage1.storage.StorageDriver;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;

/**
 * The stage-1 engine: Docker 0.x's daemon core. It keeps the containers (their config, state and json-file
 * log under {@code DATA_ROOT/containers/ID/}), asks the {@link ImageStore} for images, the
 * {@link StorageDriver} for root filesystems and the {@link ExecDriver} for processes, and pumps each
 * container's stdout and stderr into its log and to attached clients.
 *
 * <p>Each lifecycle operation reads the same way: find the container, guard (may it be started, killed,
 * removed now?), act, persist the new state. Persisting is atomic (temp file, fsync, rename).
 *
 * <p>The monolith takes its containers with it: a container the files say was running when the daemon
 * starts died with the previous daemon (its lxc-execute was our child). It is cleaned up through the exec
 * driver and the storage driver and marked exited with {@value #DAEMON_DIED_EXIT_CODE} (128 + SIGKILL, the
 * status a container gets when its daemon's death takes it down), its log kept.
 *
 * <p>Errors are {@link EngineException}s: {@link NotFoundException} (404), {@link ConflictException} (409),
 * {@link InvalidParameterException} (400), {@link SystemException} (500), as the Engine API reports them.
 */
public class Daemon implements AutoCloseable {

    /** The version {@code GET /version} reports. */
    public static final String VERSION = dev.rabbithole.stage1.BuildInfo.VERSION;

    /** The exit code of a container that was running when the previous daemon died: 128 + SIGKILL. */
    public static final int DAEMON_DIED_EXIT_CODE = 137;

    /** The exit code recorded when the exec driver could not start the container. */
    public static final int START_FAILED_EXIT_CODE = 128;

    /** Docker's minimum for {@code -m}: 6 MiB, in bytes. */
    public static final long MIN_MEMORY = ContainerConfigs.MIN_MEMORY;

    /** Docker's default {@code docker stop} grace period, seconds. */
    public static final int DEFAULT_STOP_TIMEOUT = 10;

    /** The PATH a container gets when neither the image nor {@code -e} sets one (Docker's default). */
    public static final String DEFAULT_PATH = ContainerConfigs.DEFAULT_PATH;

    private static final long KILL_WAIT_SECONDS = 30;

    /** How long {@link #kill} with SIGKILL waits for the exit before it returns anyway, seconds. */
    public static final long KILL_RETURN_WAIT_SECONDS = 10;

    private final Path dataRoot;
    private final Path containersDir;
    private final ImageStore images;
    private final ImageService imageService;
    private final StorageDriver storage;
    private final ExecDriver exec;
    private final ContainerRuntime runtime;
    private final SecurityResolver security;
    private final ContainerConfigs configs;
    private final ContainerStore store;
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "daemon-worker");
        t.setDaemon(true);
        return t;
    });
    private final Instant startedAt = Instant.now();

    /**
     * Opens the daemon on a data root with the real security resolver ({@link SecurityResolver#DEFAULT}).
     *
     * @see #Daemon(Path, ImageStore, StorageDriver, ExecDriver, SecurityResolver)
     */
    public Daemon(Path dataRoot, ImageStore images, StorageDriver storage, ExecDriver exec) {
        this(dataRoot, images, storage, exec, SecurityResolver.DEFAULT);
    }

    /**
     * Opens the daemon on a data root and restores the containers found there; any that was running died
     * with the previous daemon and is cleaned up and marked exited ({@value #DAEMON_DIED_EXIT_CODE}).
     *
     * @param dataRoot the daemon's directory ({@code /var/lib/rabbithole/stage1} by default); containers live in
     *                 {@code containers/} below it
     * @param images   the image store
     * @param storage  the storage driver that makes root filesystems
     * @param exec     the exec driver that runs containers
     * @param security capabilities and seccomp profiles
     * @throws SystemException the data root cannot be created or read
     */
    public Daemon(Path dataRoot, ImageStore images, StorageDriver storage, ExecDriver exec,
                  SecurityResolver security) {
        this.dataRoot = dataRoot;
        this.containersDir = dataRoot.resolve("containers");
        this.images = images;
        this.imageService = new ImageService(images);
        this.storage = storage;
        this.exec = exec;
        this.security = security;
        this.configs = new ContainerConfigs(images, security);
        this.store = new ContainerStore(containersDir);
        this.runtime = new ExecDriverRuntime(exec, store::dir);
        restore();
    }

    // ---------------------------------------------------------------- accessors

    /** @return the data root this daemon keeps its state in */
    public Path dataRoot() { return dataRoot; }

    /** @return the image store */
    public ImageStore images() { return images; }

    /** @return the storage driver */
    public StorageDriver storageDriver() { return storage; }

    /** @return the exec driver */
    public ExecDriver execDriver() { return exec; }

    /** @return when this daemon started */
    public Instant startedAt() { return startedAt; }

    // ---------------------------------------------------------------- create

    /**
     * Creates a container: {@code POST /containers/create} (Engine API 1.41). Resolves the image, merges the
     * image's defaults (Env by key, Cmd/Entrypoint as Docker does, WorkingDir, User), fills in the hostname
     * (the first 12 characters of the ID unless given) and checks the HostConfig.
     *
     * @param name       the container's name, with or without a leading slash; null or empty for a random one
     * @param config     the portable config; {@code Image} is required
     * @param hostConfig the host config; null means {@link HostConfig#DEFAULT}
     * @return the new ID and warnings
     * @throws NotFoundException         {@code No such image: REF}
     * @throws ConflictException         the name is in use (Docker's message, naming the other container)
     * @throws InvalidParameterException an invalid name, memory below 6 MiB, an unknown capability, a bad
     *                                   seccomp profile or security option, no command, an Env entry without a
     *                                   name or with a newline ({@code KEY} alone is dropped: it unsets KEY)
     */
    public CreateResult create(String name, ContainerConfig config, HostConfig hostConfig) {
        return create(name, config, hostConfig, null);
    }

    /**
     * Creates a container for a platform: {@code POST /containers/create?platform=} (Engine API 1.41), as
     * {@link #create(String, ContainerConfig, HostConfig)} after checking the image is for that platform.
     *
     * @param platform {@code os[/arch[/variant]]} ({@code docker run --platform}); null or empty checks nothing
     * @throws InvalidParameterException an unparseable platform (and everything the other create throws)
     * @throws NotFoundException the image is for another os or architecture ({@link Platforms#check}, dockerd's
     *                           message), or there is no such image
     */
    public CreateResult create(String name, ContainerConfig config, HostConfig hostConfig, String platform) {
        ContainerConfigs.Prepared p = configs.prepare(name, config, hostConfig, platform);
        String wantedName = p.wantedName();
        String id = p.id();
        HostConfig hc = p.hostConfig();
        ContainerConfig merged = p.config();
        Image image = p.image();
        List<String> argv = p.argv();
        LiveContainer l = store.add(id, wantedName, finalName -> new Container(id, finalName, Instant.now().toString(),
                argv.get(0), List.copyOf(argv.subList(1, argv.size())), merged, hc, image.id(), storage.name(),
                ContainerState.created(), store.dir(id).resolve(id + "-json.log").toString()));
        EngineLog.info("container " + l.c.shortId() + " created as " + l.c.name() + " from " + config.image());
        return new CreateResult(id, List.of());
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
     *                           {@value #START_FAILED_EXIT_CODE}), and is removed if AutoRemove
     */
    public boolean start(String ref) {
        LiveContainer l = get(ref);
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
                process = runtime.start(configs.command(c, rootfs, runtime.stateDir(c.id())));
            } catch (RuntimeException e) {
                EngineException error = e instanceof EngineException ee ? ee
                        : new SystemException("starting container " + c.id() + ": " + e, e);
                EngineLog.warn("container " + c.shortId() + " failed to start: " + error.getMessage());
                quietly(() -> storage.unmount(c.id()));
                exited(l, StartFailure.exitCode(error.getMessage(), c.path()), error.getMessage());
                throw error;
            }
            l.c = c.withState(c.state().toRunning(process.pid(), Instant.now().toString()));
            persist(l.c);
            EngineLog.info("container " + c.shortId() + " started, pid " + process.pid());
            watch(l, process);
        }
        return true;
    }

    /** Follows a running process (caller holds l): pumps its output into the log, and a monitor its exit. */
    private void watch(LiveContainer l, ContainerProcess process) {
        l.process = process;
        CompletableFuture<Void> out = pump(l, StreamType.STDOUT, process.stdout());
        CompletableFuture<Void> err = pump(l, StreamType.STDERR, process.stderr());
        threads.execute(() -> monitor(l, process, out, err));
    }

    private CompletableFuture<Void> pump(LiveContainer l, StreamType stream, InputStream in) {
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
            code = DAEMON_DIED_EXIT_CODE;
        } catch (RuntimeException e) {
            EngineLog.warn("container " + l.c.shortId() + ": waiting for the exec driver failed: " + e);
            code = DAEMON_DIED_EXIT_CODE;
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
        exited(l, code, s -> s.withStartError(code, error));
    }

    private void exited(LiveContainer l, int code, String error, boolean oomKilled) {
        exited(l, code, s -> s.toExited(code, error, Instant.now().toString()).withOomKilled(oomKilled));
    }

    /** Records an exit (or a failed start), releases the rootfs, ends attached streams and wakes waiters. */
    private void exited(LiveContainer l, int code, java.util.function.UnaryOperator<ContainerState> next) {
        boolean autoRemove;
        synchronized (l) {
            Container c = l.c;
            l.process = null;
            l.c = c.withState(next.apply(c.state()));
            persist(l.c);
            quietly(() -> storage.unmount(c.id()));
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
    public CompletableFuture<Integer> waitFor(String ref, WaitCondition condition) {
        LiveContainer l = get(ref);
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
     * the container has exited (at most {@value #KILL_RETURN_WAIT_SECONDS} s), as dockerd's kill does, so that an
     * inspect right after it sees the exit; other signals return at once.
     *
     * @param ref    name, ID or unique ID prefix
     * @param signal {@code SIGTERM}, {@code TERM}, {@code 15}; null or empty for SIGKILL
     * @throws NotFoundException         no such container
     * @throws InvalidParameterException an unknown signal
     * @throws ConflictException         the container is not running
     */
    public void kill(String ref, String signal) {
        int number = Signals.parse(signal);
        LiveContainer l = get(ref);
        CompletableFuture<Integer> exit;
        synchronized (l) {
            if (!l.running()) {
                throw new ConflictException("Cannot kill container: " + ref + ": Container " + l.c.id()
                        + " is not running");
            }
            exit = l.nextExit;
            l.process.signal(number);
        }
        if (number != Signals.SIGKILL) {
            return;
        }
        try {
            exit.get(KILL_RETURN_WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            EngineLog.warn("container " + l.c.shortId() + " has not exited " + KILL_RETURN_WAIT_SECONDS
                    + " s after SIGKILL");
        }
    }

    /**
     * Stops a container: {@code POST /containers/{id}/stop?t=}: its stop signal (Config.StopSignal, from
     * {@code --stop-signal} or the image; SIGTERM by default), then SIGKILL after the grace period.
     *
     * @param ref            name, ID or unique ID prefix
     * @param timeoutSeconds grace period in seconds; null means the container's Config.StopTimeout
     *                       ({@code --stop-timeout}), else {@value #DEFAULT_STOP_TIMEOUT}; negative waits for ever
     * @return false if it was not running (the API's 304)
     * @throws NotFoundException no such container
     * @throws SystemException   it is still running 30 seconds after SIGKILL
     */
    public boolean stop(String ref, Integer timeoutSeconds) {
        LiveContainer l = get(ref);
        CompletableFuture<Integer> exit;
        synchronized (l) {
            if (!l.running()) {
                return false;
            }
            exit = l.nextExit;
            l.process.signal(stopSignal(l.c.config()));
        }
        Integer configured = l.c.config().stopTimeout();
        int t = timeoutSeconds != null ? timeoutSeconds : configured != null ? configured : DEFAULT_STOP_TIMEOUT;
        try {
            if (t < 0) {
                exit.get();
            } else {
                exit.get(t, TimeUnit.SECONDS);
            }
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
    public void remove(String ref, boolean force) {
        LiveContainer l = get(ref);
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
        l.removed.complete(c.state().exitCode());
        EngineLog.info("container " + c.shortId() + " removed");
        return true;
    }

    // ---------------------------------------------------------------- inspect, list, attach, logs

    /**
     * The container's current snapshot: {@code GET /containers/{id}/json}.
     *
     * @param ref name, ID or unique ID prefix
     * @throws NotFoundException no such container
     */
    public Container inspect(String ref) {
        return get(ref).c;
    }

    /**
     * Containers, newest first: {@code GET /containers/json[?all=1]}.
     *
     * @param all include containers that are not running
     */
    public List<Container> list(boolean all) {
        return store.list(all);
    }

    /**
     * Attaches to a container's output: {@code POST /containers/{id}/attach}. Output from now on (with
     * {@code logs}, the stored log first) goes to the listener, in chunks as the workload wrote them, until
     * the container's next exit (or its removal) ends it.
     *
     * @param ref    name, ID or unique ID prefix
     * @param stdout deliver stdout
     * @param stderr deliver stderr
     * @param logs   replay the stored log first
     * @return the subscription; closing it detaches
     * @throws NotFoundException no such container
     */
    public Subscription attach(String ref, boolean stdout, boolean stderr, boolean logs, StreamListener listener) {
        LiveContainer l = get(ref);
        synchronized (l) {
            return l.log.attach(stdout, stderr, logs, listener);
        }
    }

    /**
     * Reads a container's log: {@code GET /containers/{id}/logs}. Delivers the stored entries (line by line,
     * as the json-file log holds them), then with follow new ones until the container exits; then
     * {@code onEnd}.
     *
     * @throws NotFoundException no such container
     */
    public Subscription logs(String ref, LogOptions options, StreamListener listener) {
        LiveContainer l = get(ref);
        synchronized (l) {
            return l.log.logs(options, l.running(), listener);
        }
    }

    /**
     * The kernel calls that started a container, as its exec driver recorded them: what
     * {@code GET /containers/{id}/explain} (a rabbithole extension) returns.
     *
     * @param ref name, ID or unique ID prefix
     * @return one line per call, in order, or the driver's note on why it has none
     * @throws NotFoundException no such container
     */
    public List<String> explain(String ref) {
        return runtime.explain(get(ref).c.id());
    }

    // ---------------------------------------------------------------- images

    /**
     * "Pulls" an image: {@code POST /images/create?fromImage=&tag=}; see {@link ImageService#pull}.
     *
     * @throws NotFoundException any image but the built-in busybox
     */
    public Image pull(String fromImage, String tag) {
        return imageService.pull(fromImage, tag);
    }

    /**
     * Removes an image reference: {@code DELETE /images/{name}}; see {@link ImageService#remove}.
     *
     * @throws NotFoundException no such image
     * @throws ConflictException a container uses it and force is false (Docker's message)
     */
    public List<String> removeImage(String ref, boolean force) {
        return imageService.remove(ref, force, store.all().stream().map(l -> l.c).toList());
    }

    // ---------------------------------------------------------------- restore and close

    private void restore() {
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
                l.c = c.withState(c.state().toExited(DAEMON_DIED_EXIT_CODE,
                        "container died with the previous daemon", ended.toString()));
                persist(l.c);
                EngineLog.info("container " + c.shortId() + " was running when the previous daemon died: exited "
                        + DAEMON_DIED_EXIT_CODE);
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
    @Override
    public void close() {
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

    // ---------------------------------------------------------------- helpers

    private LiveContainer get(String ref) {
        return store.get(ref);
    }

    private void persist(Container c) {
        store.persist(c);
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

    private static <T> List<T> nullToEmpty(List<T> list) {
        return list == null ? List.of() : list;
    }

    private static boolean notEmpty(String s) {
        return s != null && !s.isEmpty();
    }
}
