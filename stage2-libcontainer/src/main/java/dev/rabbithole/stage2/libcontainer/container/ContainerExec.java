package dev.rabbithole.stage2.libcontainer.container;

import dev.rabbithole.stage2.libcontainer.cgroups.CgroupManager;
import dev.rabbithole.stage2.libcontainer.configs.ContainerConfig;
import dev.rabbithole.stage2.libcontainer.configs.ExecConfig;
import dev.rabbithole.stage2.libcontainer.configs.NamespaceType;
import dev.rabbithole.stage2.libcontainer.configs.ProcessConfig;
import dev.rabbithole.stage2.libcontainer.configs.Seccomp;
import dev.rabbithole.stage2.libcontainer.namespaces.NamespaceJoiner;
import dev.rabbithole.stage2.libcontainer.process.ExecChannel;
import dev.rabbithole.stage2.libcontainer.seccomp.SeccompCompiler;
import dev.rabbithole.stage2.libcontainer.system.Descriptors;
import dev.rabbithole.stage2.libcontainer.system.RecordingSyscalls;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The runtime-spec-free operation {@code runc exec}: starts a new process inside a created or running
 * container. The process joins all of the container's namespaces (setns(2); pid, ipc, uts, net and cgroup on
 * the thread that starts it, the mount namespace itself) and its cgroup (its host pid written to every
 * {@code cgroup.procs} of the container before its execve), and runs with the identity, capabilities,
 * no_new_privs, rlimits and seccomp filter of its {@link ExecConfig} (the container's where it gives none).
 * The child side is {@link dev.rabbithole.stage2.libcontainer.process.ExecMain}.
 *
 * <p>Guard: the container must be created or running (its init alive, same start time), else
 * {@link ContainerException.Kind#INCORRECT_STATUS} ({@code cannot exec in a stopped container}, runc's words); a
 * failure of the process's setup is {@link ContainerException.Kind#INIT_FAILED} with runc's
 * {@code unable to start container process: exec: "x": executable file not found in $PATH}; a missing config part is
 * {@link ContainerException.Kind#INVALID_CONFIG}. On any failure the exec JVM is killed and reaped and its
 * socket removed: nothing is left.
 */
final class ContainerExec {
    private ContainerExec() { }

    static ExecProcess run(LinuxContainer c, ExecConfig exec, LinuxContainer.Stdio stdio) throws ContainerException {
        return run(c, exec, stdio, false);
    }

    /**
     * @param detached start the exec JVM with posix_spawn(3) (no JDK reaper waiting for it, see
     *                 {@link dev.rabbithole.stage2.libcontainer.namespaces.UnwatchedProcess}): its exit status stays
     *                 for the subreaper it is reparented to when this JVM exits; {@code stdio} must be all
     *                 {@link ProcessBuilder.Redirect#INHERIT}
     */
    static ExecProcess run(LinuxContainer c, ExecConfig exec, LinuxContainer.Stdio stdio, boolean detached)
            throws ContainerException {
        if (detached && (stdio.in() != ProcessBuilder.Redirect.INHERIT || stdio.out() != ProcessBuilder.Redirect.INHERIT
                || stdio.err() != ProcessBuilder.Redirect.INHERIT)) {
            throw new IllegalArgumentException("a detached exec inherits this process's stdio");
        }
        long t0 = System.nanoTime();
        Map<String, Long> steps = new LinkedHashMap<>();
        validate(c, exec);
        Status now = c.state().status();
        if (now != Status.RUNNING && now != Status.CREATED) {
            throw new ContainerException(ContainerException.Kind.INCORRECT_STATUS,
                    "cannot exec in a " + now.name().toLowerCase(java.util.Locale.ROOT) + " container");
        }
        ContainerConfig config = c.config();
        byte[] filter = filter(exec.seccomp() != null ? exec.seccomp() : config.seccomp());
        ExecChannel.Request request = new ExecChannel.Request(c.initPid(), c.initStartTime(), exec.process(),
                exec.capabilities() != null ? exec.capabilities() : config.capabilities(),
                exec.noNewPrivileges() != null ? exec.noNewPrivileges() : config.noNewPrivileges(),
                exec.rlimits() != null ? exec.rlimits() : config.rlimits(), filter,
                exec.terminal() ? exec.consoleSocket() : null);
        Path socket;
        try {
            socket = socketPath(c.stateDir());
        } catch (IOException e) {
            throw new ContainerException("exec in " + c.id() + ": cannot make its control socket: " + e.getMessage(), e);
        }
        Map<NamespaceType, Integer> fds = new LinkedHashMap<>();
        Process p = null;
        ExecChannel channel = null;
        AtomicBoolean timedOut = new AtomicBoolean();
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "exec-watchdog-" + c.id());
            t.setDaemon(true);
            return t;
        });
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(socket));
            // the pid namespace first: what matters most is where the child is born
            for (NamespaceType t : List.of(NamespaceType.PID, NamespaceType.IPC, NamespaceType.UTS, NamespaceType.NET,
                    NamespaceType.CGROUP)) {
                if (config.namespaces().contains(t)) {
                    try {
                        fds.put(t, Descriptors.openReadOnly("/proc/" + c.initPid() + "/ns/" + t.procName));
                    } catch (dev.rabbithole.stage2.libcontainer.system.SyscallException e) {
                        if (e.errno() == dev.rabbithole.stage2.libcontainer.system.SyscallException.ENOENT
                                || e.errno() == dev.rabbithole.stage2.libcontainer.system.SyscallException.ESRCH) {
                            // the init exited since the status check
                            throw new ContainerException(ContainerException.Kind.INCORRECT_STATUS,
                                    "cannot exec in a stopped container");
                        }
                        throw e;
                    }
                }
            }
            if (LinuxContainer.startTime(c.initPid()) != c.initStartTime()) {
                throw new ContainerException(ContainerException.Kind.INCORRECT_STATUS,
                        "cannot exec in a stopped container");
            }
            ProcessBuilder pb = new ProcessBuilder(command(c.options().init(), socket))
                    .redirectInput(stdio.in()).redirectOutput(stdio.out()).redirectError(stdio.err());
            pb.environment().clear(); // the exec JVM sees no JAVA_TOOL_OPTIONS; the process gets its own env
            pb.directory(c.stateDir().toFile());
            RecordingSyscalls sys = new RecordingSyscalls(c.options().syscalls());
            steps.put("namespaces opened", (System.nanoTime() - t0) / 1000);
            p = detached ? new NamespaceJoiner(sys).spawnUnwatched(fds, pb.command(), List.of(), c.stateDir(), c.id())
                    : new NamespaceJoiner(sys).spawn(fds, pb, c.id(), exec.process().parentDeathSignal() != 0);
            steps.put("spawned", (System.nanoTime() - t0) / 1000);
            Process child = p;
            child.onExit().thenRun(() -> closeQuietly(server)); // a JVM that dies before connecting unblocks accept
            timer.schedule(() -> {
                timedOut.set(true);
                closeQuietly(server);
                child.destroyForcibly();
            }, c.options().startTimeout().toMillis(), TimeUnit.MILLISECONDS);
            try {
                channel = new ExecChannel(server.accept());
            } catch (ClosedChannelException e) {
                throw timedOut.get() ? new ContainerException("exec: timed out waiting for the exec process")
                        : died(child, "before connecting");
            }
            steps.put("connected", (System.nanoTime() - t0) / 1000);
            Files.deleteIfExists(socket);
            channel.send(new ExecChannel.Message(ExecChannel.REQUEST, request, 0, null, null, 0));
            ExecChannel.Message ready = channel.receive();
            failIfError(ready);
            if (ready == null || ready.type() != ExecChannel.READY) {
                throw timedOut.get() ? new ContainerException("exec: timed out waiting for the exec process")
                        : died(child, "before it was ready");
            }
            steps.put("ready (joined, set up)", (System.nanoTime() - t0) / 1000);
            CgroupManager cgroup = c.cgroup();
            if (cgroup == null && config.cgroup() != null) {
                cgroup = c.options().cgroups().manager(config.cgroup(), sys);
            }
            if (cgroup != null) { // before its execve: the process's first instruction runs under the limits
                cgroup.apply(child.pid());
            }
            channel.send(ExecChannel.Message.go());
            ExecChannel.Message last = channel.receive(); // end of stream: the socket closed on exec
            failIfError(last);
            if (timedOut.get()) {
                throw new ContainerException("exec: timed out waiting for the execve");
            }
            steps.put("exec'd (socket closed)", (System.nanoTime() - t0) / 1000);
            ExecProcess result = new ExecProcess(child, ready.pid(), (System.nanoTime() - t0) / 1000, steps);
            p = null; // success: the process is the caller's now
            return result;
        } catch (IOException | RuntimeException e) {
            throw new ContainerException("exec in " + c.id() + ": " + e.getMessage(), e);
        } finally {
            timer.shutdownNow();
            for (int fd : fds.values()) {
                Descriptors.closeQuietly(fd);
            }
            if (channel != null) {
                closeQuietly(channel);
            }
            try {
                Files.deleteIfExists(socket);
                if (!socket.getParent().equals(c.stateDir())) {
                    Files.deleteIfExists(socket.getParent());
                }
            } catch (IOException ignored) {
                // the state directory goes with the container; a private temporary one is empty and harmless
            }
            if (p != null) { // failed: nothing may be left
                p.destroyForcibly();
                try {
                    p.waitFor(10, TimeUnit.SECONDS);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    /** The longest unix socket path bind(2) takes: {@code sun_path} has 108 bytes with the terminating NUL. */
    static final int MAX_SOCKET_PATH = 107;

    /**
     * Where the control socket goes: {@code exec-XXXXXXXX.sock} in the state directory, or, when that path
     * would be longer than {@link #MAX_SOCKET_PATH} bytes (a 64-character ID under a deep runtime root), in a new
     * private directory (mode 0700) under {@code java.io.tmpdir}, removed after the exec.
     */
    static Path socketPath(Path stateDir) throws IOException {
        String name = "exec-" + UUID.randomUUID().toString().substring(0, 8) + ".sock";
        Path inState = stateDir.resolve(name).toAbsolutePath();
        if (inState.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8).length <= MAX_SOCKET_PATH) {
            return inState;
        }
        return Files.createTempDirectory("rh-exec").resolve(name);
    }

    private static void validate(LinuxContainer c, ExecConfig exec) throws ContainerException {
        ProcessConfig p = exec == null ? null : exec.process();
        if (p == null || p.args() == null || p.args().isEmpty()) {
            throw new ContainerException(ContainerException.Kind.INVALID_CONFIG, "exec: process.args must not be empty");
        }
        if (p.cwd() != null && !p.cwd().isEmpty() && !p.cwd().startsWith("/")) {
            throw new ContainerException(ContainerException.Kind.INVALID_CONFIG,
                    "exec: process.cwd must be an absolute path, got " + p.cwd());
        }
        if (exec.terminal() && (exec.consoleSocket() == null || exec.consoleSocket().isEmpty())) {
            throw new ContainerException(ContainerException.Kind.INVALID_CONFIG,
                    "exec: a terminal needs a console socket to send its master to");
        }
        if (!exec.terminal() && exec.consoleSocket() != null) {
            throw new ContainerException(ContainerException.Kind.INVALID_CONFIG,
                    "exec: a console socket was given, but process.terminal is false");
        }
        if (exec.terminal() && !Files.exists(Path.of(exec.consoleSocket()))) {
            throw new ContainerException(ContainerException.Kind.INVALID_CONFIG,
                    "exec: console socket " + exec.consoleSocket() + " does not exist");
        }
    }

    private static byte[] filter(Seccomp s) throws ContainerException {
        if (s == null || s.equals(ExecConfig.UNCONFINED)) {
            return null;
        }
        try {
            return SeccompCompiler.compile(s).toBytes();
        } catch (RuntimeException e) {
            throw new ContainerException(ContainerException.Kind.INVALID_CONFIG, "exec: seccomp: " + e.getMessage());
        }
    }

    private static void failIfError(ExecChannel.Message m) throws ContainerException {
        if (m != null && m.type() == ExecChannel.ERROR) {
            throw ContainerException.initFailed("unable to start container process: " + m.error(), m.failedCall(),
                    m.errno());
        }
    }

    /** The exec JVM's command line: the init's java, options and classpath, another main class. */
    static List<String> command(InitCommand init, Path socket) {
        List<String> cmd = new ArrayList<>(init.command(socket));
        int main = cmd.indexOf(LinuxContainer.INIT_CLASS);
        cmd.set(main, "dev.rabbithole.stage2.libcontainer.process.ExecMain");
        return cmd;
    }

    private static ContainerException died(Process p, String when) {
        int code;
        try {
            code = p.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            code = -1;
        }
        return ContainerException.initFailed("exec process exited with code " + code + " " + when, null, 0);
    }

    private static void closeQuietly(AutoCloseable a) {
        try {
            a.close();
        } catch (Exception ignored) {
            // closing to unblock a waiter
        }
    }
}
