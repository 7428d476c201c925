package dev.rabbithole.stage2.libcontainer.container;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rabbithole.stage2.libcontainer.configs.ContainerConfig;
import dev.rabbithole.stage2.libcontainer.namespaces.NamespaceSpawner;
import dev.rabbithole.stage2.libcontainer.process.InitChannel;
import dev.rabbithole.stage2.libcontainer.process.InitMessage;
import dev.rabbithole.stage2.libcontainer.system.SyscallException;
import dev.rabbithole.stage2.libcontainer.system.Syscalls;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.ProcessBuilder.Redirect;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Comparator;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;

/**
 * One container and its lifecycle: {@link #start}, {@link #signal}, {@link #waitFor}, {@link #destroy}, as
 * runc's {@code libcontainer.linuxContainer} and youki's container operations. Each operation refreshes the
 * state (is the workload still alive?), checks it may run now, acts, and persists {@code state.json}.
 *
 * <p>The workload is pid 1 of its pid namespace (no {@code --init}): the kernel delivers a signal sent from
 * outside to it only when it has a handler for that signal, or the signal is SIGKILL or SIGSTOP. A shell
 * ignores SIGTERM that way; {@code docker stop} then falls back to SIGKILL after its timeout. When pid 1
 * exits, the kernel kills every other process of the namespace.
 *
 * <p>The container does not outlive this JVM's interest in it only by convention: the init is a child of a
 * thread that has ended, so PR_SET_PDEATHSIG cannot tie it to the daemon; the daemon destroys its containers
 * on shutdown.
 */
public final class LinuxContainer {
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * The workload's stdio, the init's fds 0, 1, 2 ({@link Redirect#PIPE} exposes them on {@link #process()}).
     *
     * @param in  stdin
     * @param out stdout
     * @param err stderr
     */
    public record Stdio(Redirect in, Redirect out, Redirect err) {
        /** Three pipes to the caller. */
        public static final Stdio PIPES = new Stdio(Redirect.PIPE, Redirect.PIPE, Redirect.PIPE);
    }

    /**
     * How the container is run.
     *
     * @param syscalls     the host-side kernel interface (unshare on the spawner thread, kill)
     * @param cgroups      the cgroup seam
     * @param init         the init JVM command
     * @param startTimeout how long start waits for the init at each step before killing it
     * @param stdio        the workload's stdio
     */
    public record Options(Syscalls syscalls, CgroupApplier cgroups, InitCommand init, Duration startTimeout,
                          Stdio stdio) {
    }

    private final ContainerConfig config;
    private final Path stateDir;
    private final Options options;
    private volatile Status status = Status.CREATING;
    private volatile Process process;
    private volatile int exitCode = -1;

    private LinuxContainer(ContainerConfig config, Path stateDir, Options options) {
        this.config = config;
        this.stateDir = stateDir;
        this.options = options;
    }

    /**
     * Creates the container's state directory {@code stateRoot/ID} (state.json, /etc files, the control
     * socket); nothing runs yet.
     *
     * @param config    the container
     * @param stateRoot directory holding one directory per container, e.g. {@code /run/rabbithole/stage2/containers}
     * @param options   how to run it
     * @return the container in status {@link Status#CREATING}
     * @throws ContainerException when the ID is taken, invalid, or the directory cannot be written
     */
    public static LinuxContainer create(ContainerConfig config, Path stateRoot, Options options)
            throws ContainerException {
        Objects.requireNonNull(config.id(), "id");
        if (!config.id().matches("[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")) {
            throw new ContainerException("invalid container id " + config.id());
        }
        Path dir = stateRoot.resolve(config.id());
        try {
            Files.createDirectories(stateRoot);
            Files.createDirectory(dir);
            LinuxContainer c = new LinuxContainer(config, dir, options);
            c.writeEtcFiles();
            c.persist();
            return c;
        } catch (java.nio.file.FileAlreadyExistsException e) {
            throw new ContainerException("container " + config.id() + " already exists");
        } catch (IOException e) {
            throw new ContainerException("cannot create state directory " + dir + ": " + e.getMessage(), e);
        }
    }

    private void writeEtcFiles() throws IOException {
        String hostname = config.hostname() == null || config.hostname().isEmpty()
                ? config.id().substring(0, Math.min(12, config.id().length())) : config.hostname();
        Files.writeString(stateDir.resolve("hostname"), hostname + "\n");
        Files.writeString(stateDir.resolve("hosts"), "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
                + "127.0.1.1\t" + hostname + "\n");
        Path hostResolv = Path.of("/etc/resolv.conf");
        Files.writeString(stateDir.resolve("resolv.conf"), Files.isReadable(hostResolv)
                ? Files.readString(hostResolv) : "");
    }

    /** @return the container's ID */
    public String id() {
        return config.id();
    }

    /** @return the state directory on the host */
    public Path stateDir() {
        return stateDir;
    }

    /** @return the workload process (its streams are the workload's stdio when {@link Stdio#PIPES}); null before start */
    public Process process() {
        return process;
    }

    /**
     * The kernel calls that starting this container made, in order: the parent's (unshare, cgroup placement)
     * and the init's (mounts, pivot_root, sethostname, capset, seccomp, execve), one line each with its
     * arguments and a short reason, e.g. {@code unshare(CLONE_NEWPID|CLONE_NEWNS|...)  new pid namespace for
     * the init}. What {@code run --explain} prints.
     *
     * @return the lines; empty before {@link #start()} or when the calls were not recorded
     */
    public java.util.List<String> kernelCalls() {
        return java.util.List.of(); // TODO(stage-2 libcontainer helper): the recorded calls
    }

    /** @return the current state, refreshed (a workload that exited is {@link Status#STOPPED}) */
    public ContainerState state() {
        refresh();
        Process p = process;
        return new ContainerState(config.id(), status, p == null ? 0 : p.pid(), exitCode,
                String.valueOf(config.rootfs()));
    }

    private synchronized void refresh() {
        Process p = process;
        if (status == Status.RUNNING && p != null && !p.isAlive()) {
            exitCode = p.exitValue();
            status = Status.STOPPED;
            persistQuietly();
        }
    }

    /**
     * Starts the container: spawns the init in new namespaces, sends it the config, applies the cgroup to
     * its pid, sends "go", and waits until it has exec'd the workload (the control socket reaches end of
     * stream) or reported an error. On failure nothing is left running and the error is the init's message.
     *
     * @throws ContainerException with the init's error ({@code pivot_root: Invalid argument}), a timeout, or
     *                            when the container is not in status CREATING
     */
    public synchronized void start() throws ContainerException {
        if (status != Status.CREATING || process != null) {
            throw new ContainerException("container " + id() + " cannot be started: it is " + status);
        }
        Path socket = stateDir.resolve("init.sock");
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "start-watchdog-" + id());
            t.setDaemon(true);
            return t;
        });
        AtomicBoolean timedOut = new AtomicBoolean();
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(socket));
            ProcessBuilder pb = new ProcessBuilder(options.init().command(socket))
                    .redirectInput(options.stdio().in())
                    .redirectOutput(options.stdio().out())
                    .redirectError(options.stdio().err());
            pb.environment().clear(); // the init JVM sees no JAVA_TOOL_OPTIONS; the workload gets config's env
            pb.directory(stateDir.toFile());
            Process p = new NamespaceSpawner(options.syscalls()).spawn(config.namespaces(), pb, id());
            process = p;
            p.onExit().thenRun(() -> closeQuietly(server)); // an init that dies before connecting unblocks accept
            ScheduledFuture<?> watchdog = timer.schedule(() -> {
                timedOut.set(true);
                closeQuietly(server);
                p.destroyForcibly();
            }, options.startTimeout().toMillis(), TimeUnit.MILLISECONDS);
            // tag::init-pipe[]
            SocketChannel accepted;
            try {
                accepted = server.accept();
            } catch (ClosedChannelException e) {
                throw failure(timedOut.get() ? "timed out waiting for the init to connect"
                        : "init exited with code " + p.waitFor() + " before connecting");
            }
            try (InitChannel channel = new InitChannel(accepted)) {
                Files.deleteIfExists(socket);
                channel.send(new InitMessage(InitMessage.CONFIG, config, stateDir.resolve("hostname").toString(),
                        stateDir.resolve("hosts").toString(), stateDir.resolve("resolv.conf").toString(), null, null));
                options.cgroups().apply(config.cgroup(), p.pid()); // before go: the init's children inherit it
                channel.send(InitMessage.go());
                boolean execing = false;
                for (InitMessage m; (m = channel.receive()) != null; ) {
                    if (InitMessage.ERROR.equals(m.type())) {
                        throw failure(m.error());
                    }
                    execing |= InitMessage.EXEC.equals(m.type());
                }
                // End of stream: the init exec'd (its socket was close-on-exec), or died.
                if (timedOut.get()) {
                    throw failure("timed out waiting for the init");
                }
                if (!execing) {
                    throw failure("init exited with code " + p.waitFor() + " before exec");
                }
            } catch (ClosedChannelException e) {
                throw failure("timed out waiting for the init");
            }
            // end::init-pipe[]
            watchdog.cancel(false);
            status = Status.RUNNING;
            persist();
        } catch (ContainerException e) {
            cleanupAfterFailedStart();
            throw e;
        } catch (IOException | RuntimeException e) {
            cleanupAfterFailedStart();
            throw new ContainerException("start " + id() + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            cleanupAfterFailedStart();
            throw new ContainerException("start " + id() + ": interrupted", e);
        } finally {
            timer.shutdownNow();
        }
    }

    private ContainerException failure(String message) {
        return new ContainerException(message);
    }

    private void cleanupAfterFailedStart() {
        Process p = process;
        if (p != null) {
            p.destroyForcibly();
            try {
                p.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        status = Status.STOPPED;
        exitCode = p != null && !p.isAlive() ? p.exitValue() : -1;
        try {
            Files.deleteIfExists(stateDir.resolve("init.sock"));
        } catch (IOException e) {
            // destroy() removes the whole state directory
        }
        try {
            options.cgroups().destroy(config.cgroup());
        } catch (IOException e) {
            // reported by destroy() later; the start error matters more
        }
        persistQuietly();
    }

    /**
     * Sends a signal to the workload (kill(2) on its host pid).
     *
     * @param signal signal number, e.g. {@link Syscalls#SIGTERM}; see the class comment for pid 1
     * @throws ContainerException when the container is not running
     */
    public void signal(int signal) throws ContainerException {
        refresh();
        Process p = process;
        if (status != Status.RUNNING || p == null) {
            throw new ContainerException("container " + id() + " is not running (" + status + ")");
        }
        try {
            options.syscalls().because("signal the workload, pid 1 of its namespace").kill((int) p.pid(), signal);
        } catch (SyscallException e) {
            if (e.errno() != SyscallException.ESRCH) {
                throw new ContainerException("kill " + id() + ": " + e.getMessage(), e);
            }
        }
    }

    /**
     * Waits for the workload to exit.
     *
     * @return its exit code: the status it passed to exit(2), or 128 + the signal number that killed it
     * @throws ContainerException when the container was never started
     * @throws InterruptedException when interrupted while waiting
     */
    public int waitFor() throws ContainerException, InterruptedException {
        Process p = process;
        if (p == null) {
            throw new ContainerException("container " + id() + " was not started");
        }
        int code = p.waitFor();
        synchronized (this) {
            if (status == Status.RUNNING) {
                status = Status.STOPPED;
                exitCode = code;
                persistQuietly();
            }
        }
        return code;
    }

    /**
     * Kills whatever is left (SIGKILL to pid 1 ends the whole pid namespace), removes the cgroup and the
     * state directory. Idempotent.
     *
     * @throws ContainerException when the cgroup cannot be removed or the workload does not die
     */
    public synchronized void destroy() throws ContainerException {
        Process p = process;
        if (p != null && p.isAlive()) {
            try {
                options.syscalls().because("destroy: SIGKILL to pid 1 ends its pid namespace")
                        .kill((int) p.pid(), Syscalls.SIGKILL);
            } catch (SyscallException e) {
                // ESRCH: a process that is already gone is success
                if (e.errno() != SyscallException.ESRCH) {
                    throw new ContainerException("kill " + id() + ": " + e.getMessage(), e);
                }
            }
            try {
                if (!p.waitFor(10, TimeUnit.SECONDS)) {
                    throw new ContainerException("container " + id() + " did not die after SIGKILL");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ContainerException("destroy " + id() + ": interrupted", e);
            }
            exitCode = p.exitValue();
        }
        try {
            options.cgroups().destroy(config.cgroup());
            deleteRecursively(stateDir);
        } catch (IOException | UncheckedIOException e) {
            throw new ContainerException("destroy " + id() + ": " + e.getMessage(), e);
        }
        status = Status.DESTROYED;
    }

    private static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) paths.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        }
    }

    private void persist() throws IOException {
        if (!Files.isDirectory(stateDir)) {
            return;
        }
        Process p = process;
        ContainerState s = new ContainerState(config.id(), status, p == null ? 0 : p.pid(), exitCode,
                String.valueOf(config.rootfs()));
        Path tmp = stateDir.resolve("state.json.tmp");
        try (var ch = java.nio.channels.FileChannel.open(tmp, java.nio.file.StandardOpenOption.CREATE,
                java.nio.file.StandardOpenOption.WRITE, java.nio.file.StandardOpenOption.TRUNCATE_EXISTING)) {
            ch.write(java.nio.ByteBuffer.wrap(JSON.writeValueAsBytes(s)));
            ch.force(true);
        }
        Files.move(tmp, stateDir.resolve("state.json"), StandardCopyOption.ATOMIC_MOVE,
                StandardCopyOption.REPLACE_EXISTING);
    }

    private void persistQuietly() {
        try {
            persist();
        } catch (IOException e) {
            // state.json is informational for this JVM; the in-memory state is authoritative
        }
    }

    private static void closeQuietly(java.io.Closeable c) {
        try {
            c.close();
        } catch (IOException ignored) {
            // closing to unblock a waiter
        }
    }
}
