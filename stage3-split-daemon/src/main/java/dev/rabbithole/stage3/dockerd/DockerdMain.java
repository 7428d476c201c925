package dev.rabbithole.stage3.dockerd;

import dev.rabbithole.stage1.api.ApiServer;
import dev.rabbithole.stage1.daemon.Daemon;
import dev.rabbithole.stage1.daemon.DaemonMain;
import dev.rabbithole.stage1.daemon.DataRootLock;
import dev.rabbithole.stage1.daemon.EngineLog;
import dev.rabbithole.stage1.daemon.SecurityResolver;
import dev.rabbithole.stage1.daemon.ShutdownSignals;
import dev.rabbithole.stage1.errdefs.EngineException;
import dev.rabbithole.stage1.execdriver.Command;
import dev.rabbithole.stage1.execdriver.ContainerProcess;
import dev.rabbithole.stage1.execdriver.ExecDriver;
import dev.rabbithole.stage1.image.LocalImageStore;
import dev.rabbithole.stage1.storage.OverlayDriver;
import picocli.CommandLine;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code rabbithole stage3 dockerd}: stage 1's Engine API, image store and overlay rootfs over
 * {@link ContainerdRuntime}, as Docker 20.10's dockerd over containerd. Without {@code --containerd} it starts
 * and supervises its own ({@link SupervisedContainerd}). Flags as dockerd's ({@code --data-root}, {@code -H},
 * {@code --exec-root}, {@code --containerd}, {@code --containerd-namespace}, {@code --default-runtime},
 * {@code --live-restore}), plus {@code --runtime-binary} (runc's {@code Options.BinaryName}, which dockerd takes
 * from its {@code runtimes} configuration).
 *
 * <p>Exit status: 0 after SIGTERM/SIGINT or for {@code --help}, 1 when it cannot start (the reason on stderr), 2
 * for a usage error.
 */
@CommandLine.Command(name = "dockerd", sortOptions = false,
        description = "Run stage 3's dockerd in the foreground (needs root): the Engine API over containerd.")
public final class DockerdMain implements Callable<Integer> {

    /** The stage-3 dockerd's default socket. */
    public static final String DEFAULT_HOST = "unix:///run/rabbithole/stage3/docker.sock";
    /** The stage-3 dockerd's default data root. */
    public static final String DEFAULT_DATA_ROOT = "/var/lib/rabbithole/stage3";
    /** The stage-3 dockerd's default exec root. */
    public static final String DEFAULT_EXEC_ROOT = "/run/rabbithole/stage3";

    /** Our shim's runtime name (containerd runs {@code containerd-shim-rabbithole-v2}). */
    public static final String OUR_SHIM = "io.containerd.rabbithole.v2";
    /** containerd's runc shim (Debian's {@code containerd-shim-runc-v2}). */
    public static final String RUNC_SHIM = "io.containerd.runc.v2";
    /** Our runc's executable name, as installed beside the launcher. */
    public static final String OUR_RUNC = "rabbithole-runc";

    /** How long dockerd waits at its start for containerd to answer, seconds. */
    public static final long CONTAINERD_WAIT_SECONDS = 20;

    @Option(names = "--help", usageHelp = true, description = "Show this help.")
    boolean help;
    @Option(names = "--data-root", paramLabel = "DIR", defaultValue = DEFAULT_DATA_ROOT,
            description = "Images, containers, logs (default: ${DEFAULT-VALUE}).")
    Path dataRoot;
    @Option(names = {"-H", "--host"}, paramLabel = "unix:///PATH", defaultValue = DEFAULT_HOST,
            description = "Socket to serve the Engine API on (default: ${DEFAULT-VALUE}).")
    String host;
    @Option(names = "--exec-root", paramLabel = "DIR", defaultValue = DEFAULT_EXEC_ROOT,
            description = "Runtime state: the stdio FIFOs, the supervised containerd's socket "
                    + "(default: ${DEFAULT-VALUE}). Keep it short: a socket path must fit in 107 bytes.")
    Path execRoot;
    @Option(names = "--containerd", paramLabel = "SOCKET",
            description = "Use the containerd on this socket (ours or Docker's); without it dockerd starts and "
                    + "supervises its own on EXEC_ROOT/containerd/containerd.sock.")
    Path containerd;
    @Option(names = "--containerd-namespace", paramLabel = "NS", defaultValue = ContainerdRuntime.DOCKER_NAMESPACE,
            description = "containerd namespace of the containers (default: ${DEFAULT-VALUE}, Docker's).")
    String namespace;
    @Option(names = "--default-runtime", paramLabel = "NAME",
            description = "The shim's runtime name, e.g. io.containerd.runc.v2 (default: our shim, "
                    + OUR_SHIM + ", when containerd-shim-rabbithole-v2 is on the PATH, else " + RUNC_SHIM + ").")
    String runtimeName;
    @Option(names = "--runtime-binary", paramLabel = "PATH",
            description = "The runtime binary the shim runs (runc options' BinaryName; default: our "
                    + OUR_RUNC + " when it is on the PATH, else runc).")
    String runtimeBinary;
    @Option(names = "--cgroup-parent", paramLabel = "NAME", defaultValue = "rabbithole",
            description = "Cgroup parent of the containers: /NAME/ID (default: ${DEFAULT-VALUE}).")
    String cgroupParent;
    @Option(names = "--shim-grouping", paramLabel = "MODE", description = "For the containerd dockerd starts: per-container (one shim "
            + "process per container, the default) or shared (one shim serves every container).")
    String shimGrouping;
    @Option(names = "--live-restore", description = "Leave containers running when dockerd stops; the next "
            + "dockerd finds them again (Docker's --live-restore).")
    boolean liveRestore;
    @Option(names = {"-b", "--bridge"}, paramLabel = "NAME",
            description = "The default bridge (default: rh-stage3); none: no bridge, loopback only.")
    String bridge;
    @Option(names = "--bip", paramLabel = "CIDR",
            description = "The default bridge's address and subnet (default: 10.201.3.1/24).")
    String bip;

    private PrintStream err = System.err;

    /**
     * Runs {@code dockerd} with a command line; returns when it stops.
     *
     * @param args the arguments after {@code dockerd}
     * @param out  where the help goes
     * @param err  where errors go
     * @return the exit status
     */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        DockerdMain main = new DockerdMain();
        main.err = err;
        return new CommandLine(main).setOut(new PrintWriter(out, true)).setErr(new PrintWriter(err, true))
                .execute(args);
    }

    // tag::default-runtime[]
    /**
     * The default shim: ours once it is installed, else containerd's runc shim. The one place that decides it.
     *
     * @param path the directories of {@code $PATH}
     * @return {@value #OUR_SHIM} when {@code containerd-shim-rabbithole-v2} is in one of them, else {@value #RUNC_SHIM}
     */
    public static String defaultRuntime(String path) {
        return onPath("containerd-shim-rabbithole-v2", path) ? OUR_SHIM : RUNC_SHIM;
    }
    // end::default-runtime[]

    /**
     * The default runtime binary: our runc once it is installed, else runc.
     *
     * @param path the directories of {@code $PATH}
     * @return the absolute path of {@value #OUR_RUNC} when found, else {@code runc}
     */
    public static String defaultRuntimeBinary(String path) {
        for (String dir : (path == null ? "" : path).split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, OUR_RUNC))) {
                return Path.of(dir, OUR_RUNC).toString();
            }
        }
        return "runc";
    }

    /**
     * {@code $PATH} with the stage-3 jar's own {@code bin} directory first, when it holds our shim and runc (the
     * jar at {@code stage3-split-daemon/target/}, the executables at {@code stage3-split-daemon/bin/}), so that a
     * dockerd run from a checkout uses them and the containerd it starts finds the shim there.
     *
     * @param path the inherited {@code $PATH}, may be null
     * @return the path to look runtimes up in and to hand to the supervised containerd
     */
    public static String withJarBin(String path) {
        return withJarBin(path, DockerdMain.class);
    }

    /**
     * As {@link #withJarBin(String)}, with the {@code bin} directory beside the jar (or classes directory) that holds
     * a stage's own class: stage 4's {@code stage4-oci-runtime/bin}.
     *
     * @param path   the inherited {@code $PATH}, may be null
     * @param anchor a class of the stage whose {@code bin} comes first
     * @return the path to look runtimes up in and to hand to the supervised containerd
     */
    public static String withJarBin(String path, Class<?> anchor) {
        String inherited = path == null ? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" : path;
        try {
            Path jar = Path.of(anchor.getProtectionDomain().getCodeSource().getLocation().toURI());
            Path bin = jar.getParent() == null || jar.getParent().getParent() == null ? null
                    : jar.getParent().getParent().resolve("bin");
            if (bin != null && Files.isExecutable(bin.resolve("containerd-shim-rabbithole-v2"))) {
                return bin + ":" + inherited;
            }
        } catch (java.net.URISyntaxException | RuntimeException e) {
            // not run from a jar on the file system: the inherited path only
        }
        return inherited;
    }

    static boolean onPath(String name, String path) {
        for (String dir : (path == null ? "" : path).split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, name))) {
                return true;
            }
        }
        return false;
    }

    /** Stage 3, as {@code GET /version} and {@code GET /info} name it ({@code 0.1.0-stage3}). */
    public static final dev.rabbithole.stage1.Stage STAGE3 =
            new dev.rabbithole.stage1.Stage(3, "rabbithole stage 3 (dockerd, containerd, shim, runc)");

    @Override
    public Integer call() {
        dev.rabbithole.stage1.Stage.use(STAGE3);
        String path = withJarBin(System.getenv("PATH"));
        String runtime = runtimeName != null ? runtimeName : defaultRuntime(path);
        String binary = runtimeBinary != null ? runtimeBinary : defaultRuntimeBinary(path);
        SupervisedContainerd supervised = null;
        try {
            Path socket = DaemonMain.socketOf(host);
            if (!"0".equals(String.valueOf(Files.getAttribute(Path.of("/proc/self"), "unix:uid")))) {
                err.println("dockerd: needs to be started as root (containers need namespaces, cgroups and mounts)");
                return 1;
            }
            ShutdownSignals.install();
            dev.rabbithole.stage1.network.NetworkOptions.use(dev.rabbithole.stage1.network.NetworkOptions.of(
                    bridge, bip, new dev.rabbithole.stage2.network.NetlinkHostLinks()));
            // another dockerd on this data root: refuse now, before a second containerd is started for it
            dev.rabbithole.stage1.daemon.DataRootLock.acquire(dataRoot).close();
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
            ContainerdRuntime.Options options = new ContainerdRuntime.Options(containerdSocket, namespace, runtime,
                    binary, execRoot, cgroupParent, liveRestore);
            EngineLog.info("containerd " + containerdSocket + ", namespace " + namespace + ", runtime " + runtime
                    + " with " + binary + (liveRestore ? ", live restore" : ""));
            DaemonMain.Running running = start(dataRoot, socket, options);
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

    /**
     * Wires and starts dockerd without blocking: the data root's lock, the image store, the overlay driver, the
     * daemon over a {@link ContainerdRuntime} (which restores the containers the data root says run), the API.
     *
     * @param dataRoot the data root
     * @param socket   the Engine API socket
     * @param options  the containerd client's options
     * @return the running daemon; close it to stop
     * @throws dev.rabbithole.stage1.errdefs.SystemException another daemon holds the data root or the socket
     */
    public static DaemonMain.Running start(Path dataRoot, Path socket, ContainerdRuntime.Options options) {
        return start(dataRoot, socket, options, STAGE3_DAEMON);
    }

    /**
     * How a dockerd makes its daemon once containerd answers: the stage's services around the containerd runtime
     * (stage 3's: {@link #STAGE3_DAEMON}; stage 4 adds its named runtimes and its own services).
     */
    @FunctionalInterface
    public interface DaemonFactory {
        /**
         * @param dataRoot the data root (locked by the caller)
         * @param runtime  the containerd client, connected; the daemon closes it
         * @param info     what {@code GET /info} reports as the execution driver
         * @return the daemon, its containers restored
         */
        Daemon create(Path dataRoot, ContainerdRuntime runtime, ExecDriver info);
    }

    /** Stage 3's daemon: the image store, the overlay driver, Docker's default security, the containerd runtime. */
    public static final DaemonFactory STAGE3_DAEMON = (dataRoot, runtime, info) -> new Daemon(dataRoot,
            new LocalImageStore(dataRoot.resolve("image")), new OverlayDriver(dataRoot.resolve("overlay2")), info,
            SecurityResolver.DEFAULT, runtime);

    /**
     * As {@link #start(Path, Path, ContainerdRuntime.Options)}, with the daemon made by a stage's factory.
     *
     * @param factory makes the daemon over the containerd runtime
     * @return the running daemon; close it to stop
     * @throws dev.rabbithole.stage1.errdefs.SystemException another daemon holds the data root or the socket
     */
    public static DaemonMain.Running start(Path dataRoot, Path socket, ContainerdRuntime.Options options,
                                           DaemonFactory factory) {
        DataRootLock lock = DataRootLock.acquire(dataRoot);
        try {
            ApiServer.refuseIfAnswering(socket);
            ContainerdRuntime runtime = new ContainerdRuntime(options, dataRoot.resolve("containers")::resolve);
            try {
                EngineLog.info("containerd " + runtime.version(CONTAINERD_WAIT_SECONDS) + " answers on "
                        + options.containerdSocket());
            } catch (RuntimeException e) {
                runtime.close();
                throw e;
            }
            Daemon daemon = factory.create(dataRoot, runtime, new InfoOnly(options));
            DaemonMain.Running running = DaemonMain.start(daemon, socket);
            return new DaemonMain.Running(running.daemon(), running.server(), lock);
        } catch (RuntimeException e) {
            lock.close();
            throw e;
        }
    }

    /**
     * What {@code GET /info} reports as the execution driver: the shim's runtime name. dockerd runs nothing
     * itself; a start through this driver is a programming error.
     */
    static final class InfoOnly implements ExecDriver {
        private final ContainerdRuntime.Options options;

        InfoOnly(ContainerdRuntime.Options options) {
            this.options = options;
        }

        @Override
        public String name() {
            return options.runtimeName();
        }

        @Override
        public ContainerProcess start(Command command) {
            throw new UnsupportedOperationException("stage 3's dockerd starts containers through containerd");
        }

        @Override
        public void cleanup(String containerId, Path stateDir) {
        }

        @Override
        public Map<String, String> status() {
            Map<String, String> m = new java.util.LinkedHashMap<>();
            m.put("containerd", options.containerdSocket().toString());
            m.put("namespace", options.namespace());
            m.put("runtime binary", options.binaryName());
            m.put("live restore", String.valueOf(options.liveRestore()));
            return m;
        }
    }
}
