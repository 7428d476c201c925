package dev.rabbithole.stage1;

import dev.rabbithole.stage1.client.ClientContext;
import dev.rabbithole.stage1.client.ContainerCommands;
import dev.rabbithole.stage1.client.EngineClient;
import dev.rabbithole.stage1.client.ImageCommands;
import dev.rabbithole.stage1.client.RunCommand;
import dev.rabbithole.stage1.client.SystemCommands;
import dev.rabbithole.stage1.daemon.DaemonMain;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Supplier;

/**
 * Entry point of the stage-1 jar, {@code rabbithole-stage1}: daemon and client in one binary, as Docker 0.x
 * was ({@code docker -d} ran the daemon, every other command was a client of its socket). The subcommands
 * have docker's names, flags and exit codes; the client speaks the Engine API v1.41 to the daemon's unix
 * socket, so the real docker CLI and this client are interchangeable.
 * <p>
 * The daemon address is {@code -H/--host}, else {@code $RABBITHOLE_HOST}, else
 * {@code unix:///run/rabbithole/stage1/docker.sock}; {@code $DOCKER_HOST} is deliberately ignored so that a
 * real Docker on the machine is never talked to by mistake.
 */
@Command(name = "rabbithole-stage1", sortOptions = false,
        description = "Docker's engine, stage 1: the monolith and LXC. One jar is daemon and client.",
        versionProvider = Main.Version.class,
        subcommands = {
            RunCommand.class,
            ContainerCommands.Ps.class,
            ContainerCommands.Logs.class,
            ContainerCommands.Wait.class,
            ContainerCommands.Stop.class,
            ContainerCommands.Kill.class,
            ContainerCommands.Rm.class,
            ContainerCommands.Inspect.class,
            dev.rabbithole.stage1.client.InteractiveCommands.Attach.class,
            dev.rabbithole.stage1.client.InteractiveCommands.Exec.class,
            dev.rabbithole.stage1.client.InteractiveCommands.Events.class,
            ImageCommands.Images.class,
            ImageCommands.Rmi.class,
            ImageCommands.Load.class,
            ImageCommands.Save.class,
            SystemCommands.Version.class,
            SystemCommands.Info.class,
            dev.rabbithole.stage1.client.NetworkCommands.Network.class,
            dev.rabbithole.stage1.client.NetworkCommands.Port.class,
        })
public final class Main implements Callable<Integer>, ClientContext {
    /** Exit code for command-line errors, as docker's. */
    public static final int EXIT_USAGE = 125;

    /**
     * What distinguishes one stage's jar on the command line; the client subcommands are the same in every
     * stage that keeps the monolith (stage 2 is stage 1 with another exec driver).
     *
     * @param commandName   the program name in usage and error messages, e.g. {@code rabbithole-stage1}
     * @param description   the top command's description line
     * @param defaultHost   the daemon address when neither {@code -H} nor {@code $RABBITHOLE_HOST} is given,
     *                      e.g. {@code unix:///run/rabbithole/stage1/docker.sock}
     * @param daemonCommand makes the {@code daemon} subcommand: a picocli {@code @Command} object whose
     *                      {@code @ParentCommand} field, if any, is a {@link ClientContext}
     */
    public record Profile(String commandName, String description, String defaultHost, Supplier<Object> daemonCommand) {
    }

    /** Stage 1: {@code rabbithole-stage1}, the stage-1 socket, the LXC daemon. */
    public static final Profile STAGE1 = new Profile("rabbithole-stage1",
            "Docker's engine, stage 1: the monolith and LXC. One jar is daemon and client.",
            EngineClient.DEFAULT_HOST, Daemon::new);

    @Option(names = {"-H", "--host"}, paramLabel = "unix:///PATH",
            description = {"Daemon socket (default: $RABBITHOLE_HOST, else this stage's socket,",
                    "unix:///run/rabbithole/stageN/docker.sock)."})
    String host;
    @Option(names = {"-v", "--version"}, versionHelp = true, description = "Print the version and exit.")
    boolean version;
    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help.")
    boolean help;

    private final Profile profile;
    private final PrintStream out;
    private final PrintStream err;
    private final Map<String, String> env;

    private Main(Profile profile, PrintStream out, PrintStream err, Map<String, String> env) {
        this.profile = profile;
        this.out = out;
        this.err = err;
        this.env = env;
    }

    /**
     * Runs the command line and exits the JVM with its exit code.
     *
     * @param args the arguments
     */
    public static void main(String[] args) {
        System.exit(execute(args, System.out, System.err, System.getenv()));
    }

    /**
     * Runs one command line without exiting the JVM (the tests call this).
     *
     * @param args the arguments, as after {@code rabbithole-stage1}
     * @param out  standard output
     * @param err  standard error
     * @param env  the environment ({@code RABBITHOLE_HOST}, and variables for {@code run -e KEY})
     * @return the exit code: 0, the container's status for {@code run}, 1 for errors and for an unknown
     *         command, 125 for usage errors and for {@code run} errors before the container starts (also
     *         when no daemon answers)
     */
    public static int execute(String[] args, PrintStream out, PrintStream err, Map<String, String> env) {
        return execute(STAGE1, args, out, err, env);
    }

    /**
     * Runs one command line of a stage's jar without exiting the JVM.
     *
     * @param profile the stage's name, default socket and daemon subcommand
     * @param args    the arguments, as after the program name
     * @param out     standard output
     * @param err     standard error
     * @param env     the environment
     * @return the exit code, as {@link #execute(String[], PrintStream, PrintStream, Map)}
     */
    public static int execute(Profile profile, String[] args, PrintStream out, PrintStream err, Map<String, String> env) {
        Stage.use(Stage.ofCommandName(profile.commandName()));
        CommandLine cl = commandLine(profile, out, err, env);
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        cl.setParameterExceptionHandler((ex, a) -> {
            if (ex instanceof CommandLine.UnmatchedArgumentException u && unknownCommand(u) != null) {
                // docker: "docker: 'frobnicate' is not a docker command." and exit 1
                err.println(profile.commandName() + ": '" + unknownCommand(u) + "' is not a "
                        + profile.commandName() + " command.");
                err.println("See '" + profile.commandName() + " --help'.");
                return 1;
            }
            err.println(profile.commandName() + ": " + ex.getMessage());
            err.println("See '" + ex.getCommandLine().getCommandSpec().qualifiedName() + " --help'.");
            return EXIT_USAGE;
        });
        cl.setExecutionExceptionHandler((ex, c, parsed) -> {
            err.println("Error: " + ex.getMessage());
            return c.getCommand() instanceof RunCommand ? RunCommand.EXIT_DAEMON_ERROR : 1;
        });
        return cl.execute(args);
    }

    /**
     * @param u picocli's report of arguments no option or parameter took
     * @return the word that was meant as a subcommand of the top command, or null when the unmatched
     *         argument belongs to a subcommand or is an option
     */
    private static String unknownCommand(CommandLine.UnmatchedArgumentException u) {
        if (u.getCommandLine().getParent() != null || u.getUnmatched().isEmpty()) {
            return null;
        }
        String word = u.getUnmatched().get(0);
        return word.startsWith("-") ? null : word;
    }

    /**
     * The picocli command line, for tests that parse arguments without running them.
     *
     * @param out standard output
     * @param err standard error
     * @param env the environment
     * @return the configured command line ({@code run} stops option parsing at IMAGE)
     */
    public static CommandLine commandLine(PrintStream out, PrintStream err, Map<String, String> env) {
        return commandLine(STAGE1, out, err, env);
    }

    /**
     * The picocli command line of a stage's jar.
     *
     * @param profile the stage's name, description, default socket and daemon subcommand
     * @param out     standard output
     * @param err     standard error
     * @param env     the environment
     * @return the configured command line: {@code daemon} first, then the client subcommands
     */
    public static CommandLine commandLine(Profile profile, PrintStream out, PrintStream err, Map<String, String> env) {
        CommandLine cl = new CommandLine(new Main(profile, out, err, env));
        cl.setCommandName(profile.commandName());
        cl.getCommandSpec().usageMessage().description(profile.description());
        // -H's help names this profile's socket (the annotation cannot: it is shared by every stage)
        CommandLine.Model.OptionSpec hostOption = cl.getCommandSpec().findOption("-H");
        cl.getCommandSpec().remove(hostOption);
        cl.getCommandSpec().addOption(CommandLine.Model.OptionSpec.builder(hostOption)
                .description("Daemon socket (default: $RABBITHOLE_HOST, else", profile.defaultHost() + ").").build());
        String launcher = profile.commandName().replaceFirst("^rabbithole-", "./rabbithole ");  // ./rabbithole stage1
        cl.getCommandSpec().usageMessage().footer("", "Start the daemon (as root): sudo " + launcher + " daemon",
                "Then, for example:           sudo " + launcher + " run --rm busybox echo hello");
        // the daemon first, as in the usage text of docker 0.x, then the client commands in declaration order
        Map<String, CommandLine> clients = new java.util.LinkedHashMap<>(cl.getSubcommands());
        clients.keySet().forEach(cl.getCommandSpec()::removeSubcommand);
        cl.addSubcommand("daemon", profile.daemonCommand().get());
        clients.forEach(cl::addSubcommand);
        // `help` and `help COMMAND`, as docker's: the same text as --help
        cl.addSubcommand("help", new CommandLine.HelpCommand());
        // `run busybox ls -l`: everything after IMAGE belongs to the container's command
        cl.getSubcommands().get("run").setStopAtPositional(true);
        cl.getSubcommands().get("exec").setStopAtPositional(true);     // options end at the container
        // run's example names this profile's stage (the annotation's footer is shared by every stage)
        cl.getSubcommands().get("run").getCommandSpec().usageMessage()
                .footer("", "Example: sudo " + launcher + " run --rm -m 64m busybox sh -c 'echo hello'");
        return cl;
    }

    @Override
    public Integer call() {
        CommandLine.usage(this, out);
        return 0;
    }

    @Override
    public String host() {
        if (host != null) {
            return host;
        }
        String fromEnv = env.get("RABBITHOLE_HOST");
        return fromEnv == null || fromEnv.isEmpty() ? profile.defaultHost() : fromEnv;
    }

    @Override
    public PrintStream out() {
        return out;
    }

    @Override
    public PrintStream err() {
        return err;
    }

    @Override
    public Map<String, String> env() {
        return env;
    }

    @Override
    public String commandName() {
        return profile.commandName();
    }

    /** The version picocli prints for {@code --version}. */
    static final class Version implements IVersionProvider {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public String[] getVersion() {
            return new String[] {spec.root().name() + " version " + SystemCommands.clientVersion() + ", API "
                    + EngineClient.API_VERSION};
        }
    }

    /**
     * {@code daemon}: runs the stage-1 daemon in the foreground (Docker 0.x's {@code docker -d}). Containers
     * are children of this process and die with it; images, container state and logs persist under the data root.
     */
    @Command(name = "daemon", sortOptions = false,
            description = "Run the stage-1 daemon in the foreground (needs root). Containers die with it.")
    static final class Daemon implements Callable<Integer> {
        @ParentCommand
        Main parent;
        @Option(names = "--help", usageHelp = true, description = "Show this help.")
        boolean help;
        @Option(names = "--data-root", paramLabel = "DIR", defaultValue = "/var/lib/rabbithole/stage1",
                description = "Where images, containers and logs live (default: ${DEFAULT-VALUE}).")
        Path dataRoot;
        @Option(names = {"-H", "--host"}, paramLabel = "unix:///PATH",
                description = {"Socket to serve the Engine API on (default:",
                        "the top-level -H, else $RABBITHOLE_HOST, else", EngineClient.DEFAULT_HOST + ")."})
        String host;
        @Option(names = {"-b", "--bridge"}, paramLabel = "NAME",
                description = {"The default bridge (default: rh-stage1); none: no bridge,",
                        "containers get loopback only (dockerd's --bridge=none)."})
        String bridge;
        @Option(names = "--bip", paramLabel = "CIDR",
                description = "The default bridge's address and subnet (default: 10.201.1.1/24).")
        String bip;

        @Override
        public Integer call() {
            String listen = host != null ? host : parent.host();
            try {
                EngineClient.socketPath(listen);
                dev.rabbithole.stage1.network.NetworkOptions.use(dev.rabbithole.stage1.network.NetworkOptions.of(
                        bridge, bip, new dev.rabbithole.stage1.network.IpCommandLinks()));
                DaemonMain.runDaemon(dataRoot, listen);
                return 0;
            } catch (IllegalArgumentException | UnsupportedOperationException
                     | dev.rabbithole.stage1.errdefs.EngineException e) {
                parent.err().println("rabbithole-stage1 daemon: " + e.getMessage());
                return 1;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return 130;
            }
        }
    }
}
