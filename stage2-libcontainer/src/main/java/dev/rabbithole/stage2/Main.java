package dev.rabbithole.stage2;

import dev.rabbithole.stage1.client.ClientContext;
import dev.rabbithole.stage1.client.EngineClient;
import dev.rabbithole.stage1.daemon.DaemonMain;
import dev.rabbithole.stage1.execdriver.ExecDriver;
import dev.rabbithole.stage1.execdriver.lxc.LxcExecDriver;
import dev.rabbithole.stage2.execdriver.NativeExecDriver;
import dev.rabbithole.stage2.execdriver.SeccompReport;
import dev.rabbithole.stage1.daemon.EngineLog;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * Entry point of the stage-2 jar, {@code rabbithole-stage2}: stage 1's daemon and client, unchanged, with
 * Docker 0.9's native exec driver (libcontainer) as the default. {@code daemon --exec-driver lxc} runs stage 1's
 * LXC driver instead, so that both can be compared on the same engine.
 * <p>
 * The client is stage 1's ({@link dev.rabbithole.stage1.Main} with the {@link #PROFILE} of this stage): the same
 * subcommands, flags and exit codes, talking to {@code /run/rabbithole/stage2/docker.sock} by default.
 */
public final class Main {
    private Main() { }

    /** The stage-2 daemon's default socket address. */
    public static final String DEFAULT_HOST = "unix:///run/rabbithole/stage2/docker.sock";

    /** The stage-2 daemon's default data root. */
    public static final String DEFAULT_DATA_ROOT = "/var/lib/rabbithole/stage2";

    /** The name, default socket and daemon subcommand of the stage-2 jar. */
    public static final dev.rabbithole.stage1.Main.Profile PROFILE = new dev.rabbithole.stage1.Main.Profile(
            "rabbithole-stage2",
            "Docker's engine, stage 2: the monolith and libcontainer. One jar is daemon and client.",
            DEFAULT_HOST, DaemonCommand::new);

    /**
     * Runs the command line and exits the JVM with its exit code.
     *
     * @param args the arguments, as after {@code rabbithole-stage2}
     */
    public static void main(String[] args) {
        System.exit(execute(args, System.out, System.err, System.getenv()));
    }

    /**
     * Runs one command line without exiting the JVM.
     *
     * @param args the arguments
     * @param out  standard output
     * @param err  standard error
     * @param env  the environment ({@code RABBITHOLE_HOST}, variables for {@code run -e KEY})
     * @return the exit code, as stage 1's: 0, the container's status for {@code run}, 1, or 125
     */
    public static int execute(String[] args, PrintStream out, PrintStream err, Map<String, String> env) {
        return dev.rabbithole.stage1.Main.execute(PROFILE, args, out, err, env);
    }

    /** The native driver's default init pool size, {@code daemon --init-pool}. */
    public static final int DEFAULT_INIT_POOL = 2;

    /** The exec drivers {@code daemon --exec-driver} chooses from. */
    public enum Driver {
        /** libcontainer: {@link NativeExecDriver}. */
        NATIVE,
        /** stage 1's lxc-execute: {@link LxcExecDriver}. */
        LXC;

        /**
         * @param execRoot the native driver's runtime state root (the LXC driver keeps everything in the data root)
         * @return a new driver of this kind
         */
        public ExecDriver create(Path execRoot) {
            return this == NATIVE ? new NativeExecDriver(execRoot) : new LxcExecDriver();
        }

        /**
         * @param execRoot the native driver's runtime state root
         * @param initPool the native driver's warm init pool size ({@link NativeExecDriver#NativeExecDriver(Path, int)});
         *                 ignored by the LXC driver
         * @return a new driver of this kind
         */
        public ExecDriver create(Path execRoot, int initPool) {
            return this == NATIVE ? new NativeExecDriver(execRoot, initPool) : new LxcExecDriver();
        }
    }

    /**
     * {@code daemon}: runs the stage-2 daemon in the foreground (Docker 0.9's {@code docker -d}, whose
     * {@code -e/--exec-driver} chose between {@code native} and {@code lxc}). Containers are children of this
     * process and die with it.
     */
    @Command(name = "daemon", sortOptions = false,
            description = "Run the stage-2 daemon in the foreground (needs root). Containers die with it.")
    public static final class DaemonCommand implements Callable<Integer> {
        @ParentCommand
        ClientContext parent;
        @Option(names = "--help", usageHelp = true, description = "Show this help.")
        boolean help;
        @Option(names = "--data-root", paramLabel = "DIR", defaultValue = DEFAULT_DATA_ROOT,
                description = "Where images, containers and logs live (default: ${DEFAULT-VALUE}).")
        Path dataRoot;
        @Option(names = {"-H", "--host"}, paramLabel = "unix:///PATH",
                description = "Socket to serve the Engine API on (default: the top-level -H, $RABBITHOLE_HOST, or "
                        + DEFAULT_HOST + ").")
        String host;
        @Option(names = "--exec-root", paramLabel = "DIR", defaultValue = "/run/rabbithole/stage2",
                description = "Where the native driver keeps its runtime state (dockerd's --exec-root; "
                        + "default: ${DEFAULT-VALUE}). Keep it short: the init's socket path must fit in 107 bytes.")
        Path execRoot;
        @Option(names = {"-e", "--exec-driver"}, paramLabel = "DRIVER", defaultValue = "native",
                converter = DriverConverter.class,
                description = "native (libcontainer, the default) or lxc (stage 1's lxc-execute).")
        Driver driver;
        @Option(names = "--init-pool", paramLabel = "N", defaultValue = "" + DEFAULT_INIT_POOL,
                description = "Init JVMs the native driver keeps started ahead, in fresh namespaces, for the next "
                        + "containers (default: ${DEFAULT-VALUE}; 0 turns the pool off).")
        int initPool;
        @Option(names = {"-b", "--bridge"}, paramLabel = "NAME",
                description = "The default bridge (default: rh-stage2); none: no bridge, loopback only.")
        String bridge;
        @Option(names = "--bip", paramLabel = "CIDR",
                description = "The default bridge's address and subnet (default: 10.201.2.1/24).")
        String bip;

        @Override
        public Integer call() {
            String listen = host != null ? host : parent.host();
            try {
                EngineClient.socketPath(listen);
                // the daemon's hand on the host's links: rtnetlink over JNA, as Docker 1.x's libcontainer netlink
                dev.rabbithole.stage1.network.NetworkOptions.use(dev.rabbithole.stage1.network.NetworkOptions.of(
                        bridge, bip, new dev.rabbithole.stage2.network.NetlinkHostLinks()));
                if (driver == Driver.NATIVE) {
                    EngineLog.info(SeccompReport.defaultProfileSummary());   // once, not per container
                }
                DaemonMain.runDaemon(dataRoot, listen, driver.create(execRoot, initPool));
                return 0;
            } catch (IllegalArgumentException | UnsupportedOperationException
                     | dev.rabbithole.stage1.errdefs.EngineException e) {
                parent.err().println("rabbithole-stage2 daemon: " + e.getMessage());
                return 1;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return 130;
            }
        }
    }

    /** {@code native} or {@code lxc}, any case. */
    static final class DriverConverter implements picocli.CommandLine.ITypeConverter<Driver> {
        @Override
        public Driver convert(String value) {
            return switch (value.toLowerCase(java.util.Locale.ROOT)) {
                case "native" -> Driver.NATIVE;
                case "lxc" -> Driver.LXC;
                default -> throw new picocli.CommandLine.TypeConversionException(
                        "unknown exec driver " + value + ": native or lxc");
            };
        }
    }
}
