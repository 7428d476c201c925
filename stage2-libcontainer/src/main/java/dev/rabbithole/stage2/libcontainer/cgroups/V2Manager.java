package dev.rabbithole.stage2.libcontainer.cgroups;

import dev.rabbithole.stage2.libcontainer.cgroups.devices.DeviceFilter;
import dev.rabbithole.stage2.libcontainer.configs.Cgroup;
import dev.rabbithole.stage2.libcontainer.configs.DeviceRule;
import dev.rabbithole.stage2.libcontainer.system.JnaSyscalls;
import dev.rabbithole.stage2.libcontainer.system.Syscalls;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * cgroup v2: one directory in the unified hierarchy ({@code /sys/fs/cgroup/rabbithole/<id>}). Controllers must
 * be enabled in each ancestor's {@code cgroup.subtree_control} before the leaf has their files. Limits:
 * {@code memory.max}, {@code memory.swap.max}, {@code cpu.weight}, {@code cpu.max}, {@code cpuset.cpus},
 * {@code cpuset.mems}, {@code pids.max}; device rules as an eBPF program attached to the cgroup. Sources: the kernel's Documentation/admin-guide/cgroup-v2.rst; runc's
 * {@code libcontainer/cgroups/fs2} and its shares-to-weight conversion.
 */
public final class V2Manager implements CgroupManager {
    /** The controllers enabled for containers, when the parent offers them. */
    public static final List<String> CONTROLLERS = List.of("cpu", "cpuset", "memory", "pids");

    private final Syscalls sys;
    private final Path mount;
    private final Path dir;

    /**
     * @param config the cgroup path, relative to the unified mount
     * @param mount  the cgroup2 mount point ({@code /sys/fs/cgroup} on a v2 host)
     */
    public V2Manager(Cgroup config, Path mount) {
        this(config, mount, new JnaSyscalls());
    }

    /**
     * @param config the cgroup path, relative to the unified mount
     * @param mount  the cgroup2 mount point ({@code /sys/fs/cgroup} on a v2 host)
     * @param sys    every control-file write goes through its {@link Syscalls#writeFile}
     */
    public V2Manager(Cgroup config, Path mount, Syscalls sys) {
        this.sys = sys;
        this.mount = mount;
        this.dir = mount.resolve(V1Manager.relative(config.path()));
    }

    /**
     * The first cgroup2 mount in a mountinfo text.
     *
     * @param fsRoot    prefix for mount points ({@code /} on a host)
     * @param mountinfo /proc/self/mountinfo's text
     * @return the mount directory, or null when there is none
     */
    public static Path unifiedMount(Path fsRoot, String mountinfo) {
        for (Mountinfo.Entry e : Mountinfo.parse(mountinfo)) {
            if (e.fsType().equals("cgroup2")) {
                return fsRoot.resolve(V1Manager.relative(e.mountPoint()));
            }
        }
        return null;
    }

    /**
     * cpu.weight (1..10000, default 100) for v1-style cpu.shares (2..262144, default 1024), as runc converts:
     * {@code 1 + ((shares - 2) * 9999) / 262142}; 0 stays 0 (not set).
     */
    public static long sharesToWeight(long shares) {
        return shares == 0 ? 0 : 1 + ((shares - 2) * 9999) / 262142;
    }

    @Override
    public int version() {
        return 2;
    }

    @Override
    public Map<String, Path> paths() {
        return Map.of("unified", dir);
    }

    // tag::cgroup-v2-apply[]
    @Override
    public void apply(long pid) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new CgroupException("cannot create cgroup " + dir + ": " + CgroupFiles.reason(e), e);
        }
        // each ancestor, from the mount down to the leaf's parent, hands its children the controllers it has
        Path level = mount;
        for (Path part : mount.relativize(dir)) {
            Set<String> available = Arrays.stream(CgroupFiles.readIfExists(level, "cgroup.controllers").split("\\s+"))
                    .filter(s -> !s.isEmpty()).collect(Collectors.toSet());
            List<String> enable = new ArrayList<>();
            for (String c : CONTROLLERS) {
                if (available.contains(c)) {
                    enable.add("+" + c);
                }
            }
            if (!enable.isEmpty()) {
                CgroupFiles.write(sys, level, "cgroup.subtree_control", String.join(" ", enable));
            }
            level = level.resolve(part);
        }
        CgroupFiles.write(sys, dir, "cgroup.procs", Long.toString(pid));
    }
    // end::cgroup-v2-apply[]

    @Override
    public void set(Cgroup.Resources r) {
        if (r.memoryBytes() != 0) {
            CgroupFiles.write(sys, dir, "memory.max", r.memoryBytes() < 0 ? "max" : Long.toString(r.memoryBytes()));
        }
        if (r.memorySwapBytes() != 0) {
            CgroupFiles.write(sys, dir, "memory.swap.max", swapMax(r.memoryBytes(), r.memorySwapBytes()));
        }
        if (r.cpuShares() != 0) {
            CgroupFiles.write(sys, dir, "cpu.weight", Long.toString(sharesToWeight(r.cpuShares())));
        }
        if (r.cpuQuotaMicros() != 0 || r.cpuPeriodMicros() != 0) {
            String quota = r.cpuQuotaMicros() > 0 ? Long.toString(r.cpuQuotaMicros()) : "max";
            long period = r.cpuPeriodMicros() != 0 ? r.cpuPeriodMicros() : 100_000;
            CgroupFiles.write(sys, dir, "cpu.max", quota + " " + period);
        }
        if (r.cpusetCpus() != null && !r.cpusetCpus().isEmpty()) {
            CgroupFiles.write(sys, dir, "cpuset.cpus", r.cpusetCpus());
        }
        if (r.cpusetMems() != null && !r.cpusetMems().isEmpty()) {
            CgroupFiles.write(sys, dir, "cpuset.mems", r.cpusetMems());
        }
        if (r.pidsLimit() != 0) {
            CgroupFiles.write(sys, dir, "pids.max", r.pidsLimit() > 0 ? Long.toString(r.pidsLimit()) : "max");
        }
        if (r.hasDeviceRules()) {
            attachDeviceFilter(r.devices());
        }
    }

    // tag::cgroup-v2-devices[]
    /**
     * cgroup v2 has no devices files: the rules become an eBPF program ({@link DeviceFilter}) that is loaded
     * and attached to the cgroup's directory. The attachment keeps the program alive, so both descriptors are
     * closed right away; rmdir of the cgroup detaches it. Attached with {@code BPF_F_ALLOW_MULTI}, as runc does:
     * a program attached later adds to this one (every attached program must allow an access).
     *
     * @throws CgroupException the kernel refused the program or the attachment
     */
    private void attachDeviceFilter(List<DeviceRule> rules) {
        byte[] program = DeviceFilter.compile(rules).toBytes();
        try {
            int prog = sys.because("the device rules as an eBPF program: cgroup v2 has no devices.allow")
                    .bpfProgLoad(Syscalls.BPF_PROG_TYPE_CGROUP_DEVICE, program, "Apache");
            try {
                int cg = sys.because("bpf(2) attaches to a cgroup by a descriptor on its directory")
                        .openDirectory(dir.toString());
                try {
                    sys.because("the kernel runs the program on each mknod and open of a device in the cgroup")
                            .bpfProgAttach(cg, prog, Syscalls.BPF_CGROUP_DEVICE, Syscalls.BPF_F_ALLOW_MULTI);
                } finally {
                    sys.close(cg);
                }
            } finally {
                sys.because("the attachment holds the program").close(prog);
            }
        } catch (dev.rabbithole.stage2.libcontainer.system.SyscallException e) {
            throw new CgroupException("cannot attach the device filter to " + dir + ": " + e.getMessage(), e);
        }
    }
    // end::cgroup-v2-devices[]

    /**
     * memory.swap.max is swap alone, the config's value is memory + swap (v1's memsw): the difference.
     *
     * @throws IllegalArgumentException a swap limit without a memory limit, or below it
     */
    static String swapMax(long memory, long memoryPlusSwap) {
        if (memoryPlusSwap == -1) {
            return "max";
        }
        if (memory <= 0) {
            throw new IllegalArgumentException("a memory+swap limit (" + memoryPlusSwap
                    + " bytes) needs a memory limit on cgroup v2");
        }
        if (memoryPlusSwap < memory) {
            throw new IllegalArgumentException("memory+swap limit " + memoryPlusSwap
                    + " is below the memory limit " + memory);
        }
        return Long.toString(memoryPlusSwap - memory);
    }

    @Override
    public CgroupStats stats() {
        long usageUsec = 0;
        for (String line : CgroupFiles.read(dir, "cpu.stat").split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length == 2 && f[0].equals("usage_usec")) {
                usageUsec = Long.parseLong(f[1]);
            }
        }
        return new CgroupStats(CgroupFiles.readLong(dir, "memory.current"), CgroupFiles.readLong(dir, "memory.max"),
                usageUsec * 1000, CgroupFiles.readLong(dir, "pids.current"));
    }

    /** v2: {@code cgroup.freeze} 1 or 0, then {@code frozen 1} or {@code frozen 0} in {@code cgroup.events}. */
    @Override
    public void freeze(boolean frozen) {
        CgroupFiles.write(sys, dir, "cgroup.freeze", frozen ? "1" : "0");
        long deadline = System.nanoTime() + V1Manager.FREEZE_TIMEOUT_NANOS;
        while (CgroupFiles.readKey(dir, "cgroup.events", "frozen") != (frozen ? 1 : 0)) {
            V1Manager.waitFreezer(deadline, dir);
        }
    }

    @Override
    public boolean frozen() {
        return CgroupFiles.readKey(dir, "cgroup.events", "frozen") == 1;
    }

    /** @return {@code oom_kill} of {@code memory.events}; 0 when the memory controller is not enabled here */
    @Override
    public long oomKillCount() {
        return CgroupFiles.readKey(dir, "memory.events", "oom_kill");
    }

    @Override
    public void destroy() {
        CgroupFiles.rmdir(dir);
        CgroupFiles.removeEmptyParents(dir, mount);
    }
}
