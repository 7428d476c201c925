package dev.rabbithole.stage2.libcontainer.process;

import dev.rabbithole.stage2.libcontainer.configs.CapabilitySet;
import dev.rabbithole.stage2.libcontainer.configs.ContainerConfig;
import dev.rabbithole.stage2.libcontainer.configs.NamespaceType;
import dev.rabbithole.stage2.libcontainer.configs.ProcessConfig;
import dev.rabbithole.stage2.libcontainer.configs.Rlimit;
import dev.rabbithole.stage2.libcontainer.rootfs.RootfsSetup;
import dev.rabbithole.stage2.libcontainer.system.JnaSyscalls;
import dev.rabbithole.stage2.libcontainer.system.RecordingSyscalls;
import dev.rabbithole.stage2.libcontainer.system.SyscallException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.URISyntaxException;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The container init, {@code java -cp <classpath> dev.rabbithole.stage2.libcontainer.process.InitMain SOCKET}:
 * the analogue of {@code runc init}. Started by the parent in new namespaces (pid 1 in its pid namespace),
 * with fds 0, 1, 2 already the workload's stdio. It never writes to them; everything it has to say goes over
 * the control socket.
 *
 * <p>Protocol ({@link InitMessage}s over the unix socket SOCKET in the state directory):
 * <ol>
 * <li>init connects; parent sends {@code config} (the ContainerConfig and the /etc files);</li>
 * <li>parent puts the init's pid into the cgroup, then sends {@code go};</li>
 * <li>init sets up the container; on failure it sends {@code error} and exits 1;</li>
 * <li>init sets PR_SET_PDEATHSIG (when configured), sends {@code exec} with the kernel calls it made (and the
 *     last ones it is about to make) and waits for the parent's second {@code go} (sent once the workload's
 *     memory limit is in place, where the init's usage fits under it): the container is "created";</li>
 * <li>with a start gate (the config's {@code execFifo}), it blocks reading one byte from that FIFO, which it
 *     opened read-write before pivot_root; {@code start}, from any process, writes the byte; then it runs the
 *     startContainer hooks, when the runtime left any ({@link InnerHooks}: with a start gate, the runtime may
 *     leave createContainer hooks, run before pivot_root, and a session keyring to join,
 *     {@link SessionKeyring});</li>
 * <li>init marks all fds close-on-exec, installs seccomp, execve's; the socket then reaches end of
 *     stream at the parent, which means "started".</li>
 * </ol>
 */
public final class InitMain {
    /** The argument that makes the init a training run for the class-data-sharing archive. */
    public static final String TRAIN = "--train";
    /**
     * The argument of an init started ahead of its container by the daemon's init pool
     * ({@code InitMain --pooled SOCKET}): it loads its classes and libc before it connects, and once it has its
     * config it makes the mount namespace itself (a copy of the host's mounts of that moment, which holds the
     * container's rootfs), on its main thread, which does all of the setup and the execve.
     */
    public static final String POOLED = "--pooled";

    /** The JDK's system property that picks how a {@link ProcessBuilder} starts a child. */
    static final String LAUNCH_MECHANISM = "jdk.lang.Process.launchMechanism";
    /** prctl(2): set the process's "dumpable" attribute; 0 makes its /proc files root's and refuses ptrace. */
    static final int PR_SET_DUMPABLE = 4;

    private InitMain() { }

    /**
     * A training run ({@code InitMain --train DIR}) for the init's AppCDS archive: does what an init does, with
     * nothing reaching the kernel but getpid (a recording {@link dev.rabbithole.stage2.libcontainer.system.Syscalls}
     * without a delegate, a rootfs under DIR), so the JVM that runs it with {@code -XX:ArchiveClassesAtExit}
     * archives the classes a real init loads. Exits normally (the archive is written at exit).
     *
     * @param dir an empty scratch directory
     */
    static void train(Path dir) {
        try {
            new JnaSyscalls().getpid();
            Path rootfs = Files.createDirectories(dir.resolve("rootfs"));
            ContainerConfig config = new ContainerConfig("train", rootfs, false, "train",
                    EnumSet.of(NamespaceType.MOUNT, NamespaceType.UTS, NamespaceType.IPC, NamespaceType.PID,
                            NamespaceType.NET, NamespaceType.CGROUP), List.of(), List.of("/proc/keys"),
                    List.of("/proc/sys"), null, CapabilitySet.of(Set.of("CHOWN", "KILL")), null, true,
                    List.of(new Rlimit("RLIMIT_NOFILE", 1024, 1024)),
                    new ProcessConfig(List.of("/bin/sh", "-c", "true"), List.of("PATH=/bin"), "/", 0, 0, List.of()));
            RecordingSyscalls rec = new RecordingSyscalls();
            List<RecordingSyscalls.Call> last = new ArrayList<>();
            new ContainerInit(rec, 40).run(config, new byte[8], RootfsSetup.EtcFiles.NONE, (p, r) -> last.addAll(r));
            Path socket = dir.resolve("train.sock");
            try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
                server.bind(UnixDomainSocketAddress.of(socket));
                try (InitChannel client = InitChannel.connect(socket); InitChannel parent = new InitChannel(server.accept())) {
                    parent.send(InitMessage.config(config, null, null, null, new byte[8]));
                    client.receive();
                    parent.send(InitMessage.go());
                    client.receive();
                    client.send(InitMessage.exec("/bin/sh", rec.calls(), new LinkedHashMap<>(Map.of("connected", 1L))));
                    parent.receive();
                    client.send(InitMessage.error(describe(new IllegalStateException("train"))));
                    parent.receive();
                }
            }
        } catch (IOException | RuntimeException e) {
            System.err.println("init training run: " + e);
            System.exit(1);
        }
    }

    /**
     * @param args {@code args[0]}: the control socket's path
     */
    public static void main(String[] args) {
        long t0 = System.nanoTime();
        if (System.getProperty(LAUNCH_MECHANISM) == null) {
            // the JDK's default helper program (jspawnhelper) is a host path pivot_root hides; the hooks run
            // inside the container (InnerHooks) start their processes with vfork(2) instead
            System.setProperty(LAUNCH_MECHANISM, "VFORK");
        }
        Map<String, Long> timings = new LinkedHashMap<>();
        if (args.length == 2 && args[0].equals(TRAIN)) {
            train(Path.of(args[1]));
            return;
        }
        boolean pooled = args.length == 2 && args[0].equals(POOLED);
        if (args.length != 1 && !pooled) {
            System.err.println("usage: InitMain SOCKET | InitMain --pooled SOCKET | InitMain --train DIR");
            System.exit(2);
        }
        RecordingSyscalls early = null;
        if (pooled) { // the work of a cold init between config and go, done while the pool waits
            try {
                preloadClasses();
                early = new RecordingSyscalls(new JnaSyscalls());
                early.getpid();
                warmUp();
            } catch (Throwable t) {
                System.err.println("init: " + describe(t));
                System.exit(1);
            }
        }
        InitChannel channel;
        try {
            channel = InitChannel.connect(Path.of(args[args.length - 1]));
        } catch (IOException e) {
            System.err.println("init: cannot reach the parent: " + e.getMessage());
            System.exit(1);
            return;
        }
        timings.put("connected", (System.nanoTime() - t0) / 1000);
        try {
            InitMessage config = channel.receive();
            if (pooled) { // the parent aligns the init's clock on "connected": for a pooled init, the take
                timings.put("connected", (System.nanoTime() - t0) / 1000);
            }
            timings.put("config parsed", (System.nanoTime() - t0) / 1000);
            if (config == null || !InitMessage.CONFIG.equals(config.type())) {
                throw new IllegalStateException("expected a config message, got " + config);
            }
            if (!pooled) {
                preloadClasses();
                timings.put("classes preloaded", (System.nanoTime() - t0) / 1000);
            }
            // always recorded (cheap): the parent merges these lines into LinuxContainer.kernelCalls()
            RecordingSyscalls sys = pooled ? early : new RecordingSyscalls(new JnaSyscalls());
            ContainerInit init = new ContainerInit(sys);
            // tag::init-not-dumpable[]
            // until its execve this JVM is pid 1 of the container's pid namespace holding the host's java binary,
            // jar and files open: a process exec'd into the created container must not reach them through
            // /proc/1/task/TID/{exe,fd} of this (main) thread, which has dropped to the container's uid and
            // capabilities at the start gate, so that the ptrace access check lets such a process in: it could
            // open the runtime's jar for writing (CVE-2019-5736); execve makes the workload dumpable again
            sys.because("not dumpable: the container cannot open the host's java or jar through /proc/1")
                    .prctl(PR_SET_DUMPABLE, 0, 0);
            // end::init-not-dumpable[]
            if (!pooled) {
                sys.getpid(); // loads libc through JNA while the parent sets up the cgroup
                timings.put("libc loaded (JNA)", (System.nanoTime() - t0) / 1000);
            }
            Set<NamespaceType> ns = config.config().namespaces();
            if (pooled && ns.contains(NamespaceType.MOUNT)) {
                sys.because("pooled init: its own mount namespace, for this thread, now that the rootfs is mounted")
                        .unshare(NamespaceType.MOUNT.cloneFlag);
            }
            InitMessage go = channel.receive();
            timings.put("go received", (System.nanoTime() - t0) / 1000);
            if (go == null || !InitMessage.GO.equals(go.type())) {
                System.exit(1); // the parent gave up; nothing to report to
            }
            if (ns.contains(NamespaceType.CGROUP)) {
                sys.because("the cgroup namespace after the cgroup placement: its root is the container's cgroup")
                        .unshare(NamespaceType.CGROUP.cloneFlag);
            }
            RootfsSetup.EtcFiles etc = new RootfsSetup.EtcFiles(path(config.hostname()), path(config.hosts()),
                    path(config.resolvConf()));
            // opened before pivot_root hides the host's state directory; O_RDWR does not wait for a writer
            java.nio.channels.FileChannel gate = config.execFifo() == null ? null
                    : java.nio.channels.FileChannel.open(Path.of(config.execFifo()),
                            java.nio.file.StandardOpenOption.READ, java.nio.file.StandardOpenOption.WRITE);
            // tag::init-inner-hooks[]
            // the runtime-spec hooks run inside the container, left by the runtime next to the start gate
            InnerHooks inner = gate == null ? null : InnerHooks.read(Path.of(config.execFifo()).getParent());
            java.nio.channels.FileChannel hooksResult = inner == null || inner.startContainer().isEmpty() ? null
                    : java.nio.channels.FileChannel.open(
                            Path.of(config.execFifo()).resolveSibling(InnerHooks.RESULT_FIFO),
                            java.nio.file.StandardOpenOption.READ, java.nio.file.StandardOpenOption.WRITE);
            String keyring = gate == null ? null : SessionKeyring.requested(Path.of(config.execFifo()).getParent());
            Runnable beforePivot = () -> {
                if (keyring != null) { // on this thread, the one that execs: the workload's and the hooks'
                    sys.note("keyctl", "KEYCTL_JOIN_SESSION_KEYRING, \"" + keyring + "\"",
                            "the container's own session keyring: " + SessionKeyring.join(keyring));
                }
                if (inner != null && !inner.createContainer().isEmpty()) {
                    InnerHooks.run(inner.createContainer(), "createContainer", inner.stateFor("creating", sys.getpid()));
                }
            };
            // end::init-inner-hooks[]
            init.run(config.config(), config.seccomp(), etc, beforePivot, (program, remaining) -> {
                List<RecordingSyscalls.Call> calls = new ArrayList<>(sys.calls());
                if (gate != null) {
                    calls.add(new RecordingSyscalls.Call("read", List.of("exec.fifo", "1 byte"),
                            "the start gate: created; wait here until start writes a byte", null));
                }
                calls.addAll(remaining);
                timings.put("set up, about to exec", (System.nanoTime() - t0) / 1000);
                try {
                    // after PR_SET_PDEATHSIG: a parent that died before it makes this send fail, one that dies
                    // after it kills the init
                    channel.send(InitMessage.exec(program, calls, timings));
                    // the parent answers "go" once the workload's limits are in place where they fit the init
                    // (LinuxContainer): the workload never runs under the init JVM's raised limits
                    InitMessage limits = channel.receive();
                    if (limits == null || !InitMessage.GO.equals(limits.type())) {
                        System.exit(1); // the parent gave up
                    }
                    if (gate != null) {
                        awaitStart(gate);
                    }
                    if (hooksResult != null) {
                        startContainerHooks(inner, hooksResult, sys.getpid());
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (Throwable t) {
            try {
                channel.send(t instanceof SyscallException se ? InitMessage.error(describe(t), se.call(), se.errno())
                        : t instanceof ContainerInit.ExecutableNotFoundException
                        ? InitMessage.error(describe(t), "execve", SyscallException.ENOENT)
                        : InitMessage.error(describe(t)));
            } catch (Throwable ignored) {
                // the parent is gone; exiting is all that is left
            }
        }
        System.exit(1);
    }

    /**
     * A pooled init's warm-up: one training run ({@link #train}) in a scratch directory below its working
     * directory (the pool's), so that the classes of a start are linked and initialised, and its codec and
     * setup code run once, before a container waits for them. Nothing reaches the kernel but getpid.
     */
    private static void warmUp() throws IOException {
        Path scratch = Files.createTempDirectory(Path.of("").toAbsolutePath(), "warm-");
        try {
            train(scratch);
        } finally {
            try (Stream<Path> s = Files.walk(scratch)) {
                for (Path p : (Iterable<Path>) s.sorted(java.util.Comparator.reverseOrder())::iterator) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    /**
     * The start gate: blocks until {@code start} writes a byte into the FIFO. The creating process may be gone by
     * then: this socket's peer closed, nothing more is sent to it.
     */
    private static void awaitStart(java.nio.channels.FileChannel gate) throws IOException {
        java.nio.ByteBuffer one = java.nio.ByteBuffer.allocate(1);
        while (one.hasRemaining()) {
            if (gate.read(one) < 0) {
                throw new IOException("the start gate closed before start");
            }
        }
    }

    /**
     * The startContainer hooks, after the start gate opened: their outcome, {@code ok} or the error, is one line
     * into the result FIFO that {@code start} reads.
     */
    private static void startContainerHooks(InnerHooks inner, java.nio.channels.FileChannel result, long pid)
            throws IOException {
        String outcome = "ok";
        try {
            InnerHooks.run(inner.startContainer(), "startContainer", inner.stateFor("created", pid));
        } catch (RuntimeException e) {
            outcome = e.getMessage();
            throw e;
        } finally {
            byte[] line = (outcome.replace('\n', ' ') + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8);
            result.write(java.nio.ByteBuffer.wrap(line, 0, Math.min(line.length, 4000)));
        }
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
    static void preloadClasses() throws IOException, URISyntaxException, ClassNotFoundException {
        Path location = Path.of(InitMain.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        if (!Files.isDirectory(location)) {
            return;
        }
        ClassLoader loader = InitMain.class.getClassLoader();
        try (Stream<Path> files = Files.walk(location.resolve("dev/rabbithole/stage2/libcontainer"))) {
            for (Path f : (Iterable<Path>) files.filter(f -> f.toString().endsWith(".class"))::iterator) {
                String name = location.relativize(f).toString().replace('/', '.').replaceAll("\\.class$", "");
                Class.forName(name, false, loader); // loaded, not initialised: no Jackson in the init
            }
        }
    }
}
