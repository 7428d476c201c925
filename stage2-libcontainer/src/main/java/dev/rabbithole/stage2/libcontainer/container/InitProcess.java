package dev.rabbithole.stage2.libcontainer.container;

import dev.rabbithole.stage2.libcontainer.cgroups.CgroupManager;
import dev.rabbithole.stage2.libcontainer.configs.Cgroup;
import dev.rabbithole.stage2.libcontainer.configs.ContainerConfig;
import dev.rabbithole.stage2.libcontainer.configs.NamespaceType;
import dev.rabbithole.stage2.libcontainer.namespaces.NamespaceSpawner;
import dev.rabbithole.stage2.libcontainer.process.InitChannel;
import dev.rabbithole.stage2.libcontainer.process.InitMessage;
import dev.rabbithole.stage2.libcontainer.system.RecordingSyscalls;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The parent side of the init handshake, as runc's {@code initProcess}: spawns the init JVM (or takes one from
 * the {@link InitPool}), sends it the config, places it in its cgroup, says "go", and reads what it reports
 * until it waits at the start gate ({@link #awaitCreated}), then until its execve closes the socket
 * ({@link #awaitExec}). The init side is {@link dev.rabbithole.stage2.libcontainer.process.InitMain}. A
 * watchdog kills the init when a phase takes longer than the start timeout.
 */
final class InitProcess implements AutoCloseable {
    private final ContainerConfig config;
    private final Path stateDir;
    private final LinuxContainer.Options options;
    private final byte[] seccomp;
    private final RecordingSyscalls parent;
    private final StartReport report;
    private final CgroupManager cgroup;
    private final Path socket;
    /** A short symlink to the state directory when the socket's own path is too long for sun_path, else null. */
    private final Path shortLink;
    private final ServerSocketChannel server;
    private final ScheduledExecutorService timer;
    private final AtomicBoolean timedOut = new AtomicBoolean();
    private ScheduledFuture<?> watchdog;
    private InitPool.Taken taken;
    private Process process;
    private InitChannel channel;

    InitProcess(ContainerConfig config, Path stateDir, LinuxContainer.Options options, byte[] seccomp,
                RecordingSyscalls parent, StartReport report, CgroupManager cgroup) throws IOException {
        this.config = config;
        this.stateDir = stateDir;
        this.options = options;
        this.seccomp = seccomp;
        this.parent = parent;
        this.report = report;
        this.cgroup = cgroup;
        // sun_path holds 108 bytes (unix(7)): a state directory deep under a shim's root (Docker's exec root,
        // a 64-character ID) is reached through a short symlink in the temporary directory instead
        Path full = stateDir.resolve("init.sock");
        if (full.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8).length > MAX_SOCKET_PATH) {
            Path link = Path.of(System.getProperty("java.io.tmpdir"), "rh-init-"
                    + Long.toHexString(java.util.concurrent.ThreadLocalRandom.current().nextLong() >>> 1));
            Files.createSymbolicLink(link, stateDir.toAbsolutePath());
            this.shortLink = link;
            this.socket = link.resolve("init.sock");
        } else {
            this.shortLink = null;
            this.socket = full;
        }
        this.server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "start-watchdog-" + config.id());
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Spawns the init in new namespaces (all but the cgroup one, which the init makes after its cgroup
     * placement), or takes an idle one from {@code pool} when one fits.
     *
     * @param pool the pool, or null for a new init
     * @return the init process
     * @throws IOException when it cannot be started
     */
    Process spawn(InitPool pool) throws IOException {
        boolean joins = config.namespacePaths() != null && !config.namespacePaths().isEmpty();
        taken = pool == null || joins || !pool.stdio().equals(options.stdio()) ? null : pool.take(config.namespaces());
        if (taken != null) {
            process = taken.process();
            parent.addAll(taken.spawnCalls());
            parent.because("init JVM taken from the daemon's init pool, " + taken.ageMillis()
                    + " ms after its start: connected, waiting for its config").note("pool", "take",
                    "pid " + process.pid());
            report.mark("taken from the init pool");
        } else {
            server.bind(UnixDomainSocketAddress.of(socket));
            ProcessBuilder pb = new ProcessBuilder(options.init().command(socket))
                    .redirectInput(options.stdio().in())
                    .redirectOutput(options.stdio().out())
                    .redirectError(options.stdio().err());
            pb.environment().clear(); // the init JVM sees no JAVA_TOOL_OPTIONS; the workload gets config's env
            pb.directory(stateDir.toFile());
            Set<NamespaceType> spawnNs = EnumSet.noneOf(NamespaceType.class);
            spawnNs.addAll(config.namespaces());
            spawnNs.remove(NamespaceType.CGROUP);
            process = new NamespaceSpawner(parent).spawn(spawnNs,
                    joins ? config.namespacePaths() : java.util.Map.of(), pb, config.id());
            if (pool != null) {
                parent.because("a new init JVM: the init pool had no idle init for these namespaces")
                        .note("pool", "none");
            }
            report.mark("spawned");
        }
        process.onExit().thenRun(() -> closeQuietly(server)); // an init that dies before connecting unblocks accept
        arm();
        return process;
    }

    /**
     * The handshake up to the start gate: config, cgroup placement, "go", the init's {@code exec} report, and
     * a second "go" once {@code beforeExec} has run (the init then blocks on {@code execFifo}, or, without a
     * gate, goes on to its last calls).
     *
     * @param execFifo   host path of the start gate, or null for none
     * @param beforeExec what the parent does between the init's report and its execve
     * @return the kernel calls the init made and is about to make
     * @throws ContainerException the init's error ({@link ContainerException.Kind#INIT_FAILED}), or a timeout
     */
    // tag::init-pipe[]
    List<RecordingSyscalls.Call> awaitCreated(Path execFifo, Runnable beforeExec)
            throws ContainerException, IOException {
        SocketChannel accepted;
        try {
            accepted = taken != null ? taken.channel() : server.accept();
        } catch (ClosedChannelException e) {
            throw timedOut.get() ? new ContainerException("timed out waiting for the init to connect")
                    : died("before connecting");
        }
        report.mark(StartReport.CONNECTED);
        channel = new InitChannel(accepted);
        Files.deleteIfExists(socket);
        deleteShortLink();
        channel.send(InitMessage.config(config, etcFile("hostname"), etcFile("hosts"), etcFile("resolv.conf"),
                seccomp, execFifo == null ? null : execFifo.toString()));
        if (cgroup != null) { // before go: the init's children inherit it
            cgroup.apply(process.pid());
            int from = parent.size();
            Cgroup.Resources wanted = config.cgroup().resources();
            Cgroup.Resources forInit = LinuxContainer.initResources(wanted);
            cgroup.set(forInit);
            if (!forInit.equals(wanted)) {
                parent.annotateFrom(from, "raised to the init JVM's floor until its execve");
            }
        }
        report.mark("config sent, cgroup set");
        parent.because("the init may go on: it is in its cgroup").note("write", "init.sock", "\"go\"");
        channel.send(InitMessage.go());
        InitMessage m = receive();
        if (m != null && InitMessage.ERROR.equals(m.type())) {
            throw ContainerException.initFailed(m.error(), m.failedCall(), m.errno());
        }
        if (m == null || !InitMessage.EXEC.equals(m.type())) {
            throw timedOut.get() ? new ContainerException("timed out waiting for the init") : died("before exec");
        }
        report.initSteps(m.timings());
        report.mark("exec reported");
        beforeExec.run(); // the workload's memory limit, where the init's usage fits under it
        try {
            channel.send(InitMessage.go()); // the init may go on to the start gate and its execve
        } catch (IOException gone) {
            // the init died: the next read says so
        }
        disarm();
        return m.calls() == null ? List.of() : m.calls();
    }

    /**
     * After the start gate opened: reads until end of stream, which the init's execve causes (its socket is
     * close-on-exec), or an error the init sent when the execve failed.
     *
     * @throws ContainerException the init's error, its death, or a timeout
     */
    void awaitExec() throws ContainerException, IOException {
        arm();
        InitMessage m = receive();
        if (m != null && InitMessage.ERROR.equals(m.type())) {
            throw ContainerException.initFailed(m.error(), m.failedCall(), m.errno());
        }
        if (timedOut.get()) {
            throw new ContainerException("timed out waiting for the init");
        }
        disarm();
        report.mark("exec done (socket closed)");
    }
    // end::init-pipe[]

    /** A file of the state directory to bind on /etc, when there is one. */
    private String etcFile(String name) {
        Path p = stateDir.resolve(name);
        return Files.isRegularFile(p) ? p.toString() : null;
    }

    private InitMessage receive() throws IOException {
        try {
            return channel.receive();
        } catch (ClosedChannelException e) {
            return null; // the watchdog closed it
        }
    }

    private ContainerException died(String when) {
        int code;
        try {
            code = process.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            code = -1;
        }
        return ContainerException.initFailed("init exited with code " + code + " " + when, null, 0);
    }

    private void arm() {
        Process p = process;
        watchdog = timer.schedule(() -> {
            timedOut.set(true);
            closeQuietly(server);
            InitChannel c = channel;
            if (c != null) {
                closeQuietly(c);
            }
            p.destroyForcibly();
        }, options.startTimeout().toMillis(), TimeUnit.MILLISECONDS);
    }

    private void disarm() {
        ScheduledFuture<?> w = watchdog;
        if (w != null) {
            w.cancel(false);
        }
    }

    /** Closes the socket (the init, if still waiting, sees end of stream) and the watchdog. */
    @Override
    public void close() {
        disarm();
        timer.shutdownNow();
        closeQuietly(server);
        if (channel != null) {
            closeQuietly(channel);
        }
        try {
            Files.deleteIfExists(socket);
        } catch (IOException ignored) {
            // the state directory goes with destroy
        }
        deleteShortLink();
    }

    /** The longest socket path bound as it is, bytes: sun_path's 108 less its NUL, with room to spare. */
    static final int MAX_SOCKET_PATH = 100;

    private void deleteShortLink() {
        if (shortLink != null) {
            try {
                Files.deleteIfExists(shortLink);
            } catch (IOException ignored) {
                // a dangling symlink in the temporary directory
            }
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception ignored) {
            // closing to unblock a waiter
        }
    }
}
