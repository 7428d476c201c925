package dev.rabbithole.stage2.libcontainer.container;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rabbithole.stage2.libcontainer.cgroups.CgroupException;
import dev.rabbithole.stage2.libcontainer.cgroups.CgroupManager;
import dev.rabbithole.stage2.libcontainer.configs.Cgroup;
import dev.rabbithole.stage2.libcontainer.configs.ContainerConfig;
import dev.rabbithole.stage2.libcontainer.system.JnaSyscalls;
import dev.rabbithole.stage2.libcontainer.system.RecordingSyscalls;
import dev.rabbithole.stage2.libcontainer.system.SyscallException;
import dev.rabbithole.stage2.libcontainer.system.Syscalls;
import dev.rabbithole.stage2.libcontainer.system.Transcript;

import java.io.IOException;
import java.lang.ProcessBuilder.Redirect;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
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
 * <p>Create and start are separate, as in the runtime-spec: {@link #createInit} leaves the init blocked at a
 * start gate after all of its setup, right before execve; {@link #start()} opens the gate, from this process
 * or from another one that {@link LinuxFactory#load loaded} the container from its {@code state.json}
 * ({@link ContainerState}, the truth; the status is derived by {@link ContainerStatus}). Each operation is a
 * class of its own ({@link ContainerCreate}, {@link ContainerStart}, {@link ContainerKill},
 * {@link ContainerDelete}); the parent side of the init handshake is {@link InitProcess}.
 *
 * <p>The init's parent is the creating process's spawner thread, which stays parked until the init exits.
 * With the process config's parent-death signal on (stage 2's daemon: a killed daemon takes its containers
 * with it) the init sets PR_SET_PDEATHSIG right before execve, and what such a death leaves (the cgroup, the
 * state directory) is removed by {@link #cleanup(String, Path)} when the daemon starts again. With it off the
 * container outlives its creator: the kernel reparents the init to the nearest subreaper, which reaps it.
 */
public final class LinuxContainer {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The config as created, in the state directory: what {@link #cleanup} reads to find the cgroup. */
    static final String CONFIG_FILE = "config.json";
    /** {@code PID STARTTIME} of the init, in the state directory. */
    static final String PID_FILE = "init.pid";

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
     * @param syscalls     the host-side kernel interface (unshare on the spawner thread, cgroup writes, kill)
     * @param cgroups      the cgroup driver: {@link CgroupApplier#HOST} (the host's v1 or v2 cgroups, with the
     *                     config's limits) or {@link CgroupApplier#NONE} (no cgroup, limits ignored)
     * @param init         the init JVM command
     * @param startTimeout how long start waits for the init at each step before killing it
     * @param stdio        the workload's stdio
     */
    public record Options(Syscalls syscalls, CgroupApplier cgroups, InitCommand init, Duration startTimeout,
                          Stdio stdio) {
        /**
         * What a daemon uses: the real kernel, the host's cgroups, this JVM's classpath for the init, 30 s.
         *
         * @param stdio the workload's stdio
         * @return the options
         */
        public static Options host(Stdio stdio) {
            return new Options(new JnaSyscalls(), CgroupApplier.HOST, InitCommand.current(), Duration.ofSeconds(30),
                    stdio);
        }
    }

    private final ContainerConfig config;
    private final Path stateDir;
    private final Options options;
    private volatile Status status = Status.CREATING;
    private final byte[] seccomp;
    private volatile Process process;
    private volatile int exitCode = -1;
    private volatile CgroupManager cgroup;
    private volatile List<RecordingSyscalls.Call> calls = List.of();
    private volatile Map<String, Long> timings = Map.of();
    private volatile long initPid;
    private volatile long initStartTime = -1;
    private volatile String created;
    private volatile Map<String, String> namespacePaths = Map.of();
    private volatile InitProcess initProcess;
    private volatile RecordingSyscalls parentCalls;
    private volatile StartReport report;

    /** The start gate's name in the state directory, as runc's {@code exec.fifo}. */
    public static final String EXEC_FIFO = "exec.fifo";
    /** The state file's name in the state directory. */
    public static final String STATE_FILE = "state.json";
    private static final int S_IFIFO = 0010000;
    /** What the init's command line holds until its execve. */
    static final String INIT_CLASS = "dev.rabbithole.stage2.libcontainer.process.InitMain";

    private LinuxContainer(ContainerConfig config, Path stateDir, Options options, byte[] seccomp) {
        this.config = config;
        this.stateDir = stateDir;
        this.options = options;
        this.seccomp = seccomp;
    }

    /**
     * Creates the container's state directory {@code stateRoot/ID} (state.json, config.json, the hostname
     * file); nothing runs yet. A caller may add {@code hosts} and {@code resolv.conf} files there before
     * {@link #createInit}: the init binds them on {@code /etc}.
     *
     * @param config    the container
     * @param stateRoot directory holding one directory per container, e.g. {@code /run/rabbithole/stage2/containers}
     * @param options   how to run it
     * @return the container in status {@link Status#CREATING}
     * @throws ContainerException when the config is invalid ({@link ConfigValidation}: missing rootfs, unknown
     *                            capability, negative memory, ...; nothing is left behind), the ID is taken, or
     *                            the directory cannot be written
     */
    public static LinuxContainer create(ContainerConfig config, Path stateRoot, Options options)
            throws ContainerException {
        Objects.requireNonNull(config, "config");
        byte[] seccomp = ConfigValidation.validate(config);
        Path dir = stateRoot.resolve(config.id());
        try {
            Files.createDirectories(stateRoot);
            Files.createDirectory(dir);
        } catch (java.nio.file.FileAlreadyExistsException e) {
            throw new ContainerException(ContainerException.Kind.EXISTS, "container " + config.id() + " already exists");
        } catch (IOException e) {
            throw new ContainerException("cannot create state directory " + dir + ": " + e.getMessage(), e);
        }
        try {
            LinuxContainer c = new LinuxContainer(config, dir, options, seccomp);
            c.created = java.time.Instant.now().toString();
            c.writeEtcFiles();
            Files.write(dir.resolve(CONFIG_FILE), JSON.writeValueAsBytes(config));
            c.persist();
            return c;
        } catch (IOException | RuntimeException e) {
            try {
                deleteRecursively(dir);
            } catch (IOException ignored) {
                // the create error is what the caller needs
            }
            throw new ContainerException("cannot create state directory " + dir + ": " + e.getMessage(), e);
        }
    }

    /**
     * {@code hostname} in the state directory, from the config's hostname, when it has one. What
     * {@code /etc/hosts} and {@code /etc/resolv.conf} hold is the caller's policy (Docker's is the exec
     * driver's): the init binds {@code hosts} and {@code resolv.conf} from the state directory when the caller
     * has put them there before the init starts.
     */
    private void writeEtcFiles() throws IOException {
        if (config.hostname() != null && !config.hostname().isEmpty()) {
            Files.writeString(stateDir.resolve("hostname"), config.hostname() + "\n");
        }
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
     * The kernel calls that starting this container made, in order: the parent's (unshare on the spawner
     * thread, the init's posix_spawn, the cgroup writes, the "go" on the init socket) and the init's (mounts,
     * pivot_root, sethostname, setrlimit, the bounding-set drops, capset, no_new_privs, PR_SET_PDEATHSIG,
     * seccomp, execve), one line each with its arguments and a short reason, e.g.
     * {@code unshare(CLONE_NEWNS|CLONE_NEWUTS|...)  new namespaces for this thread only; ...}. What
     * {@code run --explain} prints. To fit one screen, long host paths are shown by the names of
     * {@link #kernelCallsLegend()} ({@code $ROOTFS}, {@code $STATE}, {@code $ID}, {@code $JAVA_HOME}) and runs of
     * alike calls are folded ({@code mknod("$ROOTFS/dev/{null,zero,...}", ...)},
     * {@code prctl(PR_CAPBSET_DROP, 27 capabilities)}); see {@link Transcript}.
     *
     * @return the lines; empty before {@link #start()} succeeded
     */
    public List<String> kernelCalls() {
        return Transcript.lines(calls, kernelCallsLegend().entrySet().stream()
                .collect(LinkedHashMap::new, (m, e) -> m.put(e.getValue(), e.getKey()), Map::putAll));
    }

    /**
     * The abbreviations {@link #kernelCalls()} uses, in the order they are applied.
     *
     * @return name ({@code $STATE}, {@code $ROOTFS}, {@code $ID}, {@code $JAVA_HOME}) to the host text it stands for
     */
    public Map<String, String> kernelCallsLegend() {
        Map<String, String> legend = new LinkedHashMap<>();
        legend.put("$STATE", stateDir.toString());
        legend.put("$ROOTFS", String.valueOf(config.rootfs()));
        if (config.id().length() > 16) {
            legend.put("$ID", config.id());
        }
        legend.put("$JAVA_HOME", System.getProperty("java.home"));
        return legend;
    }

    /**
     * Where the time of {@link #start()} went: microseconds from the start of {@code start()} to each step,
     * the parent's ({@code spawned}, {@code init connected}, ...) and the init's ({@code init: config parsed},
     * ..., placed on the parent's clock by aligning the init's connect), in time order. For
     * benchmarks and {@code run --explain}; approximate to a few tens of microseconds.
     *
     * @return step name to microseconds; empty before a successful start
     */
    public Map<String, Long> startTimings() {
        return timings;
    }

    /** @return the container's pid (the init's, then the workload's), 0 before its init was spawned */
    public long pid() {
        return initPid;
    }

    /** @return the recorded calls behind {@link #kernelCalls()}, unabbreviated and unfolded */
    public List<RecordingSyscalls.Call> recordedCalls() {
        return calls;
    }

    /**
     * The container's cgroup manager, for stats and for tests that read the cgroup's files.
     *
     * @return the manager, or null before {@link #start()}
     */
    public CgroupManager cgroup() {
        return cgroup;
    }

    /** @return the current state, refreshed: derived from the init's pid and start time ({@link ContainerStatus}) */
    public ContainerState state() {
        refresh();
        return snapshot();
    }

    private ContainerState snapshot() {
        Map<String, String> cgroupPaths = new java.util.TreeMap<>();
        CgroupManager m = cgroup;
        if (m != null) {
            m.paths().forEach((k, v) -> cgroupPaths.put(k, v.toString()));
        }
        return new ContainerState(config.id(), status, initPid, initStartTime, exitCode,
                String.valueOf(config.rootfs()), created, config, cgroupPaths, namespacePaths);
    }

    private synchronized void refresh() {
        if (status == Status.DESTROYED) {
            return;
        }
        Process p = process;
        if (p != null && !p.isAlive()) { // our own child: its exit code is known
            if (status != Status.STOPPED) {
                exitCode = p.exitValue();
                status = Status.STOPPED;
                persistQuietly();
            }
            return;
        }
        Status derived = ContainerStatus.derive(status, initPid, initStartTime, stateDir, snapshot().cgroupPaths());
        if (derived != status) {
            status = derived;
            if (derived == Status.STOPPED) {
                persistQuietly();
            }
        }
    }

    /**
     * Creates and starts the container in one call (runc's {@code run}): {@link #createInit} when it is still
     * {@link Status#CREATING}, then opens the start gate and waits until the init has exec'd the workload. On
     * failure nothing is left running and the error is the init's message.
     *
     * @throws ContainerException with the init's error ({@code pivot_root: Invalid argument}), a timeout, or
     *                            {@link ContainerException.Kind#INCORRECT_STATUS} when it is not creating or
     *                            created
     */
    public synchronized void start() throws ContainerException {
        start(null);
    }

    /**
     * As {@link #start()}, with the init taken from a pool of inits started ahead when one fits
     * ({@link InitPool#take}: same namespaces, same stdio); else a new one is spawned. The config, the cgroup
     * placement, the mount and cgroup namespaces, and all of the init's setup happen after the take.
     * {@link #kernelCalls()} then says that the init came from the pool.
     *
     * @param pool the pool, or null for a new init
     * @throws ContainerException as {@link #start()}
     */
    public synchronized void start(InitPool pool) throws ContainerException {
        refresh();
        if (status == Status.CREATING && initPid == 0) {
            createInit(pool);
        }
        ContainerStart.run(this);
    }

    /**
     * The runtime-spec's {@code create}: spawns the init in new namespaces (or takes one from {@code pool}),
     * sends it the config, places it in its cgroup, and waits until it has done all of its setup and blocks at
     * the start gate, a FIFO {@value #EXEC_FIFO} in the state directory, right before execve. The container is
     * then {@link Status#CREATED}: its process is still the init JVM ({@code /proc/PID/cmdline}), and
     * {@link #start()}, from this process or another one that {@link LinuxFactory#load loads} it, lets it go
     * on. With the process config's parent-death signal off the init outlives this process.
     *
     * @param pool the init pool, or null for a new init
     * @throws ContainerException the init's error ({@link ContainerException.Kind#INIT_FAILED}), a timeout, or
     *                            {@link ContainerException.Kind#INCORRECT_STATUS} when the init was made already
     */
    public synchronized void createInit(InitPool pool) throws ContainerException {
        ContainerCreate.run(this, pool);
    }

    // the steps the operation classes (ContainerCreate, ContainerStart, ...) call, under this object's lock

    Status status() {
        return status;
    }

    ContainerConfig config() {
        return config;
    }

    Options options() {
        return options;
    }

    long initPid() {
        return initPid;
    }

    long initStartTime() {
        return initStartTime;
    }

    InitProcess initProcess() {
        return initProcess;
    }

    RecordingSyscalls parentCalls() {
        return parentCalls;
    }

    StartReport report() {
        return report;
    }

    /** Before the spawn: the start gate, the cgroup manager, the handshake. */
    InitProcess prepareInit() throws IOException {
        RecordingSyscalls parent = new RecordingSyscalls(options.syscalls()); // always on: it is cheap
        parentCalls = parent;
        report = new StartReport();
        if (config.cgroup() != null) {
            cgroup = options.cgroups().manager(config.cgroup(), parent);
        }
        InitProcess init = new InitProcess(config, stateDir, options, seccomp, parent, report, cgroup);
        initProcess = init;
        return init;
    }

    /** The init's network interface through rtnetlink, when the config has one ({@link dev.rabbithole.stage2.libcontainer.network.VethStrategy}). */
    void makeNetwork() {
        if (config.network() != null) {
            dev.rabbithole.stage2.libcontainer.network.VethStrategy.create(config.network(), initPid, parentCalls);
            report.mark("veth made");
        }
    }

    /** The start gate, made before the init is told where it is (in its config message). */
    void makeGate() {
        parentCalls.because("the start gate: the init blocks reading it until start writes a byte")
                .mknod(execFifo().toString(), S_IFIFO | 0600, 0, 0);
    }

    /** The init exists: its pid, start time and namespaces are recorded, in memory and on disk. */
    void spawned(Process p) throws IOException {
        process = p;
        initPid = p.pid();
        initStartTime = startTime(p.pid());
        Map<String, String> ns = new java.util.TreeMap<>();
        for (dev.rabbithole.stage2.libcontainer.configs.NamespaceType t : config.namespaces()) {
            ns.put(t.procName, "/proc/" + p.pid() + "/ns/" + t.procName);
        }
        namespacePaths = ns;
        writePidFile(p);
        persist();
    }

    /** The init waits at the gate (or has exec'd): calls so far, new status, persisted. */
    void reached(Status s) throws IOException {
        calls = parentCalls == null ? List.of() : parentCalls.calls();
        if (s == Status.RUNNING) {
            timings = report == null ? Map.of() : report.steps();
            InitProcess ip = initProcess;
            if (ip != null) {
                ip.close();
                initProcess = null;
            }
        }
        status = s;
        persist();
    }

    /** After a failed create or start: the init killed, the cgroup removed, the status STOPPED. */
    void failed() {
        InitProcess ip = initProcess;
        if (ip != null) {
            ip.close();
            initProcess = null;
        }
        cleanupAfterFailedStart();
    }

    /** The gate's FIFO path. */
    Path execFifo() {
        return stateDir.resolve(EXEC_FIFO);
    }

    /** After the gate opened, from a process that did not create the container: the init is not its child. */
    void awaitWorkloadExec() throws ContainerException, InterruptedException {
        long deadline = System.nanoTime() + options.startTimeout().toNanos();
        Path cmdline = Path.of("/proc", Long.toString(initPid), "cmdline");
        long zombieSince = 0;
        while (true) {
            char state = ContainerStatus.processState(initPid, initStartTime);
            // a zombie for a moment is the execve of a thread that is not the leader (the JVM's main thread)
            zombieSince = state == 'Z' || state == 'X' ? (zombieSince == 0 ? System.nanoTime() : zombieSince) : 0;
            if (state == 0) { // reaped already: a workload that exited at once (under a shim that reaps at
                report.mark("gone after the gate opened");  // once); as runc's start, its exit status tells
                return;
            }
            if (zombieSince != 0 && System.nanoTime() - zombieSince > 1_000_000_000L) {
                throw ContainerException.initFailed("init exited before exec", null, 0);
            }
            try {
                if (!Files.readString(cmdline).contains(INIT_CLASS)) {
                    report.mark("exec done (cmdline changed)");
                    return;
                }
            } catch (IOException e) {
                // gone between the two reads: the next alive() says so
            }
            if (System.nanoTime() > deadline) {
                throw new ContainerException("timed out waiting for the init's execve");
            }
            Thread.sleep(1);
        }
    }

    /** The workload's limits, now that the init has exec'd it. */
    void lowerLimits() throws ContainerException, InterruptedException {
        if (cgroup != null) {
            lowerToWorkloadLimits(parentCalls);
        }
    }

    // tag::init-floor[]
    /**
     * The least memory limit the init JVM starts under, bytes: the JVM maps its heap ({@code -Xmx64m}), code
     * cache, metaspace and the JDK's class-data archive, and touches tens of megabytes of them before its
     * execve. Measured here with a warm page cache: 12 MiB peak ({@code memory.max_usage_in_bytes}: the JDK's
     * files were charged to whoever read them first); with a cold cache the JDK's pages it reads are charged to
     * the container too. 256 MiB leaves room for that.
     */
    public static final long INIT_MEMORY_FLOOR = 256L << 20;

    /**
     * The least pids limit the init JVM starts under, tasks: the JVM's threads (main, GC, compiler, signal
     * dispatcher, reference handler, finalizer, ...) each count as a task in {@code pids.max}. Measured here:
     * 13 threads in a JVM with the init's options ({@link InitCommand#DEFAULT_OPTIONS}); 64 leaves room.
     */
    public static final long INIT_PIDS_FLOOR = 64;

    /**
     * The limits written before "go": the config's, with a memory, memory+swap and pids limit raised to
     * {@link #INIT_MEMORY_FLOOR} and {@link #INIT_PIDS_FLOOR}. Until its execve the container's process is the
     * init JVM, which cannot live under {@code -m 6m} or {@code --pids-limit 2}; the workload can. runc's init,
     * a Go program, meets the same wall lower down. Never unlimited: a container is limited from its first
     * instruction, to the floor until its execve and exactly as configured after it ({@link #start()}).
     *
     * @param r the configured limits
     * @return the limits for the init; {@code r} itself when no limit is under a floor
     */
    public static Cgroup.Resources initResources(Cgroup.Resources r) {
        long memory = r.memoryBytes() > 0 ? Math.max(r.memoryBytes(), INIT_MEMORY_FLOOR) : r.memoryBytes();
        long swap = r.memorySwapBytes() > 0 ? Math.max(r.memorySwapBytes(), Math.max(memory, 0))
                : r.memorySwapBytes();
        long pids = r.pidsLimit() > 0 ? Math.max(r.pidsLimit(), INIT_PIDS_FLOOR) : r.pidsLimit();
        if (memory == r.memoryBytes() && swap == r.memorySwapBytes() && pids == r.pidsLimit()) {
            return r;
        }
        return new Cgroup.Resources(memory, swap, r.cpuShares(), r.cpuQuotaMicros(), r.cpuPeriodMicros(),
                r.cpusetCpus(), r.cpusetMems(), pids, r.devices()); // the device rules too: never dropped
    }

    /**
     * After the execve: writes the configured memory and pids limits where {@link #initResources} raised them.
     * Lowering memory below what the cgroup uses makes the kernel reclaim (the JVM's memory left with its
     * execve; its page cache is clean) or fail with EBUSY. A workload that already uses more than its limit
     * (one that allocates fast, started on a loaded machine) gets the limit at its current usage instead, so
     * its next allocation meets the kernel's OOM killer, as it would have under a limit set before execve;
     * the configured value is retried for about two seconds, then the start fails.
     */
    private void lowerToWorkloadLimits(RecordingSyscalls parent) throws ContainerException, InterruptedException {
        Cgroup.Resources wanted = config.cgroup().resources();
        Cgroup.Resources forInit = initResources(wanted);
        if (forInit.equals(wanted)) {
            return;
        }
        boolean memory = !memoryLowered && (forInit.memoryBytes() != wanted.memoryBytes()
                || forInit.memorySwapBytes() != wanted.memorySwapBytes());
        long pids = !pidsLowered && forInit.pidsLimit() != wanted.pidsLimit() ? wanted.pidsLimit() : 0;
        if (!memory && pids == 0) {
            return;                                         // both written before the execve already
        }
        Cgroup.Resources exact = new Cgroup.Resources(memory ? wanted.memoryBytes() : 0,
                memory ? wanted.memorySwapBytes() : 0, 0, 0, 0, null, null, pids);
        for (int attempt = 1; ; attempt++) {
            int from = parent.size();
            try {
                cgroup.set(exact);
                parent.annotateFrom(from, "the configured value, now that the init has exec'd the workload");
                return;
            } catch (CgroupException e) {
                boolean busy = e.getCause() instanceof SyscallException se && se.errno() == SyscallException.EBUSY;
                if (!busy || attempt >= 40) {
                    throw new ContainerException("cannot lower the limits to the configured values after the init's execve: "
                            + e.getMessage() + (busy ? " (the workload already uses more memory than "
                            + wanted.memoryBytes() + " bytes)" : ""));
                }
                if (memory) {
                    clampToUsage(wanted, exact, parent);
                }
                Thread.sleep(50);
            }
        }
    }
    // end::init-floor[]

    // the workload is over its limit already: the limit at its usage, so its next charge is the OOM killer's
    private void clampToUsage(Cgroup.Resources wanted, Cgroup.Resources exact, RecordingSyscalls parent) {
        try {
            long usage = cgroup.stats().memoryUsageBytes();
            if (usage <= wanted.memoryBytes()) {
                return;
            }
            long swap = wanted.memorySwapBytes() > 0 ? Math.max(wanted.memorySwapBytes(), usage) : 0;
            int from = parent.size();
            cgroup.set(new Cgroup.Resources(usage, swap, 0, 0, 0, null, null, exact.pidsLimit()));
            parent.annotateFrom(from, "the workload's usage: it is over its limit, its next allocation is OOM-killed");
        } catch (RuntimeException e) {
            // a CgroupException: usage moved under us (EBUSY again): the next attempt reads it anew
        }
    }

    /** Room left for the init between its "exec" message and its execve, bytes (a few allocations at most). */
    static final long EXEC_MEMORY_MARGIN = 16L << 20;
    /** Whether {@link #lowerMemoryBeforeExec} already wrote the configured memory limits. */
    private boolean memoryLowered;

    /**
     * Before the init's execve: writes the configured memory limits ({@link #initResources} raised them) when
     * what the cgroup uses now, plus {@link #EXEC_MEMORY_MARGIN}, fits under them, so that the workload reads
     * its own limit from its first instruction, as in Docker ({@code cat memory.limit_in_bytes} right at the
     * start). Otherwise (a limit too small for the init, a cold page cache) {@link #lowerToWorkloadLimits} does
     * it after the execve, as before. Never fails the start.
     */
    void lowerMemoryBeforeExec() {
        if (cgroup == null) {
            return;
        }
        RecordingSyscalls parent = parentCalls;
        Cgroup.Resources wanted = config.cgroup().resources();
        Cgroup.Resources forInit = initResources(wanted);
        if (forInit.memoryBytes() == wanted.memoryBytes() && forInit.memorySwapBytes() == wanted.memorySwapBytes()) {
            return;
        }
        int from = parent.size();
        try {
            long usage = cgroup.stats().memoryUsageBytes();
            if (wanted.memoryBytes() <= 0 || usage + EXEC_MEMORY_MARGIN > wanted.memoryBytes()) {
                return;
            }
            cgroup.set(new Cgroup.Resources(wanted.memoryBytes(), wanted.memorySwapBytes(), 0, 0, 0, null, null, 0));
            parent.annotateFrom(from, "the configured value, before the init's execve: its usage fits");
            memoryLowered = true;
        } catch (RuntimeException e) {
            parent.annotateFrom(from, "could not lower it yet: after the execve then");
        }
    }

    /** Whether {@link #lowerPidsBeforeExec} already wrote the configured pids limit. */
    private boolean pidsLowered;

    /**
     * Before the init's execve: writes the configured pids limit ({@link #initResources} raised it to
     * {@link #INIT_PIDS_FLOOR}), so that the workload cannot fork past it in the moment between its execve and
     * {@link #lowerToWorkloadLimits}. Safe also below the init JVM's current number of tasks: a lower
     * {@code pids.max} refuses new forks and clones only and kills nothing (kernel doc cgroup-v1/pids.rst), and
     * from here to its execve the init starts no thread (it reads its start gate and makes a few direct JNA
     * calls; JNA's cleaner thread runs since libc was loaded, kept by the registered library). Only HotSpot's
     * own GC helper threads are started on demand, and the JVM goes on without one it cannot start. Never fails
     * the start: after the execve then.
     */
    void lowerPidsBeforeExec() {
        if (cgroup == null) {
            return;
        }
        long wanted = config.cgroup().resources().pidsLimit();
        if (initResources(config.cgroup().resources()).pidsLimit() == wanted) {
            return;
        }
        RecordingSyscalls parent = parentCalls;
        int from = parent.size();
        try {
            cgroup.set(new Cgroup.Resources(0, 0, 0, 0, 0, null, null, wanted));
            parent.annotateFrom(from, "the configured value, before the init's execve: the init starts no task now");
            pidsLowered = true;
        } catch (RuntimeException e) {
            parent.annotateFrom(from, "could not lower it yet: after the execve then");
        }
    }

    /** {@code PID STARTTIME}: what {@link #cleanup} needs to tell the init from a later process with its pid. */
    private void writePidFile(Process p) throws IOException {
        Files.writeString(stateDir.resolve(PID_FILE), p.pid() + " " + startTime(p.pid()) + "\n");
    }

    /** Field 22 of /proc/PID/stat (proc(5)): start time after boot in clock ticks; -1 when gone. */
    static long startTime(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(f[19]);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    private void cleanupAfterFailedStart() {
        Process p = process;
        if (p == null && ContainerStatus.alive(initPid, initStartTime)) { // a loaded container's init
            try {
                options.syscalls().because("start failed: SIGKILL to the init").kill((int) initPid, Syscalls.SIGKILL);
            } catch (SyscallException e) {
                // ESRCH: a process that is already gone is success
            }
        }
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
            destroyCgroup();
        } catch (RuntimeException e) {
            // reported by destroy() later; the start error matters more
        }
        if (config.network() != null) { // the kernel removes it with the namespace, later: now, so no veth is left
            dev.rabbithole.stage2.libcontainer.network.VethStrategy.deleteQuietly(config.network().hostInterface());
        }
        persistQuietly();
    }

    /**
     * Sends a signal to the container's process (kill(2) on its host pid): the workload, or the init while it
     * waits at the start gate, as runc's {@code kill}.
     *
     * @param signal signal number, e.g. {@link Syscalls#SIGTERM}; see the class comment for pid 1
     * @throws ContainerException {@link ContainerException.Kind#INCORRECT_STATUS} when the container is not
     *                            created, running or paused
     */
    public synchronized void signal(int signal) throws ContainerException {
        ContainerKill.run(this, signal);
    }

    /**
     * Starts another process inside this created or running container, as runc's {@code exec}: it joins the
     * container's namespaces (setns(2)) and cgroup and runs with the config's identity and security settings
     * (the container's where it gives none); see {@link ContainerExec}. Usable on a {@link LinuxFactory#load
     * loaded} container too.
     *
     * @param exec  the process (runtime-spec config.md "process"), its terminal and console socket
     * @param stdio its stdio when it has no terminal (with one, the pty's slave replaces them)
     * @return the running process, this JVM's child
     * @throws ContainerException {@link ContainerException.Kind#INCORRECT_STATUS} when the container is not
     *                            created or running, {@link ContainerException.Kind#INVALID_CONFIG} for a bad
     *                            config, {@link ContainerException.Kind#INIT_FAILED} with the failing call and
     *                            errno when the process could not be set up or exec'd
     */
    public ExecProcess exec(dev.rabbithole.stage2.libcontainer.configs.ExecConfig exec, Stdio stdio)
            throws ContainerException {
        return ContainerExec.run(this, exec, stdio);
    }

    /**
     * {@link #exec} for runc-exec(8) {@code --detach}: the process inherits this JVM's stdio and no JDK reaper waits
     * for it, so when it exits its status stays for the subreaper it is reparented to when this JVM exits (the
     * shim), as runc's detached exec leaves it.
     *
     * @param exec as {@link #exec}
     * @return the running process, this JVM's child; {@link ExecProcess#waitFor()} would reap it
     * @throws ContainerException as {@link #exec}
     */
    public ExecProcess execDetached(dev.rabbithole.stage2.libcontainer.configs.ExecConfig exec) throws ContainerException {
        ProcessBuilder.Redirect i = ProcessBuilder.Redirect.INHERIT;
        return ContainerExec.run(this, exec, new Stdio(i, i, i), true);
    }

    /**
     * Waits for the workload to exit.
     *
     * @return its exit code: the status it passed to exit(2), or 128 + the signal number that killed it
     * @throws ContainerException {@link ContainerException.Kind#INCORRECT_STATUS} when the container was never
     *                            started, or its init is not a child of this process (a loaded container)
     * @throws InterruptedException when interrupted while waiting
     */
    public int waitFor() throws ContainerException, InterruptedException {
        Process p = process;
        if (p == null) {
            throw new ContainerException(ContainerException.Kind.INCORRECT_STATUS,
                    "container " + id() + " was not started by this process");
        }
        int code = p.waitFor();
        synchronized (this) {
            if (status != Status.STOPPED && status != Status.DESTROYED) {
                status = Status.STOPPED;
                exitCode = code;
                persistQuietly();
            }
        }
        return code;
    }

    /**
     * How many of the container's processes the kernel's OOM killer killed ({@link CgroupManager#oomKillCount()}).
     * Call it after {@link #waitFor()} and before {@link #destroy()}, which removes the cgroup and its counter.
     *
     * @return the count; 0 without a cgroup, or when it cannot be read
     */
    public long oomKillCount() {
        CgroupManager m = cgroup;
        if (m == null) {
            return 0;
        }
        try {
            return m.oomKillCount();
        } catch (RuntimeException e) {
            return 0;
        }
    }

    /**
     * Kills whatever is left (SIGKILL to pid 1 ends the whole pid namespace), removes the cgroup and the
     * state directory, as runc's {@code delete --force}. Idempotent; works on a {@link LinuxFactory#load loaded}
     * container too (the init is then found by its pid and start time).
     *
     * @throws ContainerException when the cgroup cannot be removed or the workload does not die
     */
    public synchronized void destroy() throws ContainerException {
        ContainerDelete.run(this);
    }

    /** The kill and wait for a container whose init is this process's child. */
    void killOwnInit() throws ContainerException {
        Process p = process;
        if (p == null || !p.isAlive()) {
            return;
        }
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

    /** Closes the handshake of a container that never got past its gate here. */
    void closeInit() {
        InitProcess ip = initProcess;
        if (ip != null) {
            ip.close();
            initProcess = null;
        }
    }

    /** @return whether this process holds the init as its child */
    boolean ownsInit() {
        return process != null;
    }

    /** Marks the container destroyed (its state directory is gone). */
    void destroyed() {
        status = Status.DESTROYED;
    }

    private void destroyCgroup() {
        if (config.cgroup() == null) {
            return;
        }
        CgroupManager m = cgroup != null ? cgroup : options.cgroups().manager(config.cgroup(), options.syscalls());
        m.destroy(); // a cgroup that was never made is success
    }

    /**
     * The IDs that have a state directory under {@code stateRoot}: after a daemon restart, the containers its
     * previous run left (dead with it, see the class comment) and that {@link #cleanup} should remove.
     *
     * @param stateRoot the directory given to {@link #create}
     * @return container IDs, sorted; empty when the directory does not exist
     * @throws IOException when it cannot be listed
     */
    public static List<String> list(Path stateRoot) throws IOException {
        if (!Files.isDirectory(stateRoot)) {
            return List.of();
        }
        try (Stream<Path> dirs = Files.list(stateRoot)) {
            return dirs.filter(d -> Files.isRegularFile(d.resolve(CONFIG_FILE)))
                    .map(d -> d.getFileName().toString()).sorted().toList();
        }
    }

    /**
     * Removes what a container whose parent JVM died left behind, as a daemon does for its previous run's
     * containers when it starts: SIGKILL to its init (only if the pid still names the same process: same start
     * time) and to anything still in its cgroup, then the cgroup and the state directory. Idempotent; a
     * container that is already gone is success. Uses the host's cgroups ({@link CgroupApplier#HOST}).
     *
     * @param id        the container ID
     * @param stateRoot the directory given to {@link #create}
     * @throws ContainerException when the cgroup or the state directory cannot be removed
     */
    public static void cleanup(String id, Path stateRoot) throws ContainerException {
        cleanup(id, stateRoot, CgroupApplier.HOST, new JnaSyscalls());
    }

    /**
     * As {@link #cleanup(String, Path)} with a given cgroup driver and kernel interface.
     *
     * @param id        the container ID
     * @param stateRoot the directory given to {@link #create}
     * @param cgroups   the cgroup driver the container was created with
     * @param sys       kill(2) goes through it
     * @throws ContainerException when the cgroup or the state directory cannot be removed
     */
    public static void cleanup(String id, Path stateRoot, CgroupApplier cgroups, Syscalls sys)
            throws ContainerException {
        ContainerDelete.sweep(id, stateRoot, cgroups, sys);
    }

    static void deleteRecursively(Path dir) throws IOException {
        ContainerDelete.deleteRecursively(dir);
    }

    /** Writes {@link #STATE_FILE} atomically: a temporary file, fsync'ed, renamed over it. */
    void persist() throws IOException {
        if (!Files.isDirectory(stateDir)) {
            return;
        }
        Path tmp = stateDir.resolve(STATE_FILE + ".tmp");
        try (var ch = java.nio.channels.FileChannel.open(tmp, java.nio.file.StandardOpenOption.CREATE,
                java.nio.file.StandardOpenOption.WRITE, java.nio.file.StandardOpenOption.TRUNCATE_EXISTING)) {
            ch.write(java.nio.ByteBuffer.wrap(JSON.writeValueAsBytes(snapshot())));
            ch.force(true);
        }
        Files.move(tmp, stateDir.resolve(STATE_FILE), StandardCopyOption.ATOMIC_MOVE,
                StandardCopyOption.REPLACE_EXISTING);
    }

    /**
     * Reads a container's {@link #STATE_FILE} and makes the object another process works with: its status
     * derived now, its init found by pid and start time. What {@link LinuxFactory#load} returns.
     *
     * @param stateRoot the runtime root
     * @param id        the container ID
     * @param options   how to act on it (kernel interface, cgroup driver, start timeout)
     * @return the container
     * @throws ContainerException {@link ContainerException.Kind#NOT_EXIST} when there is no such container,
     *                            {@link ContainerException.Kind#SYSTEM} when its state cannot be read
     */
    static LinuxContainer load(Path stateRoot, String id, Options options) throws ContainerException {
        if (id == null || !id.matches("[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")) {
            throw new ContainerException(ContainerException.Kind.NOT_EXIST, "container " + id + " does not exist");
        }
        Path dir = stateRoot.resolve(id);
        Path file = dir.resolve(STATE_FILE);
        ContainerState s;
        try {
            s = JSON.readValue(file.toFile(), ContainerState.class);
        } catch (java.io.FileNotFoundException | java.nio.file.NoSuchFileException e) {
            throw new ContainerException(ContainerException.Kind.NOT_EXIST, "container " + id + " does not exist");
        } catch (IOException e) {
            if (!Files.exists(file)) {
                throw new ContainerException(ContainerException.Kind.NOT_EXIST, "container " + id + " does not exist");
            }
            throw new ContainerException("cannot read the state of " + id + ": " + e.getMessage(), e);
        }
        if (s.config() == null) {
            throw new ContainerException("the state of " + id + " has no config");
        }
        LinuxContainer c = new LinuxContainer(s.config(), dir, options, null);
        c.status = s.status();
        c.initPid = s.pid();
        c.initStartTime = s.initStartTime();
        c.exitCode = s.exitCode();
        c.created = s.created();
        c.namespacePaths = s.namespacePaths() == null ? Map.of() : s.namespacePaths();
        c.parentCalls = new RecordingSyscalls(options.syscalls());
        c.report = new StartReport();
        if (s.config().cgroup() != null) {
            c.cgroup = options.cgroups().manager(s.config().cgroup(), c.parentCalls);
        }
        c.refresh();
        return c;
    }

    void persistQuietly() {
        try {
            persist();
        } catch (IOException e) {
            // state.json is informational for this JVM; the in-memory state is authoritative
        }
    }
}
