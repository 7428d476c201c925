package dev.rabbithole.stage2.execdriver;

import dev.rabbithole.stage1.daemon.EngineLog;
import dev.rabbithole.stage1.errdefs.ConflictException;
import dev.rabbithole.stage1.errdefs.InvalidParameterException;
import dev.rabbithole.stage1.errdefs.NotFoundException;
import dev.rabbithole.stage1.errdefs.SystemException;
import dev.rabbithole.stage1.execdriver.Command;
import dev.rabbithole.stage1.execdriver.ContainerProcess;
import dev.rabbithole.stage1.execdriver.EtcFiles;
import dev.rabbithole.stage1.execdriver.ExecDriver;
import dev.rabbithole.stage1.execdriver.RootfsPaths;
import dev.rabbithole.stage2.libcontainer.cgroups.Cgroups;
import dev.rabbithole.stage2.libcontainer.configs.Cgroup;
import dev.rabbithole.stage2.libcontainer.configs.ContainerConfig;
import dev.rabbithole.stage2.libcontainer.container.CgroupApplier;
import dev.rabbithole.stage2.libcontainer.container.ContainerException;
import dev.rabbithole.stage2.libcontainer.container.InitCommand;
import dev.rabbithole.stage2.libcontainer.container.InitPool;
import dev.rabbithole.stage2.libcontainer.container.LinuxContainer;
import dev.rabbithole.stage2.libcontainer.system.JnaSyscalls;
import dev.rabbithole.stage2.libcontainer.system.SyscallException;
import dev.rabbithole.stage2.libcontainer.system.Syscalls;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.lang.ProcessBuilder.Redirect;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The native exec driver: Docker 0.9's {@code execdriver/native}, which replaced LXC with libcontainer. Each
 * container is a {@link LinuxContainer} made from the daemon's {@link Command} by {@link DefaultTemplate}: the
 * daemon starts the container's init JVM in new namespaces, the init sets up the rootfs and execs the
 * workload, which is pid 1 of its pid namespace and a child of the daemon.
 * <pre>
 * daemon (JVM)
 *   └─ workload (pid 1 in the container; the init JVM before its execve)
 * </pre>
 * Files: libcontainer's runtime state lives under the exec root, {@code EXEC_ROOT/native/ID/} (state.json, the
 * /etc files, the init's control socket while starting; removed when the container exits), as dockerd's
 * {@code --exec-root} ({@code /var/run/docker}) holds runc's. It cannot live in the data root: a unix socket's
 * path has at most 107 bytes, and {@code /var/lib/rabbithole/stage2/containers/ID/} alone has 102. The
 * container's state directory in the data root ({@code DATA_ROOT/containers/ID/native/}) holds
 * {@value #KERNEL_CALLS_FILE}: the kernel calls of the last start, what {@link #explain} answers.
 */
public final class NativeExecDriver implements ExecDriver {

    /** What {@code /info} reports as ExecutionDriver (Docker 0.9 said {@code native-0.1}). */
    public static final String NAME = "native-0.1";

    /** The name of the per-container state directory the daemon gives this driver. */
    public static final String STATE_DIR_NAME = "native";

    /** The file in the state directory that holds the kernel calls of the last start, one per line. */
    public static final String KERNEL_CALLS_FILE = "kernel-calls.txt";

    /** How long a start may take at each step before the init is killed. */
    public static final Duration START_TIMEOUT = Duration.ofSeconds(30);

    /** The stage-2 daemon's default exec root (dockerd's {@code --exec-root}). */
    public static final Path DEFAULT_EXEC_ROOT = Path.of("/run/rabbithole/stage2");

    /** The init's start cache ({@link InitCommand#withCache}) under the exec root. */
    public static final String INIT_CACHE_DIR = "init-cache";

    private final Path stateRoot;
    private final LinuxContainer.Options options;
    private final Map<String, LinuxContainer> live = new ConcurrentHashMap<>();

    /** The real driver on {@link #DEFAULT_EXEC_ROOT}. */
    public NativeExecDriver() {
        this(DEFAULT_EXEC_ROOT);
    }

    /**
     * The real driver: libcontainer's {@link LinuxContainer.Options#host host options} (JNA system calls, the
     * host's cgroups, an init JVM from this JVM's classpath) with the init's start cache in
     * {@code execRoot/}{@value #INIT_CACHE_DIR} (JNA's native library unpacked once; an AppCDS archive of the
     * init's classes, trained in the background on the first start and mapped by every later init).
     *
     * @param execRoot the exec root; libcontainer's state goes to {@code execRoot/native/ID}, so the path
     *                 should be short (at most about 30 bytes: the init's socket path must fit in 107)
     */
    public NativeExecDriver(Path execRoot) {
        this(execRoot, hostOptions(execRoot));
    }

    /**
     * The real driver with a warm pool of {@code initPool} inits ({@link InitPool}, under
     * {@code execRoot/}{@value #INIT_POOL_DIR}), filled in the background once the init's class archive is
     * trained; the training starts now.
     *
     * @param execRoot the exec root (see {@link #NativeExecDriver(Path)})
     * @param initPool how many idle inits to keep; 0 for none
     * @throws IllegalArgumentException when initPool is negative
     * @throws SystemException when the pool's directory cannot be made
     */
    public NativeExecDriver(Path execRoot, int initPool) {
        this(execRoot, hostOptions(execRoot));
        if (initPool < 0) {
            throw new IllegalArgumentException("--init-pool must be 0 or more, got " + initPool);
        }
        options.init().prepareCache();
        if (initPool > 0) {
            try {
                pool = new InitPool(initPool, execRoot.toAbsolutePath().resolve(INIT_POOL_DIR), options.init(),
                        options.syscalls(), STDIO).start();
            } catch (IOException e) {
                throw new SystemException("native: cannot start the init pool: " + e.getMessage(), e);
            }
        }
    }

    /** The pooled inits' sockets under the exec root. */
    public static final String INIT_POOL_DIR = "init-pool";

    private volatile InitPool pool;

    /**
     * What {@code GET /info} reports of this driver (a rabbithole extension, {@code ExecutionDriverStatus}):
     * the init pool's size, idle inits and their memory.
     *
     * @return label to value, in order; {@code Init Pool: off} without a pool
     */
    @Override
    public Map<String, String> status() {
        InitPool p = pool;
        Map<String, String> s = new java.util.LinkedHashMap<>();
        if (p == null) {
            s.put("Init Pool", "off");
            return s;
        }
        long pss = p.idlePssBytes();
        s.put("Init Pool", p.idleCount() + " idle of " + p.size());
        s.put("Init Pool PSS", String.format(java.util.Locale.ROOT, "%.1f MB (%d bytes)", pss / 1e6, pss));
        s.put("Init Pool Handed Out", Integer.toString(p.handedOut()));
        return s;
    }

    /** Kills the init pool's idle inits; containers are not touched. */
    @Override
    public void close() {
        InitPool p = pool;
        if (p != null) {
            p.close();
        }
    }

    private static LinuxContainer.Options hostOptions(Path execRoot) {
        LinuxContainer.Options host = LinuxContainer.Options.host(STDIO);
        return new LinuxContainer.Options(host.syscalls(), host.cgroups(),
                host.init().withCache(execRoot.toAbsolutePath().resolve(INIT_CACHE_DIR)), START_TIMEOUT, STDIO);
    }

    /**
     * A driver with its seams given.
     *
     * @param execRoot the exec root (see {@link #NativeExecDriver(Path)})
     * @param syscalls the host-side kernel interface
     * @param cgroups  the cgroup driver ({@link CgroupApplier#HOST} or {@link CgroupApplier#NONE})
     * @param init     how to start the init JVM
     */
    public NativeExecDriver(Path execRoot, Syscalls syscalls, CgroupApplier cgroups, InitCommand init) {
        this(execRoot, new LinuxContainer.Options(syscalls, cgroups, init, START_TIMEOUT, STDIO));
    }

    private NativeExecDriver(Path execRoot, LinuxContainer.Options options) {
        this.stateRoot = execRoot.toAbsolutePath().resolve(STATE_DIR_NAME);
        this.options = options;
    }

    /** The workload's stdio: stdin /dev/null (a pipe with -i, see start), stdout and stderr to the daemon's log copier. */
    private static final LinuxContainer.Stdio STDIO = new LinuxContainer.Stdio(
            Redirect.from(new File("/dev/null")), Redirect.PIPE, Redirect.PIPE);

    /**
     * {@code -i}: the init's stdin is a pipe the daemon writes to, and the workload inherits it across execve(2);
     * {@code -t}: no terminal in stage 2.
     */
    @Override
    public boolean supports(Command.Stdio stdio) {
        return !stdio.tty();
    }

    /** @return {@value #NAME} */
    @Override
    public String name() {
        return NAME;
    }

    /** @return {@value #STATE_DIR_NAME} */
    @Override
    public String stateDirName() {
        return STATE_DIR_NAME;
    }

    /**
     * Translates the command ({@link DefaultTemplate#config}), creates and starts the container, records the
     * kernel calls of the start in the state directory, and returns once the workload runs.
     *
     * @throws InvalidParameterException no command, an unknown user, an inexpressible seccomp profile, or an
     *         executable that is not in the rootfs ({@code exec: "x": executable file not found in $PATH})
     * @throws SystemException any other start failure (the init's message: {@code pivot_root: ...}); nothing
     *         of the container is left (process, cgroup, state)
     */
    @Override
    public ContainerProcess start(Command c) {
        // Docker's checks before a start, shared with the LXC driver: create a missing working directory,
        // and refuse a program that is missing (127) or cannot be executed (126) with docker's messages
        RootfsPaths.createWorkingDir(c);
        RootfsPaths.checkExecutable(c);
        ContainerConfig config = NetworkTemplate.apply(DefaultTemplate.config(c), c.network());
        destroyLeftover(c);                     // a container started again: the previous run's state
        LinuxContainer container;
        try {
            container = LinuxContainer.create(config, stateRoot, c.stdio().openStdin() ? new LinuxContainer.Options(
                    options.syscalls(), options.cgroups(), options.init(), options.startTimeout(),
                    new LinuxContainer.Stdio(Redirect.PIPE, options.stdio().out(), options.stdio().err())) : options);
        } catch (ContainerException e) {
            throw engineError("native: creating container " + c.id() + ": " + e.getMessage(), e);
        }
        try {
            // the daemon's /etc files, the same as the LXC driver binds (libcontainer binds what is in its state)
            if (!DaemonEtcFiles.link(c.stateDir(), container.stateDir())) {
                EtcFiles.write(container.stateDir(), c.hostname() == null || c.hostname().isEmpty()
                        ? c.id().substring(0, Math.min(12, c.id().length())) : c.hostname(), EtcFiles.HOST_RESOLV_CONF);
            }
        } catch (IOException e) {
            destroyQuietly(container);
            throw new SystemException("native: writing the /etc files of " + c.id() + ": " + e.getMessage(), e);
        }
        try {
            container.start(pool);
        } catch (ContainerException e) {
            destroyQuietly(container);
            String message = e.getMessage() == null ? e.toString() : e.getMessage();
            if (e.kind() == ContainerException.Kind.INIT_FAILED && e.errno() == SyscallException.ENOENT) {
                throw new InvalidParameterException(message); // a program, directory or mount source not there
            }
            throw engineError("native: starting container " + c.id() + ": " + message, e);
        }
        live.put(c.id(), container);
        writeKernelCalls(c.stateDir(), container.kernelCalls());
        EngineLog.info("native: start of " + c.id().substring(0, Math.min(12, c.id().length()))
                + ", microseconds from start(): " + container.startTimings());
        return new NativeProcess(container, c.stdio().openStdin());
    }

    /**
     * The Engine API error for a libcontainer error, by its kind: 400 for a config it refuses, 409 for a
     * container that exists or is in the wrong status, 404 for one that does not exist, 500 otherwise.
     */
    private static RuntimeException engineError(String message, ContainerException e) {
        return switch (e.kind()) {
            case INVALID_CONFIG -> new InvalidParameterException(message, e);
            case EXISTS, INCORRECT_STATUS -> new ConflictException(message);
            case NOT_EXIST -> new NotFoundException(message);
            default -> new SystemException(message, e);
        };
    }

    /**
     * Removes what a container may have left: a container this driver still follows is destroyed; one whose
     * daemon died is removed by {@link LinuxContainer#cleanup(String, Path, CgroupApplier, Syscalls)} (SIGKILL
     * to its init and to what is left in its cgroup, the cgroup, libcontainer's state {@code EXEC_ROOT/native/ID}).
     * Idempotent.
     *
     * @throws SystemException processes survive SIGKILL, or the cgroup or state cannot be removed
     */
    @Override
    public void cleanup(String containerId, Path stateDir) {
        LinuxContainer container = live.remove(containerId);
        try {
            if (container != null) {
                container.destroy();
                return;
            }
            LinuxContainer.cleanup(containerId, stateRoot, options.cgroups(), options.syscalls());
            // a daemon that died between the state's removal and the cgroup's: rmdir, if it is still there
            options.cgroups().manager(DefaultTemplate.cgroup(containerId, Command.Resources.NONE), options.syscalls())
                    .destroy();
        } catch (ContainerException | RuntimeException e) {
            throw new SystemException("native: cleaning up " + containerId + ": " + e.getMessage(), e);
        }
    }

    // tag::native-cgroup[]
    /** The running container's libcontainer cgroup manager, or 409 when it is not one of this driver's live containers. */
    private dev.rabbithole.stage2.libcontainer.cgroups.CgroupManager cgroupOf(String containerId) {
        LinuxContainer container = live.get(containerId);
        if (container == null || container.cgroup() == null) {
            throw new ConflictException("Container " + containerId + " is not running");
        }
        return container.cgroup();
    }

    /** libcontainer's cgroup directories: per v1 controller, or {@code unified} (what stats and top read). */
    @Override
    public Map<String, Path> cgroupPaths(String containerId, Path stateDir) {
        return cgroupOf(containerId).paths();
    }

    /** {@code docker pause}/{@code unpause}: libcontainer's cgroup manager freezes or thaws (v1 freezer.state, v2 cgroup.freeze). */
    @Override
    public void pause(String containerId, Path stateDir, boolean frozen) {
        try {
            cgroupOf(containerId).freeze(frozen);
        } catch (dev.rabbithole.stage2.libcontainer.cgroups.CgroupException e) {
            throw new SystemException("native: " + e.getMessage(), e);
        }
    }

    /** {@code docker update}: libcontainer's cgroup manager writes the new limits ({@code Manager.Set}). */
    @Override
    public void update(String containerId, Path stateDir, dev.rabbithole.stage1.cgroups.ResourceUpdate u) {
        try {
            cgroupOf(containerId).set(new Cgroup.Resources(u.memoryBytes(), u.memorySwapBytes(), u.cpuShares(),
                    u.cpuQuotaMicros(), u.cpuPeriodMicros(), null, null, u.pidsLimit()));
        } catch (dev.rabbithole.stage2.libcontainer.cgroups.CgroupException | IllegalArgumentException e) {
            throw new SystemException(e.getMessage(), e);
        }
    }
    // end::native-cgroup[]

    /**
     * The kernel calls of the container's last start, as libcontainer recorded them.
     *
     * @return the lines of {@value #KERNEL_CALLS_FILE}, or one line saying why there are none
     */
    @Override
    public List<String> explain(String containerId, Path stateDir) {
        Path file = stateDir.resolve(KERNEL_CALLS_FILE);
        if (!Files.isRegularFile(file)) {
            return List.of("the " + NAME + " exec driver has not started this container");
        }
        try {
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            return lines.isEmpty() ? List.of("libcontainer recorded no kernel calls for this start") : lines;
        } catch (IOException e) {
            throw new SystemException("reading " + file + ": " + e.getMessage(), e);
        }
    }

    private void destroyLeftover(Command c) {
        LinuxContainer previous = live.remove(c.id());
        if (previous != null) {
            destroyQuietly(previous);
        }
        if (Files.exists(stateRoot.resolve(c.id()))) {
            cleanup(c.id(), c.stateDir());
        }
    }

    private static void destroyQuietly(LinuxContainer container) {
        try {
            container.destroy();
        } catch (ContainerException e) {
            // the start error matters more; a later cleanup() sweeps the cgroup again
        }
    }

    private static void writeKernelCalls(Path stateDir, List<String> lines) {
        Path target = stateDir.resolve(KERNEL_CALLS_FILE);
        try {
            Files.createDirectories(stateDir);
        } catch (IOException e) {
            return;                             // explain then says nothing was recorded
        }
        try {
            StringBuilder text = new StringBuilder();
            lines.forEach(l -> text.append(l).append('\n'));
            dev.rabbithole.stage1.AtomicFiles.writeString(target, text.toString());
        } catch (IOException e) {
            // explain then says nothing was recorded; the container runs regardless
        }
    }

    /** A container the daemon follows: its workload's pipes, signals, exit and OOM kills; the exit destroys it. */
    private final class NativeProcess implements ContainerProcess {
        private final LinuxContainer container;
        private final Process process;
        private volatile boolean oomKilled;
        private final boolean openStdin;

        NativeProcess(LinuxContainer container, boolean openStdin) {
            this.container = container;
            this.process = container.process();
            this.openStdin = openStdin;
        }

        /** @return the write end of the workload's stdin pipe ({@code -i}), else null */
        @Override
        public java.io.OutputStream stdin() {
            return openStdin ? process.getOutputStream() : null;
        }

        /** @return the workload's host pid (pid 1 in its namespace) */
        @Override
        public long pid() {
            return process.pid();
        }

        @Override
        public InputStream stdout() {
            return process.getInputStream();
        }

        @Override
        public InputStream stderr() {
            return process.getErrorStream();
        }

        /** kill(2) to the workload; a container that is no longer running is success. */
        @Override
        public void signal(int signal) {
            try {
                container.signal(signal);
            } catch (ContainerException e) {
                if (process.isAlive()) {
                    throw new SystemException("native: signal " + signal + " to " + container.id() + ": "
                            + e.getMessage(), e);
                }
            }
        }

        /**
         * Waits for the workload, then destroys the container (kills what is left of its pid namespace,
         * removes the cgroup and libcontainer's state).
         *
         * @return the workload's exit status, or 128 + the signal that killed it (an OOM kill: 137); a
         *         failure to remove the cgroup or state is logged, not thrown
         * @throws SystemException the container was never started
         */
        @Override
        public int waitFor() throws InterruptedException {
            int code;
            try {
                code = container.waitFor();
            } catch (ContainerException e) {
                throw new SystemException("native: waiting for " + container.id() + ": " + e.getMessage(), e);
            }
            live.remove(container.id(), container);
            oomKilled = container.oomKillCount() > 0;   // before destroy(): the counter goes with the cgroup
            try {
                container.destroy();
            } catch (ContainerException e) {
                // the exit code stands; the daemon's next cleanup() of this container sweeps the cgroup again
                EngineLog.warn("native: removing " + container.id() + " after its exit: " + e.getMessage());
            }
            return code;
        }

        /** @return whether the memory cgroup counted an OOM kill, read by {@link #waitFor()} before the cgroup went */
        @Override
        public boolean oomKilled() {
            return oomKilled;
        }
    }
}
