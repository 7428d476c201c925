package dev.rabbithole.stage4.dockerd;

import dev.rabbithole.stage1.Stage;
import dev.rabbithole.stage1.daemon.Daemon;
import dev.rabbithole.stage1.daemon.DaemonMain;
import dev.rabbithole.stage1.daemon.DataRootLock;
import dev.rabbithole.stage1.daemon.EngineLog;
import dev.rabbithole.stage1.daemon.ShutdownSignals;
import dev.rabbithole.stage1.errdefs.EngineException;
import dev.rabbithole.stage1.errdefs.SystemException;
import dev.rabbithole.stage1.execdriver.ExecDriver;
import dev.rabbithole.stage1.network.NetworkOptions;
import dev.rabbithole.stage3.dockerd.CgroupParents;
import dev.rabbithole.stage3.dockerd.ContainerdRuntime;
import dev.rabbithole.stage3.dockerd.DockerdMain;
import dev.rabbithole.stage3.dockerd.SupervisedContainerd;
import picocli.CommandLine;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * {@code rabbithole stage4 dockerd}: stage 3's dockerd over containerd ({@link DockerdMain}), grown with what the OCI
 * era made possible: any runtime-spec runtime per container, and images pulled from and pushed to registries
 * ({@link dev.rabbithole.stage4.distribution.RegistryOptions}). Flags as Docker 20.10's dockerd: {@code --data-root},
 * {@code -H}, {@code --exec-root}, {@code --containerd}, {@code --containerd-namespace}, {@code --add-runtime
 * NAME=PATH} (repeatable), {@code --default-runtime NAME}, {@code --live-restore}, {@code --bridge}, {@code --bip},
 * {@code --cgroup-parent}, {@code --insecure-registry HOST[:PORT]} (repeatable); plus {@code --registry-certs-dir
 * DIR} (dockerd's {@code /etc/docker/certs.d}), {@code --shim} (the containerd shim all runtimes run under) and
 * {@code --shim-grouping}. A container names its runtime with {@code docker run --runtime NAME} (Engine API 1.41
 * {@code HostConfig.Runtime}); {@link Runtimes} lists the built-in ones. Its defaults keep it beside a stage-3
 * dockerd: its own socket, roots, and bridge ({@code rh-stage4} on {@code 10.201.4.1/24}).
 *
 * <p>Exit status: 0 after SIGTERM/SIGINT or for {@code --help}, 1 when it cannot start (the reason on stderr), 2
 * for a usage error (a bad {@code --add-runtime}).
 */
@CommandLine.Command(name = "dockerd", sortOptions = false,
        description = "Run stage 4's dockerd in the foreground (needs root): the Engine API over containerd, "
                + "any OCI runtime per container (docker run --runtime NAME).")
public final class Stage4Dockerd implements Callable<Integer> {

    /** The stage-4 dockerd's default socket. */
    public static final String DEFAULT_HOST = "unix:///run/rabbithole/stage4/docker.sock";
    /** The stage-4 dockerd's default data root. */
    public static final String DEFAULT_DATA_ROOT = "/var/lib/rabbithole/stage4";
    /** The stage-4 dockerd's default exec root. */
    public static final String DEFAULT_EXEC_ROOT = "/run/rabbithole/stage4";

    /** Stage 4, as {@code GET /version} and {@code GET /info} name it ({@code 0.1.0-stage4}). */
    public static final Stage STAGE4 = new Stage(4, "rabbithole stage 4 (OCI runtimes, images, registries)");

    @Option(names = "--help", usageHelp = true, description = "Show this help.")
    boolean help;
    @Option(names = "--data-root", paramLabel = "DIR", defaultValue = DEFAULT_DATA_ROOT,
            description = "Images, containers, logs (default: ${DEFAULT-VALUE}).")
    Path dataRoot;
    @Option(names = {"-H", "--host"}, paramLabel = "unix:///PATH", defaultValue = DEFAULT_HOST,
            description = "Socket to serve the Engine API on (default: ${DEFAULT-VALUE}).")
    String host;
    @Option(names = "--exec-root", paramLabel = "DIR", defaultValue = DEFAULT_EXEC_ROOT,
            description = "Runtime state: the stdio FIFOs, the supervised containerd's socket, each runtime's state "
                    + "in runtime-NAME (default: ${DEFAULT-VALUE}). Keep it short: a socket path must fit in 107 bytes.")
    Path execRoot;
    @Option(names = "--containerd", paramLabel = "SOCKET",
            description = "Use the containerd on this socket (ours or Docker's); without it dockerd starts and "
                    + "supervises its own on EXEC_ROOT/containerd/containerd.sock.")
    Path containerd;
    @Option(names = "--containerd-namespace", paramLabel = "NS", defaultValue = ContainerdRuntime.DOCKER_NAMESPACE,
            description = "containerd namespace of the containers (default: ${DEFAULT-VALUE}, Docker's).")
    String namespace;
    @Option(names = "--add-runtime", paramLabel = "NAME=PATH",
            description = "Register an additional OCI runtime (repeatable): docker run --runtime NAME runs the "
                    + "container with the runtime-spec runtime at PATH, e.g. crun=/usr/bin/crun. Built in: "
                    + "runc (runc on the PATH) and rabbithole (bin/" + Runtimes.OUR_BINARY + ").")
    List<String> addRuntime;
    @Option(names = "--default-runtime", paramLabel = "NAME",
            description = "Runtime of a container that names none (default: rabbithole when bin/"
                    + Runtimes.OUR_BINARY + " is found, else runc).")
    String defaultRuntime;
    @Option(names = "--shim", paramLabel = "RUNTIME_TYPE",
            description = "The containerd shim every runtime runs under, with the runtime as its BinaryName: "
                    + DockerdMain.OUR_SHIM + " (ours; the default when containerd-shim-rabbithole-v2 is found) or "
                    + DockerdMain.RUNC_SHIM + " (containerd's).")
    String shim;
    @Option(names = "--cgroup-parent", paramLabel = "NAME", defaultValue = "rabbithole",
            description = "Cgroup parent of the containers: /NAME/ID (default: ${DEFAULT-VALUE}).")
    String cgroupParent;
    @Option(names = "--shim-grouping", paramLabel = "MODE", description = "For the containerd dockerd starts: "
            + "per-container (one shim process per container, the default) or shared (one shim serves every container).")
    String shimGrouping;
    @Option(names = "--live-restore", description = "Leave containers running when dockerd stops; the next "
            + "dockerd finds them again (Docker's --live-restore).")
    boolean liveRestore;
    @Option(names = {"-b", "--bridge"}, paramLabel = "NAME",
            description = "The default bridge (default: " + "rh-stage4" + "); none: no bridge, loopback only.")
    String bridge;
    @Option(names = "--bip", paramLabel = "CIDR",
            description = "The default bridge's address and subnet (default: 10.201.4.1/24).")
    String bip;
    @Option(names = "--insecure-registry", paramLabel = "HOST[:PORT]",
            description = "A registry reached over plain HTTP or TLS without verification (repeatable; 127.0.0.0/8 "
                    + "always is, as in dockerd).")
    java.util.List<String> insecureRegistries = new java.util.ArrayList<>();
    @Option(names = "--registry-certs-dir", paramLabel = "DIR",
            description = "CAs per registry, DIR/HOST:PORT/*.crt, as dockerd's /etc/docker/certs.d.")
    Path registryCertsDir;

    private PrintStream err = System.err;

    private Stage4Dockerd() {
    }

    /**
     * Runs {@code dockerd} with a command line; returns when it stops.
     *
     * @param args the arguments after {@code dockerd}
     * @param out  where the help goes
     * @param err  where errors go
     * @return the exit status
     */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        Stage4Dockerd main = new Stage4Dockerd();
        main.err = err;
        return new CommandLine(main).setOut(new PrintWriter(out, true)).setErr(new PrintWriter(err, true))
                .execute(args);
    }

    @Override
    public Integer call() {
        Stage.use(STAGE4);
        String path = DockerdMain.withJarBin(System.getenv("PATH"), Stage4Dockerd.class);
        String ours = DockerdMain.defaultRuntimeBinary(path);
        Runtimes runtimes;
        try {
            runtimes = Runtimes.of(addRuntime, defaultRuntime, ours.equals("runc") ? null : ours,
                    shim != null ? shim : DockerdMain.defaultRuntime(path), execRoot);
        } catch (IllegalArgumentException e) {
            err.println("dockerd: " + e.getMessage());
            return e.getMessage().startsWith("invalid argument") ? 2 : 1;
        }
        SupervisedContainerd supervised = null;
        try {
            Path socket = DaemonMain.socketOf(host);
            if (!"0".equals(String.valueOf(Files.getAttribute(Path.of("/proc/self"), "unix:uid")))) {
                err.println("dockerd: needs to be started as root (containers need namespaces, cgroups and mounts)");
                return 1;
            }
            ShutdownSignals.install();
            NetworkOptions.use(NetworkOptions.of(bridge, bip, new dev.rabbithole.stage2.network.NetlinkHostLinks()));
            DataRootLock.acquire(dataRoot).close();     // another dockerd here: refuse before a containerd starts
            Path containerdSocket = containerd;
            if (containerdSocket != null && !Files.exists(containerdSocket)) {
                err.println("dockerd: --containerd " + containerdSocket + ": no such socket: is containerd running?");
                return 1;
            }
            if (containerdSocket == null) {
                if (shimGrouping != null && !shimGrouping.matches("per-container|shared")) {
                    err.println("dockerd: --shim-grouping: per-container or shared, not " + shimGrouping);
                    return 2;
                }
                supervised = new SupervisedContainerd(dataRoot, execRoot, path, shimGrouping).start();
                containerdSocket = supervised.socket();
            }
            String defaultPath = runtimes.table().paths().get(runtimes.table().defaultName());
            ContainerdRuntime.Options options = new ContainerdRuntime.Options(containerdSocket, namespace,
                    runtimes.shimName(), defaultPath, execRoot, cgroupParent, liveRestore);
            EngineLog.info("containerd " + containerdSocket + ", namespace " + namespace + ", shim "
                    + runtimes.shimName() + ", runtimes " + runtimes.table().paths() + ", default "
                    + runtimes.table().defaultName() + (liveRestore ? ", live restore" : ""));
            DaemonMain.Running running = DockerdMain.start(dataRoot, socket, options,
                    (root, runtime, info) -> registries(wire(root, runtime, info, runtimes)));
            SupervisedContainerd child = supervised;
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                EngineLog.info("shutting down" + (liveRestore ? " (live restore: containers keep running)" : ""));
                running.close();
                if (child != null) {
                    child.close();
                }
                CgroupParents.removeEmpty(CgroupParents.CGROUP_ROOT, cgroupParent); // a running container's stays
            }, "dockerd-shutdown"));
            running.server().awaitClosed();
            return 0;
        } catch (EngineException | IllegalArgumentException | java.io.IOException e) {
            err.println("dockerd: " + e.getMessage());
            if (supervised != null) {
                supervised.close();
            }
            return 1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 130;
        }
    }

    /** Installs the registry client (pull, push, login) with this command line's registry options. */
    private Daemon registries(Daemon daemon) {
        new dev.rabbithole.stage4.distribution.RegistryOptions(List.copyOf(insecureRegistries), registryCertsDir)
                .installer().accept(daemon);
        return daemon;
    }

    // tag::stage4-wiring[]
    /**
     * The one place stage 4 wires its services around stage 3's: the daemon over the containerd runtime, each
     * container started with its own OCI runtime (its {@code HostConfig.Runtime}, recorded at create).
     *
     * @param dataRoot the data root (locked)
     * @param runtime  the containerd client
     * @param info     what {@code GET /info} reports as the execution driver
     * @param runtimes the named runtimes
     * @return the daemon, its containers restored
     */
    static Daemon wire(Path dataRoot, ContainerdRuntime runtime, ExecDriver info, Runtimes runtimes) {
        // a restart policy may start a container while the daemon is still being made: such a start waits for it
        CompletableFuture<Daemon> daemon = new CompletableFuture<>();
        runtime.runtimes(runtimes.table(), id -> runtimes.shim(runtimeOf(daemon, id)));
        try {
            Daemon d = new RuntimeCheckingDaemon(dataRoot, runtime, info, runtimes);
            daemon.complete(d);
            return d;
        } catch (RuntimeException e) {
            daemon.completeExceptionally(e);
            throw e;
        }
    }
    // end::stage4-wiring[]

    /**
     * Stage 3's daemon ({@link DockerdMain#STAGE3_DAEMON}: the image store, the overlay driver, Docker's default
     * security) that checks a container's runtime before a start changes anything: {@code POST
     * /containers/{id}/start} of a container whose runtime is no longer configured is refused with
     * {@code Unknown runtime specified NAME} (400) and the container keeps its state, no exit code or error recorded,
     * as dockerd 20.10 does.
     */
    static final class RuntimeCheckingDaemon extends Daemon {
        private final Runtimes runtimes;

        RuntimeCheckingDaemon(Path dataRoot, ContainerdRuntime runtime, ExecDriver info, Runtimes runtimes) {
            super(dataRoot, new dev.rabbithole.stage1.image.LocalImageStore(dataRoot.resolve("image")),
                    new dev.rabbithole.stage1.storage.OverlayDriver(dataRoot.resolve("overlay2")), info,
                    dev.rabbithole.stage1.daemon.SecurityResolver.DEFAULT, runtime);
            this.runtimes = runtimes;
        }

        /**
         * @throws dev.rabbithole.stage1.errdefs.InvalidParameterException {@code Unknown runtime specified NAME}
         */
        @Override
        public boolean start(String ref) {
            runtimes.table().nameOf(inspect(ref).hostConfig().runtime());
            return super.start(ref);
        }
    }

    /** A container's {@code HostConfig.Runtime}, as its daemon recorded it at create. */
    private static String runtimeOf(CompletableFuture<Daemon> daemon, String id) {
        try {
            return daemon.get(DAEMON_WAIT_SECONDS, TimeUnit.SECONDS).inspect(id).hostConfig().runtime();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SystemException("interrupted while looking up the runtime of " + id);
        } catch (ExecutionException | TimeoutException e) {
            throw new SystemException("the daemon is not up: " + e, e);
        }
    }

    /** How long a start during the daemon's own start waits for it, seconds. */
    static final long DAEMON_WAIT_SECONDS = 60;
}
