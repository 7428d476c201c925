package dev.rabbithole.stage1.execdriver.lxc;

import dev.rabbithole.stage1.AtomicFiles;
import dev.rabbithole.stage1.cgroups.CgroupFs;
import dev.rabbithole.stage1.cgroups.CgroupVersion;
import dev.rabbithole.stage1.errdefs.ConflictException;
import dev.rabbithole.stage1.errdefs.EngineException;
import dev.rabbithole.stage1.errdefs.InvalidParameterException;
import dev.rabbithole.stage1.errdefs.SystemException;
import dev.rabbithole.stage1.execdriver.Command;
import dev.rabbithole.stage1.execdriver.HostDevices;
import dev.rabbithole.stage1.execdriver.ContainerProcess;
import dev.rabbithole.stage1.execdriver.EtcFiles;
import dev.rabbithole.stage1.execdriver.ExecDriver;
import dev.rabbithole.stage1.execdriver.RootfsPaths;
import dev.rabbithole.stage1.security.SeccompConditions;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The LXC exec driver: Docker 0.x's {@code execdriver/lxc}. For each container it writes an LXC
 * configuration ({@link LxcConfig}) and a seccomp policy ({@link LxcSeccompPolicy}) into the container's
 * state directory and runs {@code lxc-execute} (lxc-execute(1), LXC 5.0), which starts LXC's own init as
 * pid 1 of the container and the workload as its child, pid 2 (with {@code --device}, the next pid after those
 * the autodev hook took in the container's pid namespace).
 * <pre>
 * daemon (JVM, launcher thread)
 *   └─ sh (the guard: PR_SET_PDEATHSIG=SIGTERM via setpriv, runs lxc-stop -k when the daemon dies)
 *       └─ lxc-execute (LXC's monitor: creates cgroups lxc.monitor.ID and lxc.payload.ID, removes them at exit)
 *           └─ init (pid 1 in the container; reaps, forwards signals)
 *               └─ workload (pid 2)
 * </pre>
 * Files in the state directory: {@code config}, {@code seccomp}, {@code devices-hook} (LXC's
 * {@code lxc.hook.autodev}, for {@code --device}; it leaves {@code devices-hook.last-pid}), {@code stop-hook} (LXC's {@code lxc.hook.stop},
 * which saves the memory cgroup's OOM kill counter in {@code oom_kill}), {@code lxc.log}, {@code lxc-execute.pid},
 * and the LXC path {@code lxc/} (lxc-execute {@code -P}), so that daemons with different data roots never share one.
 *
 * <p>LXC's init waits for every process of the container, Docker's container ends with its main process: a
 * watcher thread ({@link #reap()}) kills what is left in the container when the workload exits.
 */
public class LxcExecDriver implements ExecDriver {

    /** How long {@link #start} waits for the workload to appear, milliseconds. */
    static final long START_TIMEOUT_MS = 20_000;

    // tag::lxc-guard[]
    /**
     * The guard between the daemon and lxc-execute. The kernel sends the guard SIGTERM when the daemon's
     * launcher thread dies (with the JVM, even on SIGKILL). It does not go to lxc-execute directly: LXC's
     * monitor dies of it but leaves the container running when {@code lxc.init.uid} is set, because the
     * kernel clears the init's parent-death signal when it changes its uid. {@code lxc-stop -k} asks the
     * monitor to kill the container and tear it down (cgroups included).
     */
    static final String GUARD = String.join("\n",
            "n=$1; p=$2; f=$3; shift 3",
            "lxc-execute -n \"$n\" -P \"$p\" -f \"$f\" -- \"$@\" &",
            "c=$!",
            "trap 'lxc-stop -n \"$n\" -P \"$p\" -k >/dev/null 2>&1 || kill -KILL $c' TERM",
            "while :; do",
            "  wait $c; rc=$?",
            "  kill -0 $c 2>/dev/null || exit $rc",
            "done");
    // end::lxc-guard[]

    /** How often the watcher looks at the workloads, milliseconds. */
    static final long REAP_INTERVAL_MS = 50;

    private final ExecutorService launcher;
    private final ScheduledExecutorService reaper;
    private final Set<LxcProcess> watched = ConcurrentHashMap.newKeySet();
    private volatile CgroupVersion cgroups;

    /** A driver that detects the host's cgroup version at the first start. */
    public LxcExecDriver() {
        this(null);
    }

    /**
     * A driver for a given cgroup version.
     *
     * @param cgroups the version whose {@code lxc.cgroup*} keys to write, or null to detect it
     */
    public LxcExecDriver(CgroupVersion cgroups) {
        this.cgroups = cgroups;
        // pdeathsig fires when the parent *thread* exits: every guard is started from this one thread,
        // which lives as long as the JVM
        this.launcher = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "lxc-launcher");
            t.setDaemon(true);
            return t;
        });
        this.reaper = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "lxc-reaper");
            t.setDaemon(true);
            return t;
        });
        reaper.scheduleWithFixedDelay(this::reap, REAP_INTERVAL_MS, REAP_INTERVAL_MS, TimeUnit.MILLISECONDS);
    }

    // tag::lxc-reaper[]
    /**
     * Ends the containers whose workload has exited. LXC's init (pid 1 of the container) reaps every process and
     * exits only when the last one is gone, so a workload that leaves a background process behind would keep its
     * container running; in Docker the container ends with its main process and the kernel kills the rest of the
     * pid namespace. Here, once the workload (pid 2) has exited, every other process of the container's payload
     * cgroup except LXC's init gets SIGKILL; the init then exits with the workload's status, which lxc-execute
     * passes on.
     *
     * <p>Polling: Java 17 cannot wait for a process that is not the JVM's own child (the workload is a
     * great-grandchild) and has no pidfd_open(2); one thread for all containers looks at each workload every
     * {@value #REAP_INTERVAL_MS} ms (one read of {@code /proc/PID/stat} each), so a container may outlive its
     * workload by that long.
     */
    void reap() {
        for (LxcProcess p : watched) {
            try {
                if (p.reap()) {
                    watched.remove(p);
                }
            } catch (RuntimeException e) {
                // a cgroup that vanished while we read it: the container is ending anyway; next round
            }
        }
    }
    // end::lxc-reaper[]

    /** @return {@code lxc-} and the version {@code lxc-execute --version} prints, e.g. {@code lxc-5.0.2}; {@code lxc} when LXC is missing */
    @Override
    public String name() {
        Optional<Path> tool = which("lxc-execute");
        if (tool.isEmpty()) {
            return "lxc";
        }
        try {
            Process p = new ProcessBuilder(tool.get().toString(), "--version").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            p.waitFor(10, TimeUnit.SECONDS);
            return out.isEmpty() ? "lxc" : "lxc-" + out.lines().findFirst().orElse("");
        } catch (IOException e) {
            return "lxc";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "lxc";
        }
    }

    /**
     * Writes {@code stateDir/config} and {@code stateDir/seccomp} and runs lxc-execute; returns when the
     * workload runs (or has already exited).
     *
     * @throws SystemException {@code lxc-execute} or {@code setpriv} missing, state not writable, or LXC failed
     *         to start the container (the message carries LXC's error lines from {@code lxc.log})
     * @throws InvalidParameterException the command cannot be expressed (unknown user, bad seccomp action,
     *         executable missing from the rootfs)
     */
    @Override
    public ContainerProcess start(Command c) {
        Path lxcExecute = which("lxc-execute").orElseThrow(() ->
                new SystemException("lxc-execute not found: install lxc (apt-get install lxc)"));
        Path setpriv = which("setpriv").orElseThrow(() ->
                new SystemException("setpriv not found: install util-linux (apt-get install util-linux)"));
        if (c.args() == null || c.args().isEmpty()) {
            throw new InvalidParameterException("No command specified");
        }
        RootfsPaths.createWorkingDir(c);
        RootfsPaths.checkExecutable(c);
        if (cgroups == null) {
            cgroups = CgroupVersion.detect();
        }
        Path state = c.stateDir();
        Path lxcPath = state.resolve("lxc");
        Path config = state.resolve("config");
        Path seccomp = state.resolve("seccomp");
        Path log = state.resolve("lxc.log");
        Path hook = state.resolve("stop-hook");
        try {
            Files.createDirectories(lxcPath);
            EtcFiles.write(state, c.hostname(), EtcFiles.HOST_RESOLV_CONF);   // bound by the config's mount entries
            Files.deleteIfExists(state.resolve(OOM_KILL_FILE));
            Optional<String> hookText = memoryCgroup(c.id()).map(dir -> stopHook(dir, state));
            if (hookText.isPresent()) {
                AtomicFiles.writeString(hook, hookText.get());
                Files.setPosixFilePermissions(hook, PosixFilePermissions.fromString("rwx------"));
            } else {
                Files.deleteIfExists(hook);
            }
            Path policy = null;
            if (c.seccomp() != null && !c.privileged()) {
                // Docker's conditional rules (CAP_SYS_ADMIN: mount, unshare, ...) decided for this container
                AtomicFiles.writeString(seccomp, LxcSeccompPolicy.render(SeccompConditions.resolve(c.seccomp(),
                        SeccompConditions.Facts.host(c.capabilities()))));
                policy = seccomp;
            } else {
                Files.deleteIfExists(seccomp);
            }
            Path devicesHook = state.resolve("devices-hook");
            List<HostDevices.Node> nodes = LxcDevices.nodes(c);
            Files.deleteIfExists(state.resolve(HOOK_LAST_PID_FILE));       // a restart must not read the last run's
            if (nodes.isEmpty()) {
                Files.deleteIfExists(devicesHook);
            } else {
                AtomicFiles.writeString(devicesHook, LxcDevices.hook(nodes, state.resolve(HOOK_LAST_PID_FILE)));
                Files.setPosixFilePermissions(devicesHook, PosixFilePermissions.fromString("rwx------"));
            }
            LxcMounts.createMountPoints(c);
            AtomicFiles.writeString(config, LxcConfig.generate(c, cgroups, policy, log, Files.exists(hook) ? hook : null,
                    nodes.isEmpty() ? null : devicesHook));
            Files.deleteIfExists(log);
        } catch (IOException e) {
            throw new SystemException("writing the lxc config of " + c.id() + " failed: " + e.getMessage(), e);
        }

        // a session of its own (NewSession): the terminal's Ctrl-C to the daemon's group does not reach the container
        List<String> argv = new ArrayList<>(dev.rabbithole.stage1.execdriver.NewSession.prefix());
        argv.addAll(List.of(setpriv.toString(), "--pdeathsig", "TERM", "/bin/sh", "-c",
                GUARD, "lxc-guard", c.id(), lxcPath.toString(), config.toString()));
        argv.addAll(c.args());
        ProcessBuilder pb = new ProcessBuilder(argv);
        pb.environment().put("PATH", lxcExecute.getParent() + File.pathSeparator + System.getenv().getOrDefault(
                "PATH", "/usr/sbin:/usr/bin:/sbin:/bin"));
        Process guard;
        try {
            guard = launcher.submit(pb::start).get();
        } catch (ExecutionException e) {
            throw new SystemException("running lxc-execute failed: " + e.getCause().getMessage(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SystemException("interrupted while starting " + c.id());
        }
        LxcProcess process = new LxcProcess(guard, c.id(), state, Files.exists(state.resolve("devices-hook")));
        try {
            process.awaitWorkload(log);
            AtomicFiles.writeString(state.resolve("lxc-execute.pid"), process.lxcExecutePid() + "\n");
            watched.add(process);
        } catch (IOException | RuntimeException e) {
            guard.destroy();                                        // SIGTERM: the guard runs lxc-stop -k
            try {
                guard.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
            }
            cleanup(c.id(), c.stateDir());
            if (e instanceof EngineException ee) {
                throw ee;
            }
            throw new SystemException("starting " + c.id() + " failed: " + e.getMessage(), e);
        }
        return process;
    }

    /**
     * Kills and removes what a container may have left when the daemon running it died: asks LXC's monitor to
     * kill it ({@code lxc-stop -k}), SIGKILLs every process left in its cgroups {@code lxc.payload.ID} and
     * {@code lxc.monitor.ID} (at the root of every hierarchy), then removes those cgroups. Idempotent.
     *
     * @throws SystemException a cgroup still holds processes after 10 seconds, or cannot be removed
     */
    @Override
    public void cleanup(String containerId, Path stateDir) {
        which("lxc-stop").ifPresent(stop -> {
            try {
                Process p = new ProcessBuilder(stop.toString(), "-n", containerId, "-P", stateDir.resolve("lxc").toString(),
                        "-k").redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
                if (!p.waitFor(10, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            } catch (IOException e) {
                // no lxc-stop to ask: the cgroup sweep below still kills what is left
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        List<Path> dirs = LxcCgroups.leftovers(containerId);
        for (Path dir : dirs) {
            LxcCgroups.killAll(dir);
        }
        for (Path dir : dirs) {
            LxcCgroups.remove(dir);
        }
    }

    /**
     * The container's end as its stop hook recorded it: the modification time of {@code oom_kill}, which LXC's
     * {@code lxc.hook.stop} writes when the container's last process has exited (also when the guard stopped it
     * because the daemon died).
     *
     * @return that time, or empty when the hook did not run (no memory controller, LXC killed outright)
     */
    @Override
    public Optional<java.time.Instant> endedAt(String containerId, Path stateDir) {
        try {
            return Optional.of(Files.getLastModifiedTime(stateDir.resolve(OOM_KILL_FILE)).toInstant());
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /**
     * LXC made the kernel calls of a start itself, in C, in lxc-execute and its init: rabbithole cannot list
     * them. Points to what it has: the config it wrote and LXC's own log (whose level the config sets).
     *
     * @return three lines: who made the calls, the config file, the log file
     */
    @Override
    public List<String> explain(String containerId, Path stateDir) {
        return List.of(
                "lxc-execute made the kernel calls of this start itself (clone, mounts, pivot_root, capabilities,",
                "seccomp, execve, in LXC's C code); rabbithole only wrote its configuration: " + stateDir.resolve("config"),
                "LXC's log of the start: " + stateDir.resolve("lxc.log"));
    }

    /**
     * The file the devices hook ({@link LxcDevices#hook}) writes last: the last pid its processes took in the
     * container's pid namespace, a decimal number.
     */
    static final String HOOK_LAST_PID_FILE = "devices-hook.last-pid";

    // tag::lxc-cgroup-paths[]
    /**
     * The container's cgroups as LXC made them: {@code lxc.payload.ID} at the root of each mounted hierarchy,
     * keyed by the v1 controllers of that hierarchy, or {@code unified} on a cgroup v2 host. stage 1 freezes,
     * updates and reads them itself (the files, not {@code lxc-freeze} or {@code lxc-cgroup}).
     *
     * @throws ConflictException the container has no payload cgroup (it is not running)
     */
    @Override
    public Map<String, Path> cgroupPaths(String containerId, Path stateDir) {
        CgroupVersion version = cgroups != null ? cgroups : CgroupVersion.detect();
        String mountinfo;
        try {
            mountinfo = Files.readString(Path.of("/proc/self/mountinfo"));
        } catch (IOException e) {
            throw new SystemException("reading mountinfo failed: " + e.getMessage(), e);
        }
        Map<String, Path> paths = new LinkedHashMap<>();
        for (CgroupVersion.CgroupMount m : CgroupVersion.mounts(mountinfo)) {
            Path dir = m.mountPoint().resolve("lxc.payload." + containerId);
            if (!Files.isDirectory(dir) || m.v2() != (version == CgroupVersion.V2)) {
                continue;
            }
            if (m.v2()) {
                paths.putIfAbsent(CgroupFs.UNIFIED, dir);
            } else {
                m.options().forEach(o -> paths.putIfAbsent(o, dir));
            }
        }
        if (paths.isEmpty()) {
            throw new ConflictException("Container " + containerId + " has no cgroup: it is not running");
        }
        return paths;
    }
    // end::lxc-cgroup-paths[]

    /** The file the stop hook writes: the memory cgroup's {@code oom_kill} count, a decimal number. */
    static final String OOM_KILL_FILE = "oom_kill";

    /** The container's memory cgroup, as LXC will create it: {@code lxc.payload.ID} under the memory hierarchy. */
    private Optional<Path> memoryCgroup(String id) {
        String mountinfo;
        try {
            mountinfo = Files.readString(Path.of("/proc/self/mountinfo"));
        } catch (IOException e) {
            return Optional.empty();
        }
        Optional<Path> root = cgroups == CgroupVersion.V1 ? CgroupVersion.v1MountPoint(mountinfo, "memory")
                : CgroupVersion.mounts(mountinfo).stream().filter(CgroupVersion.CgroupMount::v2)
                        .map(CgroupVersion.CgroupMount::mountPoint).findFirst();
        return root.map(r -> r.resolve("lxc.payload." + id));
    }

    // tag::lxc-stop-hook[]
    /**
     * The stop hook's script. LXC runs {@code lxc.hook.stop} on the host after the container's last process
     * exited and before it removes the cgroups; the exit monitor would be too late to read the OOM killer's
     * counter ({@code oom_kill} in v1 {@code memory.oom_control} or v2 {@code memory.events}).
     */
    static String stopHook(Path memoryCgroup, Path state) {
        String out = shellQuote(state.resolve(OOM_KILL_FILE).toString());
        String cg = shellQuote(memoryCgroup.toString());
        return String.join("\n",
                "#!/bin/sh",
                "# lxc.hook.stop: save the OOM kill count before LXC removes the memory cgroup",
                "sed -n 's/^oom_kill //p' " + cg + "/memory.oom_control " + cg + "/memory.events 2>/dev/null > "
                        + out + ".tmp",
                "mv " + out + ".tmp " + out,
                "exit 0",
                "");
    }
    // end::lxc-stop-hook[]

    private static String shellQuote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }

    static Optional<Path> which(String tool) {
        String path = System.getenv().getOrDefault("PATH", "") + ":/usr/sbin:/usr/bin:/sbin:/bin";
        for (String dir : path.split(":")) {
            if (!dir.isEmpty()) {
                Path p = Path.of(dir, tool);
                if (Files.isExecutable(p)) {
                    return Optional.of(p);
                }
            }
        }
        return Optional.empty();
    }

    /** A container run by lxc-execute under the guard shell. */
    static final class LxcProcess implements ContainerProcess {
        private final Process guard;
        private final String id;
        private final Path stateDir;
        private volatile ProcessHandle lxcExecute;
        private volatile ProcessHandle init;
        private volatile ProcessHandle workload;
        /** The workload exited before it was seen: init's children are orphans it left. */
        private volatile boolean workloadGone;

        /** Whether an autodev hook runs in the container's pid namespace before LXC's init execs. */
        private final boolean hooked;

        LxcProcess(Process guard, String id, Path stateDir, boolean hooked) {
            this.guard = guard;
            this.id = id;
            this.stateDir = stateDir;
            this.hooked = hooked;
        }

        /**
         * One round of the watcher: once the workload has exited, SIGKILL every process of the payload cgroup
         * but LXC's init.
         *
         * @return true when the container has ended (nothing left to watch)
         */
        boolean reap() {
            if (!guard.isAlive()) {
                return true;
            }
            ProcessHandle w = workload;
            if (!workloadGone && (w == null || w.isAlive())) {
                return false;
            }
            ProcessHandle i = init;
            long initPid = i == null ? -1 : i.pid();
            for (Path cgroup : LxcCgroups.payloads(id)) {
                for (long pid : LxcCgroups.procs(cgroup)) {
                    if (pid != initPid) {
                        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
                    }
                }
            }
            return false;
        }

        /** @return the host process's pid in its innermost pid namespace (NSpid in proc(5) status), -1 when gone */
        static long nsPid(ProcessHandle h) {
            try {
                return Files.readAllLines(Path.of("/proc/" + h.pid() + "/status")).stream()
                        .filter(l -> l.startsWith("NSpid:"))
                        .mapToLong(l -> Long.parseLong(l.trim().substring(l.trim().lastIndexOf('\t') + 1).trim()))
                        .findFirst().orElse(-1);
            } catch (IOException | RuntimeException e) {
                return -1;
            }
        }

        /**
         * The workload's pid in the container: LXC's init forks it first, so it takes the next pid after those of
         * the autodev hook, which ran in the same pid namespace (pid 2 without a hook).
         *
         * @return that pid, or -1 while the hook has not finished
         */
        long workloadNsPid() {
            if (!hooked) {
                return 2;
            }
            try {
                return Long.parseLong(Files.readString(stateDir.resolve(HOOK_LAST_PID_FILE)).trim()) + 1;
            } catch (IOException | NumberFormatException e) {
                return -1;
            }
        }

        /** Follows guard -> lxc-execute -> init -> workload until the workload exists or everything exited. */
        void awaitWorkload(Path log) throws IOException {
            boolean setUp = false;
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(START_TIMEOUT_MS);
            while (System.nanoTime() < deadline) {
                if (lxcExecute == null) {
                    lxcExecute = guard.toHandle().children().findFirst().orElse(null);
                }
                if (lxcExecute != null && init == null) {
                    init = lxcExecute.children().findFirst().orElse(null);
                }
                if (init != null && workload == null && !setUp) {
                    // until LXC logs the end of its setup (lxc_setup's NOTICE, LXC 3 on; or the workload's start),
                    // the init's children are its setup's helpers, not the workload: a failed setup is a failed start
                    String text = Files.exists(log) ? Files.readString(log) : "";
                    setUp = text.contains("\" is set up") || text.contains("started with pid");
                }
                long expected = init != null && workload == null && setUp ? workloadNsPid() : -1;
                if (expected > 0) {
                    // the hook's processes (lower pids; its last one may still be exiting) are not the workload's
                    List<ProcessHandle> children = init.children().filter(h -> nsPid(h) >= expected).toList();
                    workload = children.stream().filter(h -> nsPid(h) == expected).findFirst().orElse(null);
                    if (workload == null && !children.isEmpty()) {
                        workloadGone = true;                // only orphans the exited workload left
                        return;
                    }
                }
                if (workload != null) {
                    return;
                }
                if (!guard.isAlive()) {
                    // a workload that ran and exited already is a success; LXC logs its start at NOTICE
                    String text = Files.exists(log) ? Files.readString(log) : "";
                    if (text.contains("started with pid")) {
                        return;
                    }
                    String errors = String.join("; ", text.lines().filter(l -> l.contains(" ERROR "))
                            .map(l -> l.replaceFirst("^.* - ", "")).toList());
                    if (errors.isEmpty()) {                     // LXC failed before it opened its log
                        errors = new String(guard.getErrorStream().readAllBytes(), StandardCharsets.UTF_8).trim()
                                .replace('\n', ';');
                    }
                    throw new SystemException("lxc-execute failed (exit " + guard.exitValue() + "): "
                            + (errors.isEmpty() ? "see lxc.log" : errors));
                }
                try {
                    Thread.sleep(2);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new SystemException("interrupted while starting the container");
                }
            }
            throw new SystemException("lxc-execute did not start the workload within " + START_TIMEOUT_MS + " ms");
        }

        /**
         * The container's pid as Docker reports it (State.Pid): the host pid of the container's pid 1, here LXC's
         * init, whose namespaces ({@code /proc/PID/ns/*}) are the container's, so {@code nsenter -t PID -u hostname}
         * prints the container's hostname. Docker reports its container's pid 1 too (the workload, or
         * docker-init with {@code --init}); LXC's init is the honest equivalent of the latter. The workload
         * itself is {@link #workloadPid()}.
         *
         * @return LXC's init's host pid; {@link #lxcExecutePid()} while (or if) the init is not known
         */
        @Override public long pid() {
            ProcessHandle i = init;
            return i != null ? i.pid() : lxcExecutePid();
        }

        /** @return the host pid of {@code lxc-execute}, LXC's monitor (the guard's pid until it is known) */
        public long lxcExecutePid() {
            ProcessHandle l = lxcExecute;
            return l != null ? l.pid() : guard.pid();
        }

        /** @return the host pid of the workload (pid 2 in the container), or -1 when it exited before it was seen */
        public long workloadPid() {
            ProcessHandle w = workload;
            return w != null ? w.pid() : -1;
        }

        @Override public InputStream stdout() {
            return guard.getInputStream();
        }

        @Override public InputStream stderr() {
            return guard.getErrorStream();
        }

        /**
         * Sends the signal to the workload (pid 2), not to LXC's init or monitor: the monitor turns SIGHUP into
         * a stop and cannot forward SIGKILL, and SIGKILL to the init makes lxc-execute exit 1 instead of 137.
         */
        @Override public void signal(int signal) {
            ProcessHandle w = workload;
            if (w == null || !w.isAlive()) {
                return;                                 // already gone: success, as kill(2) of a zombie container
            }
            try {
                Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(w.pid()))
                        .redirectErrorStream(true).start();
                String out = new String(kill.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
                if (kill.waitFor() != 0 && w.isAlive()) {
                    throw new SystemException("kill -" + signal + " " + w.pid() + " failed: " + out);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SystemException("interrupted while signalling the container");
            }
        }

        /**
         * @return lxc-execute's exit status, which is already Docker's: the workload's status, or 128 + the
         *         signal that killed it (SIGKILL: 137, SIGTERM: 143)
         */
        @Override public int waitFor() throws InterruptedException {
            return guard.waitFor();
        }

        /** @return whether the stop hook found an OOM kill in the container's memory cgroup */
        @Override public boolean oomKilled() {
            try {
                String count = Files.readString(stateDir.resolve(OOM_KILL_FILE)).trim();
                return !count.isEmpty() && Long.parseLong(count.lines().findFirst().orElse("0").trim()) > 0;
            } catch (IOException | NumberFormatException e) {
                return false;
            }
        }
    }

    /** The cgroups LXC creates for a container: {@code lxc.payload.ID} and {@code lxc.monitor.ID}. */
    static final class LxcCgroups {
        private LxcCgroups() { }

        /** The container's {@code lxc.payload.ID} directories, one per mounted hierarchy. */
        static List<Path> payloads(String id) {
            return leftovers(id).stream().filter(p -> p.getFileName().toString().startsWith("lxc.payload.")).toList();
        }

        /** Every such directory at the root of every mounted cgroup hierarchy (v1 and v2). */
        static List<Path> leftovers(String id) {
            List<Path> found = new ArrayList<>();
            String mountinfo;
            try {
                mountinfo = Files.readString(Path.of("/proc/self/mountinfo"));
            } catch (IOException e) {
                throw new SystemException("reading mountinfo failed: " + e.getMessage(), e);
            }
            for (CgroupVersion.CgroupMount m : CgroupVersion.mounts(mountinfo)) {
                for (String name : List.of("lxc.payload." + id, "lxc.monitor." + id)) {
                    Path dir = m.mountPoint().resolve(name);
                    if (Files.isDirectory(dir)) {
                        found.add(dir);
                    }
                }
            }
            return found;
        }

        static void killAll(Path cgroup) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (true) {
                List<Long> pids = procs(cgroup);
                if (pids.isEmpty()) {
                    return;
                }
                if (System.nanoTime() > deadline) {
                    throw new SystemException("cgroup " + cgroup + " still has processes " + pids);
                }
                pids.forEach(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
                try {
                    Thread.sleep(10);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new SystemException("interrupted while killing " + cgroup);
                }
            }
        }

        /** Every pid in the cgroup and its descendants. */
        static List<Long> procs(Path cgroup) {
            List<Long> pids = new ArrayList<>();
            try (Stream<Path> files = Files.walk(cgroup)) {
                for (Path f : files.filter(p -> p.getFileName().toString().equals("cgroup.procs")).toList()) {
                    for (String line : Files.readAllLines(f)) {
                        if (!line.isBlank()) {
                            pids.add(Long.parseLong(line.trim()));
                        }
                    }
                }
            } catch (IOException e) {
                if (Files.exists(cgroup)) {
                    throw new SystemException("reading " + cgroup + " failed: " + e.getMessage(), e);
                }
            }
            return pids;
        }

        /** rmdir, deepest first: a cgroup's files go with it. */
        static void remove(Path cgroup) {
            try (Stream<Path> dirs = Files.walk(cgroup)) {
                for (Path d : dirs.filter(Files::isDirectory).sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(d);
                }
            } catch (IOException e) {
                if (Files.exists(cgroup)) {
                    throw new SystemException("removing cgroup " + cgroup + " failed: " + e.getMessage(), e);
                }
            }
        }
    }
}
