package dev.rabbithole.stage2.libcontainer.container;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rabbithole.stage2.libcontainer.cgroups.CgroupException;
import dev.rabbithole.stage2.libcontainer.cgroups.CgroupManager;
import dev.rabbithole.stage2.libcontainer.configs.Cgroup;
import dev.rabbithole.stage2.libcontainer.configs.ContainerConfig;
import dev.rabbithole.stage2.libcontainer.namespaces.NamespaceSpawner;
import dev.rabbithole.stage2.libcontainer.process.InitChannel;
import dev.rabbithole.stage2.libcontainer.process.InitMessage;
import dev.rabbithole.stage2.libcontainer.system.JnaSyscalls;
import dev.rabbithole.stage2.libcontainer.system.RecordingSyscalls;
import dev.rabbithole.stage2.libcontainer.system.SyscallException;
import dev.rabbithole.stage2.libcontainer.system.Syscalls;
import dev.rabbithole.stage2.libcontainer.system.Transcript;

import java.io.IOException;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
 * <p>A container dies with the JVM that started it (in stages 1 and 2 a killed daemon takes
 * its containers with it): the init's parent is the spawner thread, which stays parked until the workload
 * exits, and the init sets PR_SET_PDEATHSIG(SIGKILL) right before execve. What such a death leaves (the
 * cgroup, the state directory) is removed by {@link #cleanup(String, Path)} when the daemon starts again.
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

    private LinuxContainer(ContainerConfig config, Path stateDir, Options options, byte[] seccomp) {
        this.config = config;
        this.stateDir = stateDir;
        this.options = options;
        this.seccomp = seccomp;
    }

    /**
     * Creates the container's state directory {@code stateRoot/ID} (state.json, /etc files, the control
     * socket); nothing runs yet.
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
            throw new ContainerException("container " + config.id() + " already exists");
        } catch (IOException e) {
            throw new ContainerException("cannot create state directory " + dir + ": " + e.getMessage(), e);
        }
        try {
            LinuxContainer c = new LinuxContainer(config, dir, options, seccomp);
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
        RecordingSyscalls parent = new RecordingSyscalls(options.syscalls()); // always on: it is cheap
        long t0 = System.nanoTime();
        Map<String, Long> steps = new LinkedHashMap<>();
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            InitPool.Taken taken = pool == null || !pool.stdio().equals(options.stdio()) ? null
                    : pool.take(config.namespaces());
            if (taken == null) {
                server.bind(UnixDomainSocketAddress.of(socket));
            }
            ProcessBuilder pb = new ProcessBuilder(options.init().command(socket))
                    .redirectInput(options.stdio().in())
                    .redirectOutput(options.stdio().out())
                    .redirectError(options.stdio().err());
            pb.environment().clear(); // the init JVM sees no JAVA_TOOL_OPTIONS; the workload gets config's env
            pb.directory(stateDir.toFile());
            if (config.cgroup() != null) {
                cgroup = options.cgroups().manager(config.cgroup(), parent);
            }
            Process p;
            if (taken != null) {
                p = taken.process();
                parent.addAll(taken.spawnCalls());
                parent.because("init JVM taken from the daemon's init pool, " + taken.ageMillis()
                        + " ms after its start: connected, waiting for its config").note("pool", "take",
                        "pid " + p.pid());
                steps.put("taken from the init pool", (System.nanoTime() - t0) / 1000);
            } else {
                // the cgroup namespace is the init's to make, after its cgroup placement (InitMain)
                java.util.Set<dev.rabbithole.stage2.libcontainer.configs.NamespaceType> spawnNs =
                        java.util.EnumSet.noneOf(dev.rabbithole.stage2.libcontainer.configs.NamespaceType.class);
                spawnNs.addAll(config.namespaces());
                spawnNs.remove(dev.rabbithole.stage2.libcontainer.configs.NamespaceType.CGROUP);
                p = new NamespaceSpawner(parent).spawn(spawnNs, pb, id());
                if (pool != null) {
                    parent.because("a new init JVM: the init pool had no idle init for these namespaces")
                            .note("pool", "none");
                }
                steps.put("spawned", (System.nanoTime() - t0) / 1000);
            }
            process = p;
            writePidFile(p);
            p.onExit().thenRun(() -> closeQuietly(server)); // an init that dies before connecting unblocks accept
            ScheduledFuture<?> watchdog = timer.schedule(() -> {
                timedOut.set(true);
                closeQuietly(server);
                p.destroyForcibly();
            }, options.startTimeout().toMillis(), TimeUnit.MILLISECONDS);
            // tag::init-pipe[]
            SocketChannel accepted;
            try {
                accepted = taken != null ? taken.channel() : server.accept();
            } catch (ClosedChannelException e) {
                throw failure(timedOut.get() ? "timed out waiting for the init to connect"
                        : "init exited with code " + p.waitFor() + " before connecting");
            }
            steps.put("init connected", (System.nanoTime() - t0) / 1000);
            try (InitChannel channel = new InitChannel(accepted)) {
                Files.deleteIfExists(socket);
                channel.send(InitMessage.config(config, stateDir.resolve("hostname").toString(),
                        stateDir.resolve("hosts").toString(), stateDir.resolve("resolv.conf").toString(), seccomp));
                if (cgroup != null) { // before go: the init's children inherit it
                    cgroup.apply(p.pid());
                    int from = parent.size();
                    Cgroup.Resources wanted = config.cgroup().resources();
                    Cgroup.Resources forInit = initResources(wanted);
                    cgroup.set(forInit);
                    if (!forInit.equals(wanted)) {
                        parent.annotateFrom(from, "raised to the init JVM's floor until its execve");
                    }
                }
                steps.put("config sent, cgroup set", (System.nanoTime() - t0) / 1000);
                parent.because("the init may go on: it is in its cgroup").note("write", "init.sock", "\"go\"");
                channel.send(InitMessage.go());
                List<RecordingSyscalls.Call> initCalls = null;
                for (InitMessage m; (m = channel.receive()) != null; ) {
                    if (InitMessage.ERROR.equals(m.type())) {
                        throw failure(m.error());
                    }
                    if (InitMessage.EXEC.equals(m.type())) {
                        initCalls = m.calls() == null ? List.of() : m.calls();
                        long connected = steps.get("init connected");
                        long initConnected = m.timings() == null ? 0 : m.timings().getOrDefault("connected", 0L);
                        steps.put("init JVM up (until its main)", connected - initConnected);
                        if (m.timings() != null) {
                            m.timings().forEach((k, v) -> steps.put("init: " + k, connected - initConnected + v));
                        }
                        steps.put("exec reported", (System.nanoTime() - t0) / 1000);
                        if (cgroup != null) {
                            lowerMemoryBeforeExec(parent);
                        }
                        try {
                            channel.send(InitMessage.go());     // the init may execve
                        } catch (IOException gone) {
                            // the init died: end of stream follows
                        }
                    }
                }
                // End of stream: the init exec'd (its socket was close-on-exec), or died.
                if (timedOut.get()) {
                    throw failure("timed out waiting for the init");
                }
                if (initCalls == null) {
                    throw failure("init exited with code " + p.waitFor() + " before exec");
                }
                parent.addAll(initCalls);
            } catch (ClosedChannelException e) {
                throw failure("timed out waiting for the init");
            }
            // end::init-pipe[]
            if (cgroup != null) {
                lowerToWorkloadLimits(parent);
            }
            watchdog.cancel(false);
            steps.put("exec done (socket closed)", (System.nanoTime() - t0) / 1000);
            Map<String, Long> ordered = new LinkedHashMap<>();
            steps.entrySet().stream().sorted(Map.Entry.comparingByValue())
                    .forEach(e -> ordered.put(e.getKey(), e.getValue()));
            timings = java.util.Collections.unmodifiableMap(ordered);
            calls = parent.calls();
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
                r.cpusetCpus(), r.cpusetMems(), pids);
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
        Cgroup.Resources exact = new Cgroup.Resources(memory ? wanted.memoryBytes() : 0,
                memory ? wanted.memorySwapBytes() : 0, 0, 0, 0, null, null,
                forInit.pidsLimit() != wanted.pidsLimit() ? wanted.pidsLimit() : 0);
        for (int attempt = 1; ; attempt++) {
            int from = parent.size();
            try {
                cgroup.set(exact);
                parent.annotateFrom(from, "the configured value, now that the init has exec'd the workload");
                return;
            } catch (CgroupException e) {
                boolean busy = e.getCause() instanceof SyscallException se && se.errno() == SyscallException.EBUSY;
                if (!busy || attempt >= 40) {
                    throw failure("cannot lower the limits to the configured values after the init's execve: "
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
    private void lowerMemoryBeforeExec(RecordingSyscalls parent) {
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
            destroyCgroup();
        } catch (RuntimeException e) {
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
            destroyCgroup();
            deleteRecursively(stateDir);
        } catch (IOException | RuntimeException e) {
            throw new ContainerException("destroy " + id() + ": " + e.getMessage(), e);
        }
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
        Path dir = stateRoot.resolve(id);
        if (!id.matches("[A-Za-z0-9][A-Za-z0-9_.-]{0,127}") || !Files.isDirectory(dir)) {
            return; // nothing left: success
        }
        try {
            Path pidFile = dir.resolve(PID_FILE);
            if (Files.exists(pidFile)) {
                String[] f = Files.readString(pidFile).trim().split(" ");
                long pid = Long.parseLong(f[0]);
                if (startTime(pid) == Long.parseLong(f[1])) {
                    killQuietly(sys, pid);
                    awaitGone(pid);
                }
            }
            Path configFile = dir.resolve(CONFIG_FILE);
            if (Files.exists(configFile)) {
                ContainerConfig cfg = JSON.readValue(configFile.toFile(), ContainerConfig.class);
                if (cfg.cgroup() != null) {
                    CgroupManager m = cgroups.manager(cfg.cgroup(), sys);
                    for (Path cg : new java.util.LinkedHashSet<>(m.paths().values())) {
                        Path procs = cg.resolve("cgroup.procs");
                        if (Files.exists(procs)) {
                            for (String line : Files.readAllLines(procs)) {
                                if (!line.isBlank()) {
                                    killQuietly(sys, Long.parseLong(line.trim()));
                                    awaitGone(Long.parseLong(line.trim()));
                                }
                            }
                        }
                    }
                    m.destroy();
                }
            }
            deleteRecursively(dir);
        } catch (IOException | RuntimeException e) {
            throw new ContainerException("cleanup " + id + ": " + e.getMessage(), e);
        }
    }

    private static void killQuietly(Syscalls sys, long pid) {
        try {
            sys.because("cleanup: SIGKILL to what a dead daemon left").kill((int) pid, Syscalls.SIGKILL);
        } catch (SyscallException e) {
            // ESRCH: a process that is already gone is success
            if (e.errno() != SyscallException.ESRCH) {
                throw e;
            }
        }
    }

    private static void awaitGone(long pid) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (Files.exists(Path.of("/proc", Long.toString(pid))) && System.nanoTime() < deadline) {
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
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
