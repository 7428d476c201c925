package dev.rabbithole.stage3.runc;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.jna.Library;
import com.sun.jna.Native;
import dev.rabbithole.stage2.libcontainer.container.ContainerException;
import dev.rabbithole.stage2.libcontainer.container.LinuxContainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.Callable;

/**
 * {@code runc create [--bundle DIR] [--pid-file FILE] [--console-socket SOCK] [--no-pivot] [--no-new-keyring] ID}
 * (runc-create(8)): reads {@code BUNDLE/config.json}, converts it ({@link SpecConverter}), creates the container
 * so that its init waits at the start gate ({@code exec.fifo}), writes the init's host pid to the pid file and
 * exits, leaving the init running. On any failure nothing is left: no state directory, cgroup or process.
 */
@Command(name = "create", description = "create a container")
final class CreateCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @ParentCommand
    RuncMain runc;

    @Option(names = {"--bundle", "-b"}, description = "the bundle directory (default: the current directory)")
    String bundle;

    @Option(names = "--pid-file", description = "write the init's host pid to this file")
    Path pidFile;

    @Option(names = "--console-socket", description = "unix socket that receives the pty master (process.terminal)")
    Path consoleSocket;

    @Option(names = "--no-pivot", description = "accepted; the rootfs is always entered with pivot_root(2)")
    boolean noPivot;

    @Option(names = "--no-new-keyring", description = "accepted; no session keyring is ever made")
    boolean noNewKeyring;

    @Option(names = "--preserve-fds", description = "not supported unless 0")
    int preserveFds;

    @Parameters(index = "0", paramLabel = "ID", description = "the container ID")
    String id;

    @Override
    public Integer call() throws Exception {
        LinuxContainer c = create(runc, id, bundle, pidFile, consoleSocket, noPivot, preserveFds);
        runc.log().debug("created " + c.id() + ", init pid " + c.pid());
        return 0;
    }

    /**
     * The create every command that makes a container shares ({@code create}, {@code run}).
     *
     * @return the created container, its init a child of this process
     * @throws RuncException or {@link SpecException}: runc's message; nothing is left behind
     */
    static LinuxContainer create(RuncMain runc, String id, String bundle, Path pidFile, Path consoleSocket,
                                 boolean noPivot, int preserveFds) throws Exception {
        runc.checkGlobals();
        if (id == null || !id.matches("[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")) {
            throw new RuncException("invalid container ID format: " + id);
        }
        if (preserveFds != 0) {
            throw new RuncException("--preserve-fds: passing extra file descriptors is not supported");
        }
        if (noPivot) {
            runc.log().warn("--no-pivot: the rootfs is entered with pivot_root all the same");
        }
        Path dir = bundle == null ? Path.of("").toAbsolutePath() : Path.of(bundle).toAbsolutePath().normalize();
        if (!Files.isDirectory(dir)) {
            throw new RuncException("chdir " + bundle + ": no such file or directory");
        }
        JsonNode spec;
        try {
            spec = JSON.readTree(dir.resolve("config.json").toFile());
        } catch (JsonProcessingException e) {
            throw new RuncException("config.json: invalid JSON: " + e.getOriginalMessage()
                    + (e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr()
                    + ", column " + e.getLocation().getColumnNr()));
        } catch (IOException e) {
            if (!Files.exists(dir.resolve("config.json"))) {
                throw new RuncException("JSON specification file config.json not found");
            }
            throw new RuncException("config.json: " + e.getMessage());
        }
        if (spec == null || spec.isMissingNode()) {
            throw new RuncException("config.json: empty");
        }
        spec = runc.extension.spec(spec);
        // tag::runc-create[]
        SpecConverter.Converted converted = runc.conversion().convert(id, dir, spec, Hosts.ownCgroup(),
                Hosts.apparmorEnabled());
        dev.rabbithole.stage2.libcontainer.configs.ContainerConfig config =
                terminal(converted.config(), converted.terminal(), consoleSocket);
        checkExecutable(config);
        if (converted.umask() != null) {
            LibC.INSTANCE.umask(converted.umask()); // the init (spawned below) inherits it
        }
        Path root = runc.root();
        if (Files.exists(root.resolve(id))) {
            throw new RuncException("container with given ID already exists");
        }
        LinuxContainer c;
        try {
            c = LinuxContainer.create(config, root, RuncMain.options(root));
        } catch (ContainerException e) {
            if (e.kind() == ContainerException.Kind.EXISTS) {
                throw new RuncException("container with given ID already exists");
            }
            throw new RuncException(e.getMessage());
        }
        try {
            // libcontainer binds a hostname file of the state directory on /etc/hostname (Docker's policy);
            // runc only sets the UTS name and leaves the rootfs alone
            Files.deleteIfExists(c.stateDir().resolve("hostname"));
            RuncState runcState = new RuncState(converted.ociVersion(), dir.toString(), converted.annotations(),
                    converted.hooks());
            runcState.write(c.stateDir());
            runc.extension.beforeInit(id, dir, c.stateDir());
            c.createInit(null);
        // end::runc-create[]
            Sysctls.apply(c.pid(), converted.sysctl());
            runc.conversion().created(converted, c.pid());
            String creating = Hooks.state(runcState, id, "creating", c.pid());
            Hooks.run(converted.hooks().prestart(), "prestart", creating);
            Hooks.run(converted.hooks().createRuntime(), "createRuntime", creating);
            if (converted.oomScoreAdj() != null) {
                Files.writeString(Path.of("/proc", Long.toString(c.pid()), "oom_score_adj"),
                        converted.oomScoreAdj().toString());
            }
            if (pidFile != null) {
                writePidFile(pidFile, c.pid());
            }
            RuncMain.awaitInitCacheTraining(root, java.time.Duration.ofSeconds(20));
            return c;
        } catch (Exception e) {
            try {
                c.destroy();
            } catch (ContainerException ignored) {
                // the create error is what the caller needs
            }
            throw e instanceof ContainerException ce ? new RuncException(ce.getMessage()) : e;
        }
    }

    /**
     * As runc's create: a program given by path must exist in the rootfs, else {@code exec: "/x": stat /x: no
     * such file or directory}, and be a file with an execute bit, else {@code exec: "/x": permission denied} (which
     * dockerd turns into exit code 126), before anything is made (the init finds a program given by name in PATH itself,
     * before its start gate). A path under a mount destination is left to the init.
     */
    static void checkExecutable(dev.rabbithole.stage2.libcontainer.configs.ContainerConfig config) throws RuncException {
        String name = config.process().args().get(0);
        if (!name.contains("/")) {
            return;
        }
        String cwd = config.process().cwd() == null ? "/" : config.process().cwd();
        String inContainer = Path.of(cwd).resolve(name).normalize().toString();
        for (String own : SpecConverter.OWN_MOUNTS.keySet()) {
            if ((inContainer + "/").startsWith(own + "/")) {
                return;
            }
        }
        for (var m : config.mounts()) {
            if ((inContainer + "/").startsWith(m.destination().equals("/") ? "/" : m.destination() + "/")) {
                return;
            }
        }
        Path host = dev.rabbithole.stage2.libcontainer.rootfs.SecureJoin.resolve(config.rootfs(), inContainer);
        if (!Files.exists(host)) {
            throw new RuncException("exec: \"" + name + "\": stat " + name + ": no such file or directory");
        }
        // as Go's exec.LookPath, which runc's init calls: a directory or a file without an execute bit is EACCES
        if (Files.isDirectory(host) || !executable(host)) {
            throw new RuncException("exec: \"" + name + "\": permission denied");
        }
    }

    private static boolean executable(Path file) {
        try {
            return Files.getPosixFilePermissions(file).stream().anyMatch(p -> p.name().endsWith("_EXECUTE"));
        } catch (IOException | UnsupportedOperationException e) {
            return true;            // left to execve(2)
        }
    }

    /**
     * {@code process.terminal}: the init makes a pty in the container's devpts and sends its master over
     * {@code --console-socket} (runc's console socket, SCM_RIGHTS), see {@link ProcessSpecs#withConsole}.
     *
     * @return the config, with the terminal and its console socket set when the bundle asks for a terminal
     * @throws RuncException a terminal without a console socket, or a console socket without a terminal
     */
    static dev.rabbithole.stage2.libcontainer.configs.ContainerConfig terminal(
            dev.rabbithole.stage2.libcontainer.configs.ContainerConfig config, boolean terminal, Path consoleSocket)
            throws RuncException {
        try {
            return ProcessSpecs.withConsole(config, terminal, consoleSocket);
        } catch (IllegalArgumentException e) {
            throw new RuncException(e.getMessage());
        }
    }

    /** As runc: a temporary file next to it, renamed over it; the pid in decimal, no newline. */
    static void writePidFile(Path pidFile, long pid) throws IOException {
        Path abs = pidFile.toAbsolutePath();
        Path tmp = abs.resolveSibling("." + abs.getFileName());
        try {
            Files.writeString(tmp, Long.toString(pid));
        } catch (NoSuchFileException e) {
            throw new IOException("open " + tmp + ": no such file or directory");
        }
        Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** umask(2) from the C library. */
    interface LibC extends Library {
        LibC INSTANCE = Native.load("c", LibC.class);

        int umask(int mask);
    }
}
