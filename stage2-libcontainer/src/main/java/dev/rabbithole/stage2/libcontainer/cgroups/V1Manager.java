package dev.rabbithole.stage2.libcontainer.cgroups;

import dev.rabbithole.stage2.libcontainer.configs.Cgroup;
import dev.rabbithole.stage2.libcontainer.configs.DeviceRule;
import dev.rabbithole.stage2.libcontainer.system.JnaSyscalls;
import dev.rabbithole.stage2.libcontainer.system.Syscalls;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * cgroup v1: one directory per controller, under each controller's hierarchy
 * ({@code /sys/fs/cgroup/memory/rabbithole/<id>}, {@code /sys/fs/cgroup/cpu/rabbithole/<id>}, ...). Limits:
 * memory ({@code memory.limit_in_bytes}, {@code memory.memsw.limit_in_bytes} when swap accounting exists),
 * cpu ({@code cpu.shares}, {@code cpu.cfs_period_us}, {@code cpu.cfs_quota_us}), cpuset ({@code cpuset.cpus},
 * {@code cpuset.mems}), pids ({@code pids.max}), devices ({@code devices.deny}, {@code devices.allow}); cpuacct,
 * freezer and blkio are joined without limits.
 * Sources: the kernel's Documentation/admin-guide/cgroup-v1/{memory,cpusets,pids,devices}.rst,
 * Documentation/scheduler/sched-bwc.rst; runc's {@code libcontainer/cgroups/fs}.
 */
public final class V1Manager implements CgroupManager {
    /**
     * The controllers (and named hierarchies) this manager joins, in the order it joins them: those it sets
     * limits in, then, without limits, every other one runc's fs driver joins, so that the container has a cgroup
     * of its own in each hierarchy it is shown at /sys/fs/cgroup (runc's {@code libcontainer/cgroups/fs}).
     */
    public static final List<String> CONTROLLERS =
            List.of("cpuset", "cpu", "cpuacct", "memory", "pids", "devices", "freezer", "blkio",
                    "hugetlb", "net_cls", "net_prio", "perf_event", "rdma", "misc", "name=systemd");

    private final Syscalls sys;
    private final String path;
    private final Map<String, Path> hierarchies;
    private final Map<String, Path> paths;

    /**
     * @param config      the cgroup path (relative to each hierarchy's mount point)
     * @param hierarchies mount point per controller (controllers not mounted are absent)
     */
    public V1Manager(Cgroup config, Map<String, Path> hierarchies) {
        this(config, hierarchies, new JnaSyscalls());
    }

    /**
     * @param config      the cgroup path (relative to each hierarchy's mount point)
     * @param hierarchies mount point per controller (controllers not mounted are absent)
     * @param sys         every control-file write goes through its {@link Syscalls#writeFile} (a recording one
     *                    shows them in a transcript)
     */
    public V1Manager(Cgroup config, Map<String, Path> hierarchies, Syscalls sys) {
        this.sys = sys;
        this.path = relative(config.path());
        this.hierarchies = Collections.unmodifiableMap(new LinkedHashMap<>(hierarchies));
        Map<String, Path> p = new LinkedHashMap<>();
        for (String c : CONTROLLERS) {
            Path mount = hierarchies.get(c);
            if (mount != null) {
                p.put(c, mount.resolve(path));
            }
        }
        this.paths = Collections.unmodifiableMap(p);
    }

    /**
     * The v1 hierarchies a mountinfo text shows: each {@code cgroup} mount's controllers (its super options),
     * first mount of a controller wins.
     *
     * @param fsRoot    prefix for mount points ({@code /} on a host; a temp dir for a fake cgroupfs)
     * @param mountinfo /proc/self/mountinfo's text
     * @return controller to mount directory, only for {@link #CONTROLLERS}
     */
    public static Map<String, Path> hierarchies(Path fsRoot, String mountinfo) {
        Map<String, Path> h = new LinkedHashMap<>();
        for (Mountinfo.Entry e : Mountinfo.parse(mountinfo)) {
            if (!e.fsType().equals("cgroup")) {
                continue;
            }
            for (String c : CONTROLLERS) {
                if (e.superOptions().contains(c)) {
                    h.putIfAbsent(c, fsRoot.resolve(relative(e.mountPoint())));
                }
            }
        }
        return h;
    }

    static String relative(String path) {
        String p = path == null ? "" : path;
        while (p.startsWith("/")) {
            p = p.substring(1);
        }
        return p;
    }

    @Override
    public int version() {
        return 1;
    }

    @Override
    public Map<String, Path> paths() {
        return paths;
    }

    @Override
    public void apply(long pid) {
        for (Path dir : distinctDirs()) {
            try {
                Files.createDirectories(dir);
            } catch (IOException e) {
                throw new CgroupException("cannot create cgroup " + dir + ": " + CgroupFiles.reason(e), e);
            }
        }
        Path cpuset = paths.get("cpuset");
        if (cpuset != null) {
            fillCpuset(hierarchies.get("cpuset"), cpuset);
        }
        for (Path dir : distinctDirs()) {
            CgroupFiles.write(sys, dir, "cgroup.procs", Long.toString(pid));
        }
    }

    // tag::cgroup-v1-cpuset[]
    /**
     * A new cpuset cgroup starts with empty {@code cpuset.cpus} and {@code cpuset.mems}, and the kernel refuses
     * tasks (ENOSPC) until both are set: copy each level's values from its parent, top down.
     */
    private void fillCpuset(Path mount, Path leaf) {
        Path rel = mount.relativize(leaf);
        Path parent = mount;
        for (Path part : rel) {
            Path dir = parent.resolve(part);
            for (String file : List.of("cpuset.cpus", "cpuset.mems")) {
                if (CgroupFiles.readIfExists(dir, file).isEmpty()) {
                    CgroupFiles.copyFromParent(sys, dir, file, CgroupFiles.read(parent, file));
                }
            }
            parent = dir;
        }
    }
    // end::cgroup-v1-cpuset[]

    @Override
    public void set(Cgroup.Resources r) {
        if (r.memoryBytes() != 0 || r.memorySwapBytes() != 0) {
            Path mem = dir("memory");
            boolean swapAccounting = Files.exists(mem.resolve("memory.memsw.limit_in_bytes"));
            long swap = swapAccounting ? r.memorySwapBytes() : 0;
            // memory.limit_in_bytes must stay <= memory.memsw.limit_in_bytes at every step: raise memsw first
            // when the new memory limit is above the current memsw limit, or when memsw becomes unlimited
            boolean swapFirst = swap == -1 || (swap != 0 && r.memoryBytes() != 0
                    && (r.memoryBytes() == -1 || r.memoryBytes() > CgroupFiles.readLong(mem, "memory.memsw.limit_in_bytes")));
            if (swapFirst) {
                CgroupFiles.write(sys, mem, "memory.memsw.limit_in_bytes", Long.toString(swap));
            }
            if (r.memoryBytes() != 0) {
                CgroupFiles.write(sys, mem, "memory.limit_in_bytes", Long.toString(r.memoryBytes()));
            }
            if (swap != 0 && !swapFirst) {
                CgroupFiles.write(sys, mem, "memory.memsw.limit_in_bytes", Long.toString(swap));
            }
        }
        if (r.cpuShares() != 0) {
            CgroupFiles.write(sys, dir("cpu"), "cpu.shares", Long.toString(r.cpuShares()));
        }
        if (r.cpuPeriodMicros() != 0) {
            CgroupFiles.write(sys, dir("cpu"), "cpu.cfs_period_us", Long.toString(r.cpuPeriodMicros()));
        }
        if (r.cpuQuotaMicros() != 0) {
            CgroupFiles.write(sys, dir("cpu"), "cpu.cfs_quota_us", Long.toString(r.cpuQuotaMicros()));
        }
        if (r.cpusetCpus() != null && !r.cpusetCpus().isEmpty()) {
            CgroupFiles.write(sys, dir("cpuset"), "cpuset.cpus", r.cpusetCpus());
        }
        if (r.cpusetMems() != null && !r.cpusetMems().isEmpty()) {
            CgroupFiles.write(sys, dir("cpuset"), "cpuset.mems", r.cpusetMems());
        }
        if (r.pidsLimit() != 0) {
            CgroupFiles.write(sys, dir("pids"), "pids.max", r.pidsLimit() > 0 ? Long.toString(r.pidsLimit()) : "max");
        }
        if (r.hasDeviceRules()) {
            setDevices(r.devices());
        }
    }

    // tag::cgroup-v1-devices[]
    /**
     * The device rules, one write each, in their order: an allowing rule to {@code devices.allow}, a denying
     * one to {@code devices.deny}. A list that starts by denying {@code a} (Docker's) first empties the cgroup's
     * allowlist, then each allow punches one hole: the order runc writes them in.
     */
    private void setDevices(List<DeviceRule> rules) {
        Path devices = dir("devices");
        for (DeviceRule rule : rules) {
            rule.validate();
            CgroupFiles.write(sys, devices, rule.allow() ? "devices.allow" : "devices.deny", rule.toCgroupV1());
        }
    }
    // end::cgroup-v1-devices[]

    @Override
    public CgroupStats stats() {
        Path mem = dir("memory");
        return new CgroupStats(CgroupFiles.readLong(mem, "memory.usage_in_bytes"),
                CgroupFiles.readLong(mem, "memory.limit_in_bytes"),
                CgroupFiles.readLong(dir("cpuacct"), "cpuacct.usage"),
                CgroupFiles.readLong(dir("pids"), "pids.current"));
    }

    /** v1: {@code freezer.state}, written each round until it reads back {@code FROZEN} or {@code THAWED}. */
    @Override
    public void freeze(boolean frozen) {
        Path freezer = dir("freezer");
        String want = frozen ? "FROZEN" : "THAWED";
        long deadline = System.nanoTime() + FREEZE_TIMEOUT_NANOS;
        while (true) {
            CgroupFiles.write(sys, freezer, "freezer.state", want);   // again each round: a task forked meanwhile
            if (CgroupFiles.read(freezer, "freezer.state").equals(want)) {
                return;
            }
            waitFreezer(deadline, freezer);
        }
    }

    @Override
    public boolean frozen() {
        Path freezer = paths.get("freezer");
        return freezer != null && CgroupFiles.readIfExists(freezer, "freezer.state").equals("FROZEN");
    }

    /** How long {@link #freeze} waits for the kernel, nanoseconds. */
    static final long FREEZE_TIMEOUT_NANOS = 10_000_000_000L;

    static void waitFreezer(long deadline, Path dir) {
        if (System.nanoTime() > deadline) {
            throw new CgroupException("the freezer of " + dir + " did not settle within 10 s");
        }
        try {
            Thread.sleep(2);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CgroupException("interrupted while waiting for the freezer of " + dir);
        }
    }

    /** @return {@code oom_kill} of {@code memory.oom_control}; 0 without a memory hierarchy */
    @Override
    public long oomKillCount() {
        Path mem = paths.get("memory");
        return mem == null ? 0 : CgroupFiles.readKey(mem, "memory.oom_control", "oom_kill");
    }

    @Override
    public void destroy() {
        CgroupException first = null;
        for (Map.Entry<String, Path> e2 : paths.entrySet()) {
            Path dir = e2.getValue();
            try {
                CgroupFiles.rmdir(dir);
                CgroupFiles.removeEmptyParents(dir, hierarchies.get(e2.getKey()));
            } catch (CgroupException e) {
                first = first == null ? e : first;
            }
        }
        if (first != null) {
            throw first;
        }
    }

    private Set<Path> distinctDirs() {
        return new LinkedHashSet<>(paths.values());
    }

    private Path dir(String controller) {
        Path p = paths.get(controller);
        if (p == null) {
            throw new CgroupException("the " + controller + " cgroup controller is not mounted (cgroup v1)");
        }
        return p;
    }
}
