package dev.rabbithole.stage3.runc;

import dev.rabbithole.stage2.libcontainer.container.CgroupApplier;
import dev.rabbithole.stage2.libcontainer.container.ContainerException;
import dev.rabbithole.stage2.libcontainer.container.InitCommand;
import dev.rabbithole.stage2.libcontainer.container.LinuxContainer;
import dev.rabbithole.stage2.libcontainer.container.LinuxFactory;
import dev.rabbithole.stage2.libcontainer.system.JnaSyscalls;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.lang.ProcessBuilder.Redirect;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code rabbithole stage3 runc} (installed as {@code rabbithole-runc}): an OCI runtime with runc 1.1's command
 * line (runc(8), runc-create(8), runc-start(8), runc-state(8), runc-kill(8), runc-delete(8), runc-list(8),
 * runc-ps(8), runc-spec(8), runc-run(8)) on stage 2's libcontainer, for containerd's shims. The global options
 * come before the command: {@code --root DIR} (the state of container ID is {@code DIR/ID}, default
 * {@value #DEFAULT_ROOT}), {@code --log FILE}, {@code --log-format text|json}, {@code --debug},
 * {@code --systemd-cgroup} (refused).
 *
 * <p>Exit status: 0 on success, 1 on failure with runc's message on stderr and, as an {@code error} entry, in the
 * log file (where containerd's shim reads it); {@code run} without {@code --detach} exits with the workload's
 * status. {@code create} and {@code start} exit while the container lives on: its init has no parent-death
 * signal and is reparented to the nearest subreaper (the shim).
 */
@Command(name = "runc", mixinStandardHelpOptions = true, version = {"rabbithole-runc version 0.1.0-stage3", "commit: rabbithole stage 3", "spec: 1.0.2"},
        description = "An OCI runtime with runc's command line, on stage 2's libcontainer.",
        subcommands = {CreateCommand.class, StartCommand.class, StateCommand.class, KillCommand.class,
                DeleteCommand.class, ListCommand.class, PsCommand.class, SpecCommand.class, RunCommand.class,
                FeaturesCommand.class, PauseCommand.Pause.class, PauseCommand.Resume.class, UpdateCommand.class,
                ExecCommand.class, EventsCommand.class})
public final class RuncMain implements Callable<Integer> {
    /** The default runtime root: one directory per container under it. */
    public static final String DEFAULT_ROOT = "/run/rabbithole/stage3/runc";

    @Option(names = "--root", description = "root directory for the containers' state (default ${DEFAULT-VALUE})",
            defaultValue = DEFAULT_ROOT)
    Path root;

    @Option(names = "--log", description = "append errors (and with --debug, debug entries) to this file")
    Path logFile;

    @Option(names = "--log-format", description = "text or json", defaultValue = "text")
    String logFormat;

    @Option(names = "--debug", description = "write debug entries to the log")
    boolean debug;

    @Option(names = "--systemd-cgroup", description = "use systemd's cgroup driver (not supported: refused)")
    boolean systemdCgroup;

    @Option(names = "--rootless", description = "rootless mode (not supported: refused unless false or auto)",
            defaultValue = "auto")
    String rootless;

    @Option(names = "--criu", hidden = true, description = "accepted for runc's command line; unused")
    String criu;

    private RuncLog log;

    /** What a later stage adds to the commands; nothing by default. */
    Extension extension = new Extension() { };

    /**
     * What a later stage's runtime adds to these commands (stage 4's hooks that run inside the container). Every
     * method's default does nothing.
     */
    public interface Extension {
        /**
         * Before {@code create} converts the bundle's config.json.
         *
         * @param spec the parsed config.json
         * @return the config.json to convert (a copy without what the extension takes over)
         * @throws RuncException a config the extension refuses
         */
        default com.fasterxml.jackson.databind.JsonNode spec(com.fasterxml.jackson.databind.JsonNode spec)
                throws RuncException {
            return spec;
        }

        /**
         * After the container's state directory is made, before its init is spawned.
         *
         * @param id       the container ID
         * @param bundle   the bundle directory, absolute
         * @param stateDir the container's state directory
         * @throws Exception a failure: the create fails and nothing is left
         */
        default void beforeInit(String id, Path bundle, Path stateDir) throws Exception {
        }

        /**
         * Before {@code start} opens the start gate of a created container.
         *
         * @param stateDir the container's state directory
         * @throws RuncException the start cannot go on (nothing changed)
         */
        default void beforeStart(Path stateDir) throws RuncException {
        }

        /**
         * After {@code start} opened the start gate, before the poststart hooks.
         *
         * @param stateDir the container's state directory
         * @param pid      the container init's host pid
         * @throws RuncException the start failed (the container stopped)
         */
        default void started(Path stateDir, long pid) throws RuncException {
        }

        /**
         * A command failed: the message it prints.
         *
         * @param command the command's name ({@code exec})
         * @param message runc's message as this runc has it
         * @return the message to print and log
         */
        default String message(String command, String message) {
            return message;
        }

        /**
         * A command failed: its exit status.
         *
         * @param command the command's name ({@code exec})
         * @param message the message it printed
         * @return the exit status; 1 by default
         */
        default int exitStatus(String command, String message) {
            return 1;
        }
    }

    /** How {@code create} converts a bundle; stage 3's {@link RuncExtension#STAGE3} unless a later stage set one. */
    private RuncExtension conversion = RuncExtension.STAGE3;

    /** @return how {@code create} converts a bundle ({@link RuncExtension#STAGE3} unless a later stage set one) */
    RuncExtension conversion() {
        return conversion;
    }

    /**
     * Runs a command line.
     *
     * @param args the arguments after {@code runc}
     * @param out  standard output (state, list, ps, spec --help)
     * @param err  standard error (the error message)
     * @return the exit status
     */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        return run(args, out, err, new Extension() { }, RuncExtension.STAGE3);
    }

    /**
     * Runs a command line with a later stage's additions to the commands and its conversion of config.json.
     *
     * @param args      the arguments after {@code runc}
     * @param out       standard output
     * @param err       standard error
     * @param extension  what the later stage adds to the commands (hooks inside the container, runc's statuses)
     * @param conversion how {@code create} converts the bundle and what it applies after create
     * @return the exit status
     */
    public static int run(String[] args, PrintStream out, PrintStream err, Extension extension,
                          RuncExtension conversion) {
        jnaWithoutSearching(args);
        RuncMain main = new RuncMain();
        main.extension = extension;
        main.conversion = conversion;
        CommandLine cmd = new CommandLine(main);
        ExecCommand.stopAtCommand(cmd);
        helpOnEveryCommand(cmd);
        cmd.setOut(new PrintWriter(out, true));
        cmd.setErr(new PrintWriter(err, true));
        cmd.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            String msg = ex instanceof RuncException || ex instanceof SpecException ? ex.getMessage()
                    : ex instanceof ContainerException ce ? ce.getMessage() : ex.toString();
            msg = extension.message(commandLine.getCommandName(), msg);
            main.log().error(msg);
            commandLine.getErr().println(msg);
            commandLine.getErr().flush();
            return extension.exitStatus(commandLine.getCommandName(), msg);
        });
        cmd.setParameterExceptionHandler((ex, args1) -> {
            main.log().error(ex.getMessage());
            ex.getCommandLine().getErr().println(ex.getMessage());
            ex.getCommandLine().usage(ex.getCommandLine().getErr());
            return 1;
        });
        return cmd.execute(args);
    }

    /**
     * Gives every command runc's {@code -h}/{@code --help} (runc(8): {@code runc COMMAND --help} prints the
     * command's usage on stdout and exits 0, before any required argument is checked).
     *
     * @param runc the runtime's command line, with its subcommands added
     */
    static void helpOnEveryCommand(CommandLine runc) {
        for (CommandLine sub : runc.getSubcommands().values()) {
            CommandLine.Model.CommandSpec spec = sub.getCommandSpec();
            if (spec.findOption("--help") != null) continue; // an alias (ls) of a command already done
            String[] names = spec.findOption("-h") == null ? new String[] {"-h", "--help"} : new String[] {"--help"};
            spec.addOption(CommandLine.Model.OptionSpec.builder(names).type(boolean.class).arity("0").usageHelp(true)
                    .description("show this help").build());
        }
    }

    /**
     * Spares this short-lived JVM JNA's slow first steps: without {@code jna.platform.library.path} its first
     * library lookup runs {@code ldconfig -p}; without {@code jna.boot.library.path} it unpacks its native
     * dispatch library into a temporary file. The C library's directory comes from {@code /proc/self/maps}; the
     * dispatch library from the init cache under the root ({@code --root} as given, else the default), when an
     * earlier create unpacked it there.
     */
    private static void jnaWithoutSearching(String[] args) {
        try {
            if (System.getProperty("jna.platform.library.path") == null) {
                for (String line : java.nio.file.Files.readAllLines(Path.of("/proc/self/maps"))) {
                    int slash = line.indexOf('/');
                    if (slash > 0 && line.matches(".*/libc(\\.so\\.6|-[0-9.]+\\.so)$")) {
                        System.setProperty("jna.platform.library.path",
                                Path.of(line.substring(slash).trim()).getParent().toString());
                        break;
                    }
                }
            }
            String root = DEFAULT_ROOT;
            for (int i = 0; i < args.length; i++) {
                if (args[i].equals("--root") && i + 1 < args.length) {
                    root = args[i + 1];
                } else if (args[i].startsWith("--root=")) {
                    root = args[i].substring("--root=".length());
                } else if (List.of("--log", "--log-format", "--criu", "--rootless").contains(args[i])) {
                    i++; // its value
                } else if (!args[i].startsWith("-")) {
                    break; // the command: its options are not global
                }
            }
            Path dispatch = Path.of(root).toAbsolutePath().resolve(INIT_CACHE)
                    .resolve("jna-" + com.sun.jna.Platform.RESOURCE_PREFIX + "-" + com.sun.jna.Native.VERSION_NATIVE)
                    .resolve("libjnidispatch.so");
            if (System.getProperty("jna.boot.library.path") == null && java.nio.file.Files.isRegularFile(dispatch)) {
                System.setProperty("jna.boot.library.path", dispatch.getParent().toString());
                System.setProperty("jna.nounpack", "true");
            }
        } catch (java.io.IOException | RuntimeException e) {
            // only speed is lost
        }
    }

    /** Without a command: the usage, exit 0 (runc prints its help). */
    @Override
    public Integer call() {
        new CommandLine(this).usage(System.out);
        return 0;
    }

    /** @return the runtime root, absolute */
    public Path root() {
        return root.toAbsolutePath();
    }

    /** @return the log configured by the global options */
    RuncLog log() {
        if (log == null) {
            log = new RuncLog(logFile, logFormat, debug);
        }
        return log;
    }

    /**
     * Checks the global options every command shares.
     *
     * @throws RuncException {@code --systemd-cgroup}, {@code --rootless true}, a bad {@code --log-format}
     */
    void checkGlobals() throws RuncException {
        if (!"text".equals(logFormat) && !"json".equals(logFormat)) {
            throw new RuncException("invalid log-format: " + logFormat);
        }
        if (systemdCgroup) {
            throw new RuncException("--systemd-cgroup: the systemd cgroup driver is not supported; "
                    + "this runtime writes cgroupfs directly (give linux.cgroupsPath as a path)");
        }
        if (!"auto".equals(rootless) && !"false".equals(rootless)) {
            throw new RuncException("--rootless " + rootless + ": rootless containers are not supported");
        }
    }

    /** The init JVM's start-time cache under the root (JNA unpacked once, a class-data archive of the init). */
    static final String INIT_CACHE = ".init-cache";

    /**
     * How this process acts on containers: the real kernel, the host's cgroups, the init JVM from this JVM's
     * classpath with its start-time cache in {@code ROOT/.init-cache} (not a container: IDs cannot start with
     * a dot), a 30 s start timeout, the workload's stdio inherited from this process (the shim's pipes or FIFOs).
     *
     * @param root the runtime root
     * @return the options
     */
    static LinuxContainer.Options options(Path root) {
        return new LinuxContainer.Options(new JnaSyscalls(), CgroupApplier.HOST,
                InitCommand.current().withCache(root.resolve(INIT_CACHE)), Duration.ofSeconds(30),
                new LinuxContainer.Stdio(Redirect.INHERIT, Redirect.INHERIT, Redirect.INHERIT));
    }

    /**
     * The init cache trains its archive in a thread of this JVM; before this short-lived process exits, that
     * training (a {@code train*} directory in the cache) gets up to {@code max} to finish, so that it is not
     * left half done. Happens once per build of the jar.
     *
     * @param root the runtime root
     * @param max  how long to wait at most
     */
    static void awaitInitCacheTraining(Path root, Duration max) {
        awaitFreshTraining(root, max);
    }

    /** A {@code train*} directory last written longer ago than this is left behind, not in progress. */
    static final Duration STALE_TRAINING = Duration.ofSeconds(60);

    private static long modified(Path p) {
        try {
            return java.nio.file.Files.getLastModifiedTime(p).toMillis();
        } catch (java.io.IOException e) {
            return 0;
        }
    }

    private static void awaitFreshTraining(Path root, Duration max) {
        Path cache = root.resolve(INIT_CACHE);
        long deadline = System.nanoTime() + max.toNanos();
        while (System.nanoTime() < deadline) {
            try (java.util.stream.Stream<Path> s = java.nio.file.Files.list(cache)) {
                // a training older than a minute is one whose JVM ended before it finished: not waited for, so
                // that it cannot hold up every later create
                long fresh = System.currentTimeMillis() - STALE_TRAINING.toMillis();
                if (s.noneMatch(p -> p.getFileName().toString().startsWith("train") && modified(p) > fresh)) {
                    return;
                }
                Thread.sleep(50);
            } catch (java.io.IOException e) {
                return;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /**
     * Loads a container, with runc's messages.
     *
     * @param id the container ID
     * @return the container
     * @throws RuncException {@code container does not exist}
     */
    LinuxContainer load(String id) throws RuncException {
        checkGlobals();
        try {
            return LinuxFactory.load(root(), id, options(root()));
        } catch (ContainerException e) {
            if (e.kind() == ContainerException.Kind.NOT_EXIST) {
                throw new RuncException("container does not exist");
            }
            throw new RuncException(e.getMessage());
        }
    }
}
