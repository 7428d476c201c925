package dev.rabbithole.stage1.daemon;

import dev.rabbithole.stage1.errdefs.ConflictException;
import dev.rabbithole.stage1.errdefs.EngineException;
import dev.rabbithole.stage1.errdefs.InvalidParameterException;
import dev.rabbithole.stage1.errdefs.NotFoundException;
import dev.rabbithole.stage1.errdefs.SystemException;
import dev.rabbithole.stage1.execdriver.ExecDriver;
import dev.rabbithole.stage1.image.Image;
import dev.rabbithole.stage1.image.ImageStore;
import dev.rabbithole.stage1.storage.StorageDriver;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The stage-1 engine: Docker 0.x's daemon, a facade over classes with one job each, as moby's daemon is
 * organised: {@link ContainerConfigs} (create checks, the image's defaults, the exec driver's Command),
 * {@link ContainerStore} (the containers, their names and {@code DATA_ROOT/containers/ID/config.v2.json}),
 * {@link ContainerLifecycle} (start, exit events, kill, stop, wait, remove, restore) over one
 * {@link ContainerRuntime} (here {@link ExecDriverRuntime}: the {@link ExecDriver}'s containers die with the
 * daemon), and the {@link ImageService}. Each method is an Engine API 1.41 endpoint.
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
    /** How long {@link #kill} with SIGKILL waits for the exit before it returns anyway, seconds. */
    public static final long KILL_RETURN_WAIT_SECONDS = 10;

    private final Path dataRoot;
    private final ImageService images;
    private final StorageDriver storage;
    private final ExecDriver exec;
    private final ContainerConfigs configs;
    private final ContainerStore store;
    private final ContainerRuntime runtime;
    private final ContainerLifecycle lifecycle;
    private final Events events = new Events();
    private final Execs execs;
    private final Instant startedAt = Instant.now();
    private final dev.rabbithole.stage1.network.NetworkController networks;

    /** As {@link #Daemon(Path, ImageStore, StorageDriver, ExecDriver, SecurityResolver)} with {@link SecurityResolver#DEFAULT}. */
    public Daemon(Path dataRoot, ImageStore images, StorageDriver storage, ExecDriver exec) {
        this(dataRoot, images, storage, exec, SecurityResolver.DEFAULT);
    }

    /**
     * Opens the daemon on a data root and restores the containers in {@code DATA_ROOT/containers/}: any that was
     * running died with the previous daemon and is cleaned up and marked exited ({@value #DAEMON_DIED_EXIT_CODE}).
     *
     * @param dataRoot {@code /var/lib/rabbithole/stage1} by default
     * @param security capabilities and seccomp profiles
     * @throws SystemException the data root cannot be created or read
     */
    public Daemon(Path dataRoot, ImageStore images, StorageDriver storage, ExecDriver exec, SecurityResolver security) {
        this(dataRoot, images, storage, exec, security,
                new ExecDriverRuntime(exec, dataRoot.resolve("containers")::resolve));
    }

    /**
     * With another runtime (stage 3's containerd client), which decides on restore whether a container still runs.
     *
     * @param exec    what {@code GET /info} reports as the execution driver
     * @param runtime runs the containers; closed by {@link #close}
     */
    public Daemon(Path dataRoot, ImageStore images, StorageDriver storage, ExecDriver exec, SecurityResolver security,
                  ContainerRuntime runtime) {
        this.dataRoot = dataRoot;
        this.images = new ImageService(images);
        this.storage = storage;
        this.exec = exec;
        this.configs = new ContainerConfigs(images, security);
        this.store = new ContainerStore(dataRoot.resolve("containers"));
        this.runtime = runtime;
        this.networks = new dev.rabbithole.stage1.network.NetworkController(dataRoot,
                dev.rabbithole.stage1.network.NetworkOptions.current(), ref -> store.get(ref).c,
                c -> exposedPorts(images, c));
        this.lifecycle = new ContainerLifecycle(store, runtime, configs, images, storage, events, networks);
        this.execs = new Execs(store, runtime, events, java.util.concurrent.Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "exec-worker");
            t.setDaemon(true);
            return t;
        }));
        lifecycle.restore();
        networks.reconcile(store.list(true).stream().map(Container::id).collect(java.util.stream.Collectors.toSet()),
                store.list(false).stream().map(Container::id).collect(java.util.stream.Collectors.toSet()));
    }

    /** The image's ExposedPorts keys ({@code 80/tcp}) of a container, for {@code -P}; empty when unknown. */
    private static java.util.Set<String> exposedPorts(ImageStore images, Container c) {
        try {
            var cfg = images.resolve(c.imageId()).config();
            var ports = cfg == null || cfg.config() == null ? null : cfg.config().exposedPorts();
            return ports == null ? java.util.Set.of() : ports.keySet();
        } catch (RuntimeException e) {
            return java.util.Set.of();
        }
    }

    /** @return the networks, their endpoints and published ports ({@code /networks}, NetworkSettings) */
    public dev.rabbithole.stage1.network.NetworkController networks() { return networks; }

    /** @return the data root this daemon keeps its state in */
    public Path dataRoot() { return dataRoot; }
    /** @return the image store */
    public ImageStore images() { return images.store(); }
    /** @return the storage driver */
    public StorageDriver storageDriver() { return storage; }
    /** @return the exec driver */
    public ExecDriver execDriver() { return exec; }
    /** @return when this daemon started */
    public Instant startedAt() { return startedAt; }

    /** As {@link #create(String, ContainerConfig, HostConfig, String)} for any platform. */
    public CreateResult create(String name, ContainerConfig config, HostConfig hostConfig) {
        return create(name, config, hostConfig, null);
    }

    /**
     * {@code POST /containers/create[?name=&platform=]}: checks the request and merges the image's defaults
     * ({@link ContainerConfigs#prepare}), then records the container under its name.
     *
     * @param name     with or without a leading slash; null or empty for a random one
     * @param platform {@code os[/arch[/variant]]}; null or empty checks nothing
     * @throws NotFoundException         no such image, or an image for another platform
     * @throws ConflictException         the name is in use (Docker's message, naming the other container)
     * @throws InvalidParameterException a bad name, HostConfig, Env entry, signal, platform, or no command
     */
    public CreateResult create(String name, ContainerConfig config, HostConfig hostConfig, String platform) {
        if (config != null) {
            StdioSupport.check(config, runtime);
        }
        ContainerConfigs.Prepared p = configs.prepare(name, config, hostConfig, platform);
        networks.checkCreate(p.hostConfig());
        LiveContainer l = store.add(p.id(), p.wantedName(), finalName -> p.container(finalName, storage.name(),
                store.dir(p.id()).resolve(p.id() + "-json.log").toString()));
        EngineLog.info("container " + l.c.shortId() + " created as " + l.c.name() + " from " + config.image());
        events.container(l.c, "create", java.util.Map.of());
        return new CreateResult(p.id(), List.of());
    }

    /** {@code POST /containers/{id}/start}: false if it was running (304). See {@link ContainerLifecycle#start}. */
    public boolean start(String ref) { return lifecycle.start(ref); }
    /** {@code POST /containers/{id}/wait?condition=}: the exit code. See {@link ContainerLifecycle#waitFor}. */
    public CompletableFuture<Integer> waitFor(String ref, WaitCondition condition) { return lifecycle.waitFor(ref, condition); }
    /** {@code POST /containers/{id}/kill?signal=} (SIGKILL waits for the exit). See {@link ContainerLifecycle#kill}. */
    public void kill(String ref, String signal) { lifecycle.kill(ref, signal); }
    /** {@code POST /containers/{id}/stop?t=}: false if not running (304). See {@link ContainerLifecycle#stop}. */
    public boolean stop(String ref, Integer timeoutSeconds) { return lifecycle.stop(ref, timeoutSeconds); }
    /** {@code DELETE /containers/{id}?force=}: layer, directory, name. See {@link ContainerLifecycle#remove}. */
    public void remove(String ref, boolean force) { lifecycle.remove(ref, force); }
    /** {@code GET /containers/{id}/json}: the current snapshot; NotFoundException if there is no such container. */
    public Container inspect(String ref) { return store.get(ref).c; }
    /** {@code GET /containers/json[?all=1]}: newest first, only running ones unless {@code all}. */
    public List<Container> list(boolean all) { return store.list(all); }
    /** {@code POST /containers/{id}/attach}: output (with {@code logs}, the stored log first) until the next exit. */
    public Subscription attach(String ref, boolean stdout, boolean stderr, boolean logs, StreamListener listener) {
        LiveContainer l = store.get(ref);
        synchronized (l) {
            events.container(l.c, "attach", java.util.Map.of());
            return l.log.attach(stdout, stderr, logs, listener);
        }
    }

    /**
     * The stdin half of {@code POST /containers/{id}/attach?stdin=1}: what the client writes reaches the container's
     * stdin, also when it starts later ({@code docker run -i}); see {@link ContainerStdin}.
     *
     * @return the client's input, or null when the container has no open stdin (Config.OpenStdin false: dockerd
     *         then ignores the client's stdin)
     * @throws NotFoundException no such container
     */
    public ContainerInput stdin(String ref) {
        LiveContainer l = store.get(ref);
        return l.c.config().openStdin() ? l.stdin.input(l.c.config().stdinOnce(), l.c.config().tty()) : null;
    }

    /** {@code POST /containers/{id}/resize?h=&w=}. See {@link Interactive#resize}. */
    public void resize(String ref, int height, int width) { Interactive.resize(store.get(ref), height, width, events); }
    /** {@code POST /containers/{id}/exec}: 404, 409 when not running. See {@link Execs#create}. */
    public ExecInstance execCreate(String ref, ExecConfig config) { return execs.create(ref, config); }
    /** {@code POST /exec/{id}/start}: the exec's stdin or null. See {@link Execs#start}. */
    public ContainerInput execStart(String execId, StreamListener listener) { return execs.start(execId, listener); }
    /** {@code GET /exec/{id}/json}: 404 {@code No such exec instance}. */
    public ExecInstance execInspect(String execId) { return execs.get(execId); }
    /** {@code POST /exec/{id}/resize?h=&w=}. See {@link Execs#resize}. */
    public void execResize(String execId, int height, int width) { execs.resize(execId, height, width); }
    /** {@code GET /events}: the daemon's event log. See {@link Events}. */
    public Events events() { return events; }

    /** {@code GET /containers/{id}/logs}: stored entries, then with follow new ones until the exit (404 if none). */
    public Subscription logs(String ref, LogOptions options, StreamListener listener) {
        LiveContainer l = store.get(ref);
        synchronized (l) {
            return l.log.logs(options, l.running(), listener);
        }
    }

    /** {@code GET /containers/{id}/explain} (rabbithole): the kernel calls of its start, as the runtime recorded them. */
    public List<String> explain(String ref) { return runtime.explain(store.get(ref).c.id()); }
    /** {@code POST /images/create?fromImage=&tag=}: only the built-in busybox. See {@link ImageService#pull}. */
    public Image pull(String fromImage, String tag) { return ImageEvents.pulled(events, images.pull(fromImage, tag), fromImage, tag); }
    /** {@code DELETE /images/{name}?force=}: refused (409) while a container uses it. See {@link ImageService#remove}. */
    public List<String> removeImage(String ref, boolean force) {
        String imageId = ImageEvents.idOf(images.store(), ref);
        return ImageEvents.removed(events, imageId, images.remove(ref, force, store.list(true)));
    }

    /**
     * Shuts the daemon down: SIGKILLs every running container (the monolith leaves none behind), waits for their
     * exits and AutoRemove removals, closes the logs, then the runtime. Idempotent.
     */
    @Override
    public void close() {
        lifecycle.close();
        if (!runtime.liveRestore()) {
            networks.close();           // live restore: the running containers keep their endpoints
        }
    }
}
