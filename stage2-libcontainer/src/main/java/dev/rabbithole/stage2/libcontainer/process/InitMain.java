package dev.rabbithole.stage2.libcontainer.process;

import dev.rabbithole.stage2.libcontainer.rootfs.RootfsSetup;
import dev.rabbithole.stage2.libcontainer.system.JnaSyscalls;
import dev.rabbithole.stage2.libcontainer.system.RecordingSyscalls;
import dev.rabbithole.stage2.libcontainer.system.SyscallException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The container init, {@code java -cp <classpath> dev.rabbithole.stage2.libcontainer.process.InitMain SOCKET}:
 * the analogue of {@code runc init}. Started by the parent in new namespaces (pid 1 in its pid namespace),
 * with fds 0, 1, 2 already the workload's stdio. It never writes to them; everything it has to say goes over
 * the control socket.
 *
 * <p>Protocol (one JSON {@link InitMessage} per line over the unix socket SOCKET in the state directory):
 * <ol>
 * <li>init connects; parent sends {@code config} (the ContainerConfig and the /etc files);</li>
 * <li>parent puts the init's pid into the cgroup, then sends {@code go};</li>
 * <li>init sets up the container; on failure it sends {@code error} and exits 1;</li>
 * <li>init sets PR_SET_PDEATHSIG, sends {@code exec} with the kernel calls it made (and the last ones it is
 *     about to make), marks all fds close-on-exec, installs seccomp, execve's; the socket then reaches end of
 *     stream at the parent, which means "started".</li>
 * </ol>
 */
public final class InitMain {
    private InitMain() { }

    /**
     * @param args {@code args[0]}: the control socket's path
     */
    public static void main(String[] args) {
        if (args.length != 1) {
            System.err.println("usage: InitMain SOCKET");
            System.exit(2);
        }
        InitChannel channel;
        try {
            channel = InitChannel.connect(Path.of(args[0]));
        } catch (IOException e) {
            System.err.println("init: cannot reach the parent: " + e.getMessage());
            System.exit(1);
            return;
        }
        try {
            InitMessage config = channel.receive();
            if (config == null || !InitMessage.CONFIG.equals(config.type())) {
                throw new IllegalStateException("expected a config message, got " + config);
            }
            preloadClasses();
            // always recorded (cheap): the parent merges these lines into LinuxContainer.kernelCalls()
            RecordingSyscalls sys = new RecordingSyscalls(new JnaSyscalls());
            ContainerInit init = new ContainerInit(sys);
            InitMessage go = channel.receive();
            if (go == null || !InitMessage.GO.equals(go.type())) {
                System.exit(1); // the parent gave up; nothing to report to
            }
            RootfsSetup.EtcFiles etc = new RootfsSetup.EtcFiles(path(config.hostname()), path(config.hosts()),
                    path(config.resolvConf()));
            init.run(config.config(), config.seccomp(), etc, (program, remaining) -> {
                List<RecordingSyscalls.Call> calls = new ArrayList<>(sys.calls());
                calls.addAll(remaining);
                try {
                    // after PR_SET_PDEATHSIG: a parent that died before it makes this send fail, one that dies
                    // after it kills the init
                    channel.send(InitMessage.exec(program, calls));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (Throwable t) {
            try {
                channel.send(InitMessage.error(describe(t)));
            } catch (Throwable ignored) {
                // the parent is gone; exiting is all that is left
            }
        }
        System.exit(1);
    }

    private static String describe(Throwable t) {
        if (t instanceof SyscallException se) {
            return se.shortMessage() + " (" + se.getMessage() + ")";
        }
        return t.getMessage() == null ? t.toString() : t.getMessage();
    }

    private static Path path(String p) {
        return p == null ? null : Path.of(p);
    }

    /**
     * After pivot_root the host's files are gone: classes in a jar still load (the JVM holds the jar open),
     * classes in a directory (a build's {@code target/classes}) do not. Load every libcontainer class now.
     */
    private static void preloadClasses() throws IOException, URISyntaxException, ClassNotFoundException {
        Path location = Path.of(InitMain.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        if (!Files.isDirectory(location)) {
            return;
        }
        ClassLoader loader = InitMain.class.getClassLoader();
        try (Stream<Path> files = Files.walk(location.resolve("dev/rabbithole/stage2/libcontainer"))) {
            for (Path f : (Iterable<Path>) files.filter(f -> f.toString().endsWith(".class"))::iterator) {
                String name = location.relativize(f).toString().replace('/', '.').replaceAll("\\.class$", "");
                Class.forName(name, true, loader);
            }
        }
    }
}
