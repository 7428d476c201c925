package dev.rabbithole.stage1.cgroups;

import dev.rabbithole.stage1.errdefs.SystemException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * A container's cgroup read and written through its control files, for a runtime that knows the directories but
 * has no cgroup library of its own (stage 1's LXC containers): freeze and thaw, new limits, the counters of
 * {@code docker stats} and the pids of {@code docker top}. A cgroup is given as its directory per controller
 * ({@code memory}, {@code cpu}, {@code cpuacct}, {@code pids}, {@code freezer}, {@code blkio}; cgroup v1) or as
 * one directory under the key {@code unified} (cgroup v2). Sources: the kernel's
 * Documentation/admin-guide/cgroup-v1/{freezer-subsystem,cpuacct,memory,pids,blkio-controller}.rst and cgroup-v2.rst.
 */
public final class CgroupFs {

    /** The key of a cgroup v2 directory in a paths map. */
    public static final String UNIFIED = "unified";
    /** USER_HZ, the unit of v1 {@code cpuacct.stat} (100 on every Linux architecture Docker runs on). */
    private static final long NANOS_PER_TICK = 1_000_000_000L / 100;

    private CgroupFs() { }

    // tag::freezer[]
    /**
     * Freezes (or thaws) every task of the cgroup and returns once the kernel reports it done: v1 writes
     * {@code FROZEN}/{@code THAWED} to {@code freezer.state} and reads it back until it no longer says
     * {@code FREEZING}; v2 writes 1/0 to {@code cgroup.freeze} and waits for {@code frozen 1}/{@code frozen 0}
     * in {@code cgroup.events}.
     *
     * @param paths  the cgroup's directories (a {@code freezer} or {@code unified} entry is needed)
     * @param frozen true to freeze, false to thaw
     * @throws SystemException no freezer, a write failed, or the state did not settle within 10 s
     */
    public static void freeze(Map<String, Path> paths, boolean frozen) {
        Path v1 = paths.get("freezer");
        Path v2 = paths.get(UNIFIED);
        long deadline = System.nanoTime() + 10_000_000_000L;
        if (v1 != null) {
            String want = frozen ? "FROZEN" : "THAWED";
            while (true) {
                write(v1.resolve("freezer.state"), want);          // rewritten each round: a new task may join
                if (read(v1.resolve("freezer.state")).equals(want)) {
                    return;
                }
                settle(deadline, v1);
            }
        }
        if (v2 != null) {
            write(v2.resolve("cgroup.freeze"), frozen ? "1" : "0");
            Long want = frozen ? 1L : 0L;
            while (!want.equals(keyed(v2.resolve("cgroup.events")).get("frozen"))) {
                settle(deadline, v2);
            }
            return;
        }
        throw new SystemException("the container has no freezer cgroup");
    }
    // end::freezer[]

    /**
     * @param paths the cgroup's directories
     * @return whether the freezer says the cgroup is frozen (v1 {@code FROZEN}, v2 {@code frozen 1}); false without one
     */
    public static boolean frozen(Map<String, Path> paths) {
        Path v1 = paths.get("freezer");
        if (v1 != null && Files.exists(v1.resolve("freezer.state"))) {
            return read(v1.resolve("freezer.state")).equals("FROZEN");
        }
        Path v2 = paths.get(UNIFIED);
        return v2 != null && Files.exists(v2.resolve("cgroup.events"))
                && Long.valueOf(1).equals(keyed(v2.resolve("cgroup.events")).get("frozen"));
    }

    private static void settle(long deadline, Path dir) {
        if (System.nanoTime() > deadline) {
            throw new SystemException("the freezer of " + dir + " did not settle within 10 s");
        }
        try {
            Thread.sleep(5);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SystemException("interrupted while waiting for the freezer of " + dir);
        }
    }

    /**
     * Writes new limits (the fields of the update that are not 0). v1: {@code memory.limit_in_bytes} and
     * {@code memory.memsw.limit_in_bytes} (in the order that keeps memory &lt;= memory+swap at each step),
     * {@code cpu.shares}, {@code cpu.cfs_period_us}, {@code cpu.cfs_quota_us}, {@code pids.max}; v2:
     * {@code memory.max}, {@code memory.swap.max} (the swap alone), {@code cpu.weight}, {@code cpu.max},
     * {@code pids.max}.
     *
     * @throws SystemException a write failed (the kernel's reason and the file)
     */
    public static void update(Map<String, Path> paths, ResourceUpdate u) {
        Path v2 = paths.get(UNIFIED);
        if (v2 != null) {
            if (u.memoryBytes() != 0) {
                write(v2.resolve("memory.max"), limit(u.memoryBytes()));
            }
            if (u.memorySwapBytes() != 0 && Files.exists(v2.resolve("memory.swap.max"))) {
                long memory = u.memoryBytes() > 0 ? u.memoryBytes() : readLong(v2.resolve("memory.max"));
                write(v2.resolve("memory.swap.max"), u.memorySwapBytes() < 0 ? "max"
                        : Long.toString(Math.max(0, u.memorySwapBytes() - memory)));
            }
            if (u.cpuShares() != 0) {
                write(v2.resolve("cpu.weight"), Long.toString(1 + ((Math.max(2, u.cpuShares()) - 2) * 9999) / 262142));
            }
            if (u.cpuQuotaMicros() != 0 || u.cpuPeriodMicros() != 0) {
                String[] now = read(v2.resolve("cpu.max")).split("\\s+");
                String quota = u.cpuQuotaMicros() == 0 ? now[0] : limit(u.cpuQuotaMicros());
                String period = u.cpuPeriodMicros() == 0 ? now[1] : Long.toString(u.cpuPeriodMicros());
                write(v2.resolve("cpu.max"), quota + " " + period);
            }
            if (u.pidsLimit() != 0) {
                write(v2.resolve("pids.max"), limit(u.pidsLimit()));
            }
            return;
        }
        Path mem = paths.get("memory");
        if (mem != null && (u.memoryBytes() != 0 || u.memorySwapBytes() != 0)) {
            Path memsw = mem.resolve("memory.memsw.limit_in_bytes");
            boolean swap = u.memorySwapBytes() != 0 && Files.exists(memsw);
            long newMemory = u.memoryBytes();
            boolean swapFirst = swap && (u.memorySwapBytes() < 0
                    || (newMemory != 0 && (newMemory < 0 || newMemory > readLong(memsw))));
            if (swapFirst) {
                write(memsw, Long.toString(u.memorySwapBytes()));
            }
            if (newMemory != 0) {
                write(mem.resolve("memory.limit_in_bytes"), Long.toString(newMemory));
            }
            if (swap && !swapFirst) {
                write(memsw, Long.toString(u.memorySwapBytes()));
            }
        }
        Path cpu = paths.get("cpu");
        if (cpu != null) {
            if (u.cpuShares() != 0) {
                write(cpu.resolve("cpu.shares"), Long.toString(u.cpuShares()));
            }
            if (u.cpuPeriodMicros() != 0) {
                write(cpu.resolve("cpu.cfs_period_us"), Long.toString(u.cpuPeriodMicros()));
            }
            if (u.cpuQuotaMicros() != 0) {
                write(cpu.resolve("cpu.cfs_quota_us"), Long.toString(u.cpuQuotaMicros()));
            }
        }
        Path pids = paths.get("pids");
        if (pids != null && u.pidsLimit() != 0) {
            write(pids.resolve("pids.max"), limit(u.pidsLimit()));
        }
    }

    // tag::stats[]
    /**
     * Reads the counters {@code docker stats} shows: v1 {@code cpuacct.usage}, {@code cpuacct.usage_percpu},
     * {@code cpuacct.stat}, {@code cpu.stat}, {@code memory.usage_in_bytes}, {@code memory.max_usage_in_bytes},
     * {@code memory.limit_in_bytes}, {@code memory.failcnt}, {@code memory.stat}, {@code pids.current},
     * {@code pids.max}, {@code blkio.throttle.io_service_bytes} and {@code io_serviced}; v2 {@code cpu.stat},
     * {@code memory.current}, {@code memory.peak}, {@code memory.max}, {@code memory.stat}, {@code pids.*},
     * {@code io.stat}. A file that does not exist (a controller not mounted) reads as 0.
     *
     * @throws SystemException a file exists but cannot be read
     */
    public static ResourceStats stats(Map<String, Path> paths) {
        Path v2 = paths.get(UNIFIED);
        if (v2 != null) {
            Map<String, Long> cpu = keyed(v2.resolve("cpu.stat"));
            List<ResourceStats.BlkioEntry> bytes = new ArrayList<>();
            List<ResourceStats.BlkioEntry> ios = new ArrayList<>();
            for (String line : lines(v2.resolve("io.stat"))) {
                String[] f = line.trim().split("\\s+");
                String[] dev = f[0].split(":");
                if (dev.length != 2) {
                    continue;
                }
                for (int i = 1; i < f.length; i++) {
                    String[] kv = f[i].split("=");
                    if (kv.length != 2) {
                        continue;
                    }
                    long major = parse(dev[0]);
                    long minor = parse(dev[1]);
                    switch (kv[0]) {
                        case "rbytes" -> bytes.add(new ResourceStats.BlkioEntry(major, minor, "Read", parse(kv[1])));
                        case "wbytes" -> bytes.add(new ResourceStats.BlkioEntry(major, minor, "Write", parse(kv[1])));
                        case "rios" -> ios.add(new ResourceStats.BlkioEntry(major, minor, "Read", parse(kv[1])));
                        case "wios" -> ios.add(new ResourceStats.BlkioEntry(major, minor, "Write", parse(kv[1])));
                        default -> { }
                    }
                }
            }
            return new ResourceStats(
                    new ResourceStats.Cpu(cpu.getOrDefault("usage_usec", 0L) * 1000, List.of(),
                            cpu.getOrDefault("system_usec", 0L) * 1000, cpu.getOrDefault("user_usec", 0L) * 1000,
                            cpu.getOrDefault("nr_periods", 0L), cpu.getOrDefault("nr_throttled", 0L),
                            cpu.getOrDefault("throttled_usec", 0L) * 1000),
                    new ResourceStats.Memory(readLong(v2.resolve("memory.current")), readLong(v2.resolve("memory.peak")),
                            readLong(v2.resolve("memory.max")), 0, keyed(v2.resolve("memory.stat"))),
                    new ResourceStats.Pids(readLong(v2.resolve("pids.current")), limitOf(v2.resolve("pids.max"))),
                    new ResourceStats.Blkio(bytes, ios));
        }
        Path cpuacct = paths.getOrDefault("cpuacct", Path.of("/nonexistent"));
        Path cpu = paths.getOrDefault("cpu", Path.of("/nonexistent"));
        Path mem = paths.getOrDefault("memory", Path.of("/nonexistent"));
        Path pids = paths.getOrDefault("pids", Path.of("/nonexistent"));
        Path blkio = paths.getOrDefault("blkio", Path.of("/nonexistent"));
        List<Long> perCpu = new ArrayList<>();
        for (String s : read(cpuacct.resolve("cpuacct.usage_percpu")).split("\\s+")) {
            if (!s.isEmpty()) {
                perCpu.add(parse(s));
            }
        }
        Map<String, Long> ticks = keyed(cpuacct.resolve("cpuacct.stat"));
        Map<String, Long> throttle = keyed(cpu.resolve("cpu.stat"));
        return new ResourceStats(
                new ResourceStats.Cpu(readLong(cpuacct.resolve("cpuacct.usage")), List.copyOf(perCpu),
                        ticks.getOrDefault("system", 0L) * NANOS_PER_TICK, ticks.getOrDefault("user", 0L) * NANOS_PER_TICK,
                        throttle.getOrDefault("nr_periods", 0L), throttle.getOrDefault("nr_throttled", 0L),
                        throttle.getOrDefault("throttled_time", 0L)),
                new ResourceStats.Memory(readLong(mem.resolve("memory.usage_in_bytes")),
                        readLong(mem.resolve("memory.max_usage_in_bytes")), readLong(mem.resolve("memory.limit_in_bytes")),
                        readLong(mem.resolve("memory.failcnt")), keyed(mem.resolve("memory.stat"))),
                new ResourceStats.Pids(readLong(pids.resolve("pids.current")), limitOf(pids.resolve("pids.max"))),
                new ResourceStats.Blkio(blkioV1(blkio, "blkio.throttle.io_service_bytes"),
                        blkioV1(blkio, "blkio.throttle.io_serviced")));
    }
    // end::stats[]

    /**
     * Every pid in the cgroup and the cgroups below it ({@code cgroup.procs}), for {@code docker top}: the
     * memory (or pids, or the v2) directory is read, the first that exists.
     *
     * @return host pids, ascending; empty when the cgroup is gone
     * @throws SystemException a file exists but cannot be read
     */
    public static List<Long> pids(Map<String, Path> paths) {
        for (String key : List.of(UNIFIED, "memory", "pids", "freezer", "cpuacct")) {
            Path dir = paths.get(key);
            if (dir == null || !Files.isDirectory(dir)) {
                continue;
            }
            Set<Long> pids = new java.util.TreeSet<>();
            try (Stream<Path> files = Files.walk(dir)) {
                for (Path f : files.filter(p -> p.getFileName().toString().equals("cgroup.procs")).toList()) {
                    for (String line : lines(f)) {
                        pids.add(parse(line.trim()));
                    }
                }
            } catch (IOException e) {
                if (Files.exists(dir)) {
                    throw new SystemException("reading the pids of " + dir + ": " + e.getMessage(), e);
                }
            }
            return List.copyOf(pids);
        }
        return List.of();
    }

    private static List<ResourceStats.BlkioEntry> blkioV1(Path dir, String file) {
        String name = Files.exists(dir.resolve(file + "_recursive")) ? file + "_recursive" : file;
        List<ResourceStats.BlkioEntry> out = new ArrayList<>();
        for (String line : lines(dir.resolve(name))) {
            String[] f = line.trim().split("\\s+");
            String[] dev = f[0].split(":");
            if (f.length == 3 && dev.length == 2) {
                out.add(new ResourceStats.BlkioEntry(parse(dev[0]), parse(dev[1]), f[1], parse(f[2])));
            }
        }
        return out;
    }

    private static String limit(long value) {
        return value < 0 ? "max" : Long.toString(value);
    }

    private static long limitOf(Path file) {
        String s = read(file);
        return s.isEmpty() || s.equals("max") ? 0 : parse(s);
    }

    private static long readLong(Path file) {
        String s = read(file);
        return s.isEmpty() ? 0 : s.equals("max") ? Long.MAX_VALUE : parse(s);
    }

    /** A flat-keyed file ({@code key value} per line) as a map, in its order; values that are not numbers are left out. */
    private static Map<String, Long> keyed(Path file) {
        Map<String, Long> m = new LinkedHashMap<>();
        for (String line : lines(file)) {
            String[] f = line.trim().split("\\s+");
            if (f.length == 2) {
                try {
                    m.put(f[0], Long.parseLong(f[1]));
                } catch (NumberFormatException e) {
                    // not a counter
                }
            }
        }
        return m;
    }

    private static long parse(String s) {
        try {
            return Long.parseLong(s.trim());
        } catch (NumberFormatException e) {
            // u64 values above Long.MAX_VALUE (unlimited) saturate
            return s.trim().matches("[0-9]+") ? Long.MAX_VALUE : 0;
        }
    }

    private static List<String> lines(Path file) {
        String s = read(file);
        return s.isEmpty() ? List.of() : List.of(s.split("\n"));
    }

    private static String read(Path file) {
        try {
            return Files.readString(file).trim();
        } catch (NoSuchFileException e) {
            return "";
        } catch (IOException e) {
            throw new SystemException("reading " + file + ": " + e.getMessage(), e);
        }
    }

    private static void write(Path file, String value) {
        try {
            Files.writeString(file, value);
        } catch (IOException e) {
            throw new SystemException("failed to write \"" + value + "\" to " + file + ": " + e.getMessage(), e);
        }
    }

    /** @return the distinct directories of a paths map, in its order */
    static Set<Path> dirs(Map<String, Path> paths) {
        return new LinkedHashSet<>(paths.values());
    }
}
