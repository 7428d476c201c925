package dev.rabbithole.stage2.execdriver;

import dev.rabbithole.stage1.daemon.EngineLog;
import dev.rabbithole.stage1.errdefs.InvalidParameterException;
import dev.rabbithole.stage1.errdefs.SystemException;
import dev.rabbithole.stage1.execdriver.Command;
import dev.rabbithole.stage1.execdriver.ContainerProcess;
import dev.rabbithole.stage1.execdriver.ExecDriver;
import dev.rabbithole.stage2.libcontainer.cgroups.Cgroups;
import dev.rabbithole.stage2.libcontainer.configs.Cgroup;
import dev.rabbithole.stage2.libcontainer.configs.ContainerConfig;
import dev.rabbithole.stage2.libcontainer.container.CgroupApplier;
import dev.rabbithole.stage2.libcontainer.container.ContainerException;
import dev.rabbithole.stage2.libcontainer.container.InitCommand;
import dev.rabbithole.stage2.libcontainer.container.LinuxContainer;
import dev.rabbithole.stage2.libcontainer.system.JnaSyscalls;
import dev.rabbithole.stage2.libcontainer.system.Syscalls;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.lang.ProcessBuilder.Redirect;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

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

    /** The init JVM's class-data archive in {@code EXEC_ROOT/native/}, written when the driver is made. */
    public static final String INIT_ARCHIVE = "init-classes.jsa";

    /** How long a start may take at each step before the init is killed. */
    public static final Duration START_TIMEOUT = Duration.ofSeconds(30);

    /** The stage-2 daemon's default exec root (dockerd's {@code --exec-root}). */
    public static final Path DEFAULT_EXEC_ROOT = Path.of("/run/rabbithole/stage2");

    private final Path stateRoot;
    private final Syscalls syscalls;
    private final CgroupApplier cgroups;
    private volatile InitCommand init;
    private final Map<String, LinuxContainer> live = new ConcurrentHashMap<>();

    /** The real driver on {@link #DEFAULT_EXEC_ROOT}. */
    public NativeExecDriver() {
        this(DEFAULT_EXEC_ROOT);
    }

    /**
     * The real driver: JNA system calls, the host's cgroups, an init JVM from this JVM's classpath.
     *
     * @param execRoot the exec root; libcontainer's state goes to {@code execRoot/native/ID}, so the path
     *                 should be short (at most about 30 bytes: the init's socket path must fit in 107)
     */
    public NativeExecDriver(Path execRoot) {
        this(execRoot, new JnaSyscalls(), new HostCgroups(), InitCommand.current());
        Thread archiver = new Thread(this::archiveInitClasses, "init-class-archive");
        archiver.setDaemon(true);
        archiver.start();
    }

    /**
     * Writes {@value #INIT_ARCHIVE} for the init JVM ({@link InitClassArchive}) and, once it exists, starts
     * every init with it. Containers started before then start without it.
     */
    private void archiveInitClasses() {
        Path archive = stateRoot.resolve(INIT_ARCHIVE);
        InitCommand plain = init;
        if (InitClassArchive.create(plain, archive)) {
            init = InitClassArchive.using(plain, archive);
        }
    }

    /**
     * A driver with its seams given.
     *
     * @param execRoot the exec root (see {@link #NativeExecDriver(Path)})
     * @param syscalls the host-side kernel interface
     * @param cgroups  the cgroup seam
     * @param init     how to start the init JVM
     */
    public NativeExecDriver(Path execRoot, Syscalls syscalls, CgroupApplier cgroups, InitCommand init) {
        this.stateRoot = execRoot.toAbsolutePath().resolve(STATE_DIR_NAME);
        this.syscalls = syscalls;
        this.cgroups = cgroups;
        this.init = init;
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
        ContainerConfig config = DefaultTemplate.config(c);
        destroyLeftover(c);                     // a container started again: the previous run's state
        LinuxContainer container;
        try {
            container = LinuxContainer.create(initLimits(config), stateRoot, new LinuxContainer.Options(syscalls, cgroups, init,
                    START_TIMEOUT, new LinuxContainer.Stdio(Redirect.from(new File("/dev/null")), Redirect.PIPE,
                            Redirect.PIPE)));
        } catch (ContainerException e) {
            throw new SystemException("native: creating container " + c.id() + ": " + e.getMessage(), e);
        }
        try {
            container.start();
        } catch (ContainerException e) {
            destroyQuietly(container);
            String message = e.getMessage() == null ? e.toString() : e.getMessage();
            if (message.contains("executable file not found") || message.contains("no such file or directory")
                    || message.contains("No such file or directory")) {
                throw new InvalidParameterException(message);
            }
            throw new SystemException("native: starting container " + c.id() + ": " + message, e);
        }
        try {
            workloadLimits(config.cgroup());
        } catch (RuntimeException e) {
            destroyQuietly(container);
            throw new SystemException("native: limits of container " + c.id() + ": " + e.getMessage(), e);
        }
        live.put(c.id(), container);
        writeKernelCalls(c.stateDir(), container.kernelCalls());
        return new NativeProcess(container);
    }

    // tag::deferred-limits[]
    /**
     * The config the container starts with: its cgroup without the memory and pids limits. Until its execve
     * the container's process is the init JVM, which has a dozen threads (each a task for pids.max) and tens
     * of megabytes of heap and code: {@code --pids-limit 10} or {@code -m 16m} would stop the init, not the
     * workload. runc's init, a Go program, meets the same wall lower down.
     *
     * @param config the container's config
     * @return the same config, its cgroup without memory, memory+swap and pids limits
     */
    static ContainerConfig initLimits(ContainerConfig config) {
        Cgroup.Resources r = config.cgroup().resources();
        Cgroup.Resources start = new Cgroup.Resources(0, 0, r.cpuShares(), r.cpuQuotaMicros(), r.cpuPeriodMicros(),
                r.cpusetCpus(), r.cpusetMems(), 0);
        return new ContainerConfig(config.id(), config.rootfs(), config.readonlyRootfs(), config.hostname(),
                config.namespaces(), config.mounts(), config.maskedPaths(), config.readonlyPaths(),
                new Cgroup(config.cgroup().path(), start), config.capabilities(), config.seccomp(),
                config.noNewPrivileges(), config.rlimits(), config.process());
    }

    /**
     * Writes the memory and pids limits once the init has become the workload: the JVM's memory is gone with
     * its execve and the workload is one task. Between the execve and this write the workload runs without
     * them, for the time of two file writes.
     */
    private void workloadLimits(Cgroup cgroup) {
        Cgroup.Resources r = cgroup.resources();
        if (cgroups == CgroupApplier.NONE || (r.memoryBytes() == 0 && r.memorySwapBytes() == 0 && r.pidsLimit() <= 0)) {
            return;
        }
        Cgroups.detect(cgroup).set(new Cgroup.Resources(r.memoryBytes(), r.memorySwapBytes(), 0, 0, 0, null, null,
                r.pidsLimit()));
    }
    // end::deferred-limits[]

    /**
     * Removes what a container may have left when the daemon that ran it died: SIGKILL to every process in its
     * cgroup {@code rabbithole/<id>}, the cgroup itself, and libcontainer's state {@code EXEC_ROOT/native/ID}.
     * Idempotent.
     * TODO(merge): call libcontainer's static cleanup of a container whose parent died, which the libcontainer
     * helper adds, instead of the cgroup sweep and the deletion here.
     *
     * @throws SystemException processes survive SIGKILL, or the cgroup or state cannot be removed
     */
    @Override
    public void cleanup(Command c) {
        LinuxContainer container = live.remove(c.id());
        if (container != null) {
            try {
                container.destroy();
            } catch (ContainerException e) {
                throw new SystemException("native: cleaning up " + c.id() + ": " + e.getMessage(), e);
            }
            return;
        }
        try {
            cgroups.destroy(DefaultTemplate.cgroup(c.id(), Command.Resources.NONE));
            deleteTree(stateRoot.resolve(c.id()));
        } catch (IOException e) {
            throw new SystemException("native: cleaning up " + c.id() + ": " + e.getMessage(), e);
        }
    }

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
            cleanup(c);
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
        Path tmp = stateDir.resolve("." + KERNEL_CALLS_FILE + ".tmp");
        try {
            Files.createDirectories(stateDir);
        } catch (IOException e) {
            return;                             // explain then says nothing was recorded
        }
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            StringBuilder text = new StringBuilder();
            lines.forEach(l -> text.append(l).append('\n'));
            ch.write(java.nio.ByteBuffer.wrap(text.toString().getBytes(StandardCharsets.UTF_8)));
            ch.force(true);
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            // explain then says nothing was recorded; the container runs regardless
        }
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            List<Path> paths = new ArrayList<>(walk.sorted(Comparator.reverseOrder()).toList());
            for (Path p : paths) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** A container the daemon follows: its workload's pipes, signals, and exit; the exit destroys it. */
    private final class NativeProcess implements ContainerProcess {
        private final LinuxContainer container;
        private final Process process;

        NativeProcess(LinuxContainer container) {
            this.container = container;
            this.process = container.process();
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
            try {
                container.destroy();
            } catch (ContainerException e) {
                // the exit code stands; the daemon's next cleanup() of this container sweeps the cgroup again
                EngineLog.warn("native: removing " + container.id() + " after its exit: " + e.getMessage());
            }
            return code;
        }
    }
}
