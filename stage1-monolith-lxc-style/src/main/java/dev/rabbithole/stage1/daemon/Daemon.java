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
    private final dev.rabbithole.stage1.volume.ContainerMounts mounts;
    private final ContainerArchives archives;
    private final Instant startedAt = Instant.now();
    private final dev.rabbithole.stage1.network.NetworkController networks;
    private final ImageCommitter cow;

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
        this.mounts = new dev.rabbithole.stage1.volume.ContainerMounts(
                new dev.rabbithole.stage1.volume.VolumeStore(dataRoot.resolve("volumes")));
        lifecycle.mounts(mounts, this::volumeUsers);
        this.execs = new Execs(store, runtime, events, java.util.concurrent.Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "exec-worker");
            t.setDaemon(true);
            return t;
        }));
        this.cow = new ImageCommitter(dataRoot, images, storage, store, events);
        this.archives = new ContainerArchives(store, images, storage);
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
    /** @return the image service (its {@link Registry}, when one is installed, serves pull, push and login) */
    public ImageService imageService() { return images; }
    /** @return the storage driver */
    public StorageDriver storageDriver() { return storage; }
    /** @return the exec driver */
    public ExecDriver execDriver() { return exec; }
    /** @return the named OCI runtimes ({@code --runtime}); null when the daemon has none (stages 1 to 3) */
    public OciRuntimes ociRuntimes() { return runtime.ociRuntimes(); }
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
        hostConfig = OciRuntimes.resolve(runtime.ociRuntimes(), hostConfig);   // --runtime: known, recorded
        RestartPolicies.check(hostConfig);
        ContainerConfigs.Prepared p = configs.prepare(name, config, hostConfig, platform);
        networks.checkCreate(p.hostConfig());
        var points = mounts.plan(p.hostConfig(), ContainerVolumes.destinations(config, p.image()),
                ref -> store.get(ref).c.mountPoints());
        LiveContainer l;
        try {
            l = store.add(p.id(), p.wantedName(), finalName -> p.container(finalName, storage.name(),
                    store.dir(p.id()).resolve(p.id() + "-json.log").toString()).withMountPoints(points));
        } catch (RuntimeException e) {
            mounts.removed(points, true, this::volumeUsers);     // a name in use: no anonymous volume left behind
            throw e;
        }
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
    /** {@code POST /containers/{id}/restart?t=}: stop (if running) then start. See {@link ContainerLifecycle#restart}. */
    public void restart(String ref, Integer timeoutSeconds) { lifecycle.restart(ref, timeoutSeconds); }

    /**
     * {@code POST /containers/{id}/rename?name=}: see {@link ContainerStore#rename}; emits {@code rename} with the
     * attribute {@code oldName} (with its slash), as dockerd.
     */
    public void rename(String ref, String newName) {
        ContainerStore.Renamed r = store.rename(ref, newName);
        events.container(r.container(), "rename", java.util.Map.of("oldName", r.oldName()));
    }

    /** {@code POST /containers/{id}/pause}: 409 when not running or paused. See {@link ContainerResources#pause}. */
    public void pause(String ref) { lifecycle.resources.pause(ref); }
    /** {@code POST /containers/{id}/unpause}: 409 when not paused. See {@link ContainerResources#unpause}. */
    public void unpause(String ref) { lifecycle.resources.unpause(ref); }
    /** {@code POST /containers/{id}/update}: the warnings. See {@link ContainerResources#update}. */
    public List<String> update(String ref, long memory, long memorySwap, long nanoCpus, long cpuQuota, long cpuPeriod,
                               long cpuShares, Long pidsLimit, HostConfig.RestartPolicy restartPolicy) {
        return lifecycle.resources.update(ref, new ContainerResources.Update(memory, memorySwap, nanoCpus, cpuQuota,
                cpuPeriod, cpuShares, pidsLimit, restartPolicy));
    }
    /**
     * {@code GET /containers/{id}/stats}: the container and its cgroup's counters, read now.
     *
     * @return the container, the counters (zeros when it does not run) and when they were read (null then)
     */
    public StatsSample stats(String ref) {
        ContainerResources.Sample s = lifecycle.resources.stats(ref);
        return new StatsSample(s.container(), s.stats(), s.read());
    }
    /** {@code GET /containers/{id}/top?ps_args=}: titles and rows of ps. See {@link ContainerResources#top}. */
    public List<List<String>> top(String ref, String psArgs) {
        ContainerResources.Top t = lifecycle.resources.top(ref, psArgs);
        List<List<String>> out = new java.util.ArrayList<>();
        out.add(t.titles());
        out.addAll(t.processes());
        return out;
    }

    /**
     * One stats sample.
     *
     * @param container the container as it is now
     * @param stats     its cgroup's counters (CPU in nanoseconds, memory in bytes)
     * @param read      when they were read; null for a container that does not run
     */
    public record StatsSample(Container container, dev.rabbithole.stage1.cgroups.ResourceStats stats, Instant read) { }

    /** {@code DELETE /containers/{id}?force=}: layer, directory, name. See {@link ContainerLifecycle#remove}. */
    public void remove(String ref, boolean force) { lifecycle.remove(ref, force, false); }
    /** {@code DELETE /containers/{id}?force=&v=}: with {@code v} its anonymous volumes too. See {@link ContainerLifecycle#remove}. */
    public void remove(String ref, boolean force, boolean removeVolumes) { lifecycle.remove(ref, force, removeVolumes); }
    /** The volumes of the local driver ({@code /volumes} endpoints); in use means named by a container's mounts. */
    public dev.rabbithole.stage1.volume.VolumeStore volumes() { return mounts.volumes(); }

    /**
     * The containers that use a volume (created, running and stopped ones, as dockerd counts them).
     *
     * @param volumeName the volume's name
     * @return their IDs, oldest first; empty when none
     */
    public List<String> volumeUsers(String volumeName) {
        List<String> ids = new java.util.ArrayList<>();
        for (Container c : store.list(true)) {
            if (c.mountPoints().stream().anyMatch(m -> m.isVolume() && volumeName.equals(m.name()))) {
                ids.add(c.id());
            }
        }
        java.util.Collections.reverse(ids);
        return ids;
    }
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
    /** {@code HEAD /containers/{id}/archive?path=}: the path's stat. See {@link ContainerArchives#stat}. */
    public dev.rabbithole.stage1.archive.PathStat statPath(String ref, String path) { return archives.stat(ref, path); }
    /** {@code GET /containers/{id}/archive?path=}: stat, then tar. See {@link ContainerArchives#archive}. */
    public void archivePath(String ref, String path, dev.rabbithole.stage1.archive.TarSink sink) { archives.archive(ref, path, sink); }
    /** {@code PUT /containers/{id}/archive?path=}: extract a tar. See {@link ContainerArchives#extract}. */
    public void extractToDir(String ref, String path, java.io.InputStream tar, boolean noOverwriteDirNonDir, boolean copyUIDGID) {
        archives.extract(ref, path, tar, noOverwriteDirNonDir, copyUIDGID);
    }
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

    // tag::commit-api[]
    /**
     * {@code POST /commit?container=}: a new image from the container's image and its writable layer (the
     * overlayfs upperdir, tarred in image-spec form) as dockerd 20.10 makes it; a container that changed nothing
     * adds a history entry with {@code empty_layer} and no layer. Works on running and stopped containers.
     *
     * @param idOrName the container
     * @param options  tag, comment, author, {@code --change} lines, config and history overrides
     * @return the new image's ID, {@code sha256:<hex>}
     * @throws NotFoundException         no such container
     * @throws InvalidParameterException a bad reference or change ({@code <x> is not a valid change command})
     * @throws ConflictException         the container is being removed or is dead
     * @throws EngineException           the layer could not be read or stored (the storage driver is vfs: 501)
     */
    public String commit(String idOrName, CommitOptions options) { return cow.commit(idOrName, options); }
    // end::commit-api[]

    /**
     * An image with no new layer: {@code parent}'s layers, {@code options.config()} (else the parent's) with the
     * changes applied, and one {@code empty_layer} history entry ({@code options.createdBy()}); the classic builder's
     * metadata steps.
     *
     * @param parent an image reference, or null / {@code scratch} for none
     * @return the new image's ID, {@code sha256:<hex>}
     * @throws NotFoundException no such parent image
     */
    public String commitImage(String parent, CommitOptions options) { return cow.commitImage(parent, options); }

    /**
     * {@code POST /images/create?fromSrc=-&repo=&tag=&message=&changes=}: the body, a rootfs tar (plain, gzip or
     * bzip2), becomes a one-layer image whose config has only the changes, with {@code message} (default
     * {@code Imported from -}) as comment and history entry, as dockerd's {@code docker import}.
     *
     * @param reference {@code repo[:tag]} or null
     * @return the new image's ID
     * @throws InvalidParameterException an unreadable tar, one whose entries leave the rootfs, a bad change or reference
     */
    public String importImage(java.io.InputStream tar, String reference, String message, List<String> changes) {
        return cow.importImage(tar, reference, message, changes);
    }

    /** {@code GET /images/{name}/history}: newest first, Docker's HistoryResponseItem; 404 for no such image. */
    public List<ImageCommitter.HistoryItem> history(String ref) { return cow.history(ref); }

    /** {@code GET /containers/{id}/changes}: the writable layer against the image (C/A/D), as {@code docker diff}. */
    public List<dev.rabbithole.stage1.storage.UpperDir.Change> changes(String ref) { return cow.changes(ref); }

    /**
     * {@code GET /containers/{id}/export}: a tar of the container's whole rootfs as the storage driver mounts it
     * (a stopped container's is mounted for the copy and unmounted after).
     *
     * @throws NotFoundException no such container
     * @throws java.io.IOException {@code out} failed
     */
    public void export(String ref, java.io.OutputStream out) throws java.io.IOException { cow.export(ref, out); }

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
