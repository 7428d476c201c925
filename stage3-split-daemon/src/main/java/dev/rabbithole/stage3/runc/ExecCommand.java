package dev.rabbithole.stage3.runc;

import dev.rabbithole.stage2.libcontainer.configs.ContainerConfig;
import dev.rabbithole.stage2.libcontainer.configs.ExecConfig;
import dev.rabbithole.stage2.libcontainer.configs.ProcessConfig;
import dev.rabbithole.stage2.libcontainer.container.CgroupApplier;
import dev.rabbithole.stage2.libcontainer.container.ContainerException;
import dev.rabbithole.stage2.libcontainer.container.ExecProcess;
import dev.rabbithole.stage2.libcontainer.container.InitCommand;
import dev.rabbithole.stage2.libcontainer.container.LinuxContainer;
import dev.rabbithole.stage2.libcontainer.container.LinuxFactory;
import dev.rabbithole.stage2.libcontainer.system.JnaSyscalls;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.lang.ProcessBuilder.Redirect;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code runc exec [OPTIONS] ID [COMMAND [ARGS...]]} (runc-exec(8)): runs a new process inside a created or
 * running container; it joins the container's namespaces and cgroup ({@link LinuxContainer#exec}). The process
 * is a runtime-spec {@code process} JSON ({@code --process FILE}, as containerd's shim writes it; the other
 * process options are then ignored, as runc does), or the container's own process with COMMAND as its args and
 * {@code --cwd}, {@code --env}, {@code --user}, {@code --tty} applied.
 *
 * <p>The container's state is read from the runtime root: the parent command's {@code --root} when it has one,
 * else {@value #DEFAULT_ROOT} ({@code ROOT/ID/state.json}, as {@link LinuxFactory#load}).
 *
 * <p>Exit status: without {@code --detach}, the process's (its exit(2) value, or 128 + the signal that killed
 * it); with {@code --detach}, 0 once the pid file is written, the process living on (reparented to the nearest
 * subreaper when this JVM exits). When the exec cannot start, a {@link ContainerException} with runc's message
 * ({@code exec failed: unable to start container process: exec: "x": executable file not found in $PATH},
 * {@code exec failed: container does not exist}, {@code exec failed: cannot exec in a stopped container}), which
 * the runtime's main prints and logs (runc itself exits 255 then).
 */
@Command(name = "exec", description = "execute new process inside the container")
public final class ExecCommand implements Callable<Integer> {
    /** The runtime root when the parent command gives none. */
    public static final String DEFAULT_ROOT = "/run/rabbithole/stage3/runc";

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = {"--process", "-p"}, paramLabel = "FILE", description = "path to the process.json")
    Path processFile;

    @Option(names = {"--detach", "-d"}, description = "detach from the container's process")
    boolean detach;

    @Option(names = "--pid-file", paramLabel = "FILE", description = "write the process's host pid to this file")
    Path pidFile;

    @Option(names = "--console-socket", paramLabel = "SOCK",
            description = "unix socket that receives the pty master (SCM_RIGHTS) when the process has a terminal")
    Path consoleSocket;

    @Option(names = "--cwd", description = "current working directory in the container")
    String cwd;

    @Option(names = {"--env", "-e"}, description = "set environment variables (KEY=VALUE)")
    List<String> env = new ArrayList<>();

    @Option(names = {"--user", "-u"}, paramLabel = "UID[:GID]", description = "UID (format: <uid>[:<gid>])")
    String user;

    @Option(names = {"--additional-gids", "-g"}, description = "additional gids")
    List<Integer> additionalGids = new ArrayList<>();

    @Option(names = {"--tty", "-t"}, description = "allocate a pseudo-TTY")
    boolean tty;

    @Option(names = "--no-new-privs", description = "set the no new privileges value for the process")
    boolean noNewPrivs;

    @Parameters(index = "0", paramLabel = "ID", description = "the container")
    String id;

    @Parameters(index = "1..*", paramLabel = "COMMAND", description = "the command and its arguments")
    List<String> command = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        try {
            return exec();
        } catch (ContainerException e) { // runc's words: "exec failed: container does not exist"
            throw new ContainerException(e.kind(), "exec failed: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new ContainerException(ContainerException.Kind.SYSTEM, "exec failed: " + e.getMessage(), e);
        }
    }

    private int exec() throws ContainerException, IOException, InterruptedException {
        LinuxContainer c = load(root(), id);
        ExecConfig exec = processFile != null ? fromFile(processFile) : fromOptions(c);
        if (exec.terminal() && consoleSocket == null) {
            throw new ContainerException(ContainerException.Kind.INVALID_CONFIG,
                    "process.terminal is true: --console-socket is required (this runtime makes no terminal of its own)");
        }
        if (!exec.terminal() && consoleSocket != null) {
            throw new ContainerException(ContainerException.Kind.INVALID_CONFIG,
                    "cannot use console socket if runc will not provide a terminal");
        }
        if (exec.terminal()) {
            exec = exec.withTerminal(true, consoleSocket.toAbsolutePath().toString());
        }
        // detached: no JDK reaper may take the exit status of a process that exits before this JVM (`true`), the
        // shim it is reparented to must get it
        ExecProcess p = detach ? c.execDetached(exec)
                : c.exec(exec, new LinuxContainer.Stdio(Redirect.INHERIT, Redirect.INHERIT, Redirect.INHERIT));
        if (pidFile != null) {
            try {
                writePidFile(pidFile, p.pid());
            } catch (IOException e) {
                p.process().destroyForcibly();
                throw e;
            }
        }
        return detach ? 0 : p.waitFor();
    }

    /**
     * Makes the {@code exec} subcommand of {@code runc} stop reading options at its first positional argument,
     * as runc does: {@code exec ID sh -c 'echo -e x'} passes {@code -c} and {@code -e} to the command. Without it
     * the COMMAND needs a {@code --} before it. The one line for the runtime's main:
     * {@code ExecCommand.stopAtCommand(cmd);}.
     *
     * @param runc the runtime's command line, with this class as its {@code exec} subcommand
     */
    public static void stopAtCommand(CommandLine runc) {
        CommandLine exec = runc.getSubcommands().get("exec");
        if (exec != null) {
            exec.setStopAtPositional(true);
        }
    }

    /** The parent's {@code --root}, when it has the option; else {@link #DEFAULT_ROOT}. */
    private Path root() {
        CommandLine.Model.CommandSpec parent = spec == null ? null : spec.parent();
        CommandLine.Model.OptionSpec o = parent == null ? null : parent.findOption("--root");
        Object v = o == null ? null : o.getValue();
        return (v == null ? Path.of(DEFAULT_ROOT) : Path.of(v.toString())).toAbsolutePath();
    }

    /**
     * Loads a container for exec, with runc's message for a missing one.
     *
     * @param root the runtime root
     * @param id   the container ID
     * @return the container
     * @throws ContainerException {@code container does not exist}, or its state cannot be read
     */
    static LinuxContainer load(Path root, String id) throws ContainerException {
        LinuxContainer.Options options = new LinuxContainer.Options(new JnaSyscalls(), CgroupApplier.HOST,
                InitCommand.current(), Duration.ofSeconds(30),
                new LinuxContainer.Stdio(Redirect.INHERIT, Redirect.INHERIT, Redirect.INHERIT));
        try {
            return LinuxFactory.load(root, id, options);
        } catch (ContainerException e) {
            if (e.kind() == ContainerException.Kind.NOT_EXIST) {
                throw new ContainerException(ContainerException.Kind.NOT_EXIST, "container does not exist");
            }
            throw e;
        }
    }

    private static ExecConfig fromFile(Path file) throws IOException, ContainerException {
        try {
            return ProcessSpecs.read(file);
        } catch (java.nio.file.NoSuchFileException | java.io.FileNotFoundException e) {
            throw new ContainerException(ContainerException.Kind.INVALID_CONFIG, "open " + file + ": no such file or directory");
        } catch (IllegalArgumentException e) {
            throw new ContainerException(ContainerException.Kind.INVALID_CONFIG, e.getMessage());
        }
    }

    /** runc's exec without {@code --process}: the container's process, COMMAND as args, the options applied. */
    private ExecConfig fromOptions(LinuxContainer c) throws ContainerException {
        if (command.isEmpty()) {
            throw new ContainerException(ContainerException.Kind.INVALID_CONFIG,
                    "exec: either --process or a COMMAND is required");
        }
        ContainerConfig config = c.state().config();
        ProcessConfig base = config.process();
        List<String> envs = new ArrayList<>(base.env() == null ? List.of() : base.env());
        envs.addAll(env);
        int uid = base.uid();
        int gid = base.gid();
        if (user != null) {
            String[] ug = user.split(":", 2);
            try {
                uid = Integer.parseInt(ug[0]);
                gid = ug.length > 1 ? Integer.parseInt(ug[1]) : gid;
            } catch (NumberFormatException e) {
                throw new ContainerException(ContainerException.Kind.INVALID_CONFIG,
                        "--user " + user + ": must be <uid>[:<gid>] in numbers");
            }
        }
        List<Integer> gids = additionalGids.isEmpty() ? base.additionalGids() : additionalGids;
        ProcessConfig p = new ProcessConfig(command, envs, cwd != null ? cwd : base.cwd(), uid, gid, gids, 0);
        return new ExecConfig(p, null, noNewPrivs ? Boolean.TRUE : null, null, null, tty, null);
    }

    /** As runc: a temporary file next to it, renamed over it; the pid in decimal, no newline. */
    static void writePidFile(Path pidFile, long pid) throws IOException {
        Path abs = pidFile.toAbsolutePath();
        Path tmp = abs.resolveSibling("." + abs.getFileName());
        Files.writeString(tmp, Long.toString(pid));
        Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
}
