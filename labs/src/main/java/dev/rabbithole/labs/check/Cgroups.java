package dev.rabbithole.labs.check;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The checkers' view of the labs' cgroups, on cgroup v1 ({@code /sys/fs/cgroup/CONTROLLER/rabbithole-labs/NAME}) and
 * v2 ({@code /sys/fs/cgroup/rabbithole-labs/NAME}): where a process's cgroup is, what its limits and counters say
 * (reading whichever of the v1 or v2 files the directory has, after the kernel's cgroup-v1/ and cgroup-v2.rst), and
 * the cleanup.
 */
public final class Cgroups {
    private Cgroups() {}

    /** Whether this machine's labs use cgroup v2 (the unified mode; hybrid hosts use v1). */
    public static final boolean V2 = CgroupLayout.host().v2();

    /**
     * @param procCgroup the lines of /proc/PID/cgroup ("ID:CONTROLLERS:PATH"; v2's line is "0::PATH")
     * @param root       the cgroup root (/sys/fs/cgroup)
     * @param v2         whether the root is a v2 one
     * @param controller memory, pids or cpu
     * @return on v1 ROOT/CONTROLLER/PATH of the line naming the controller; on v2 ROOT/PATH of the "0::" line
     */
    public static Optional<Path> dir(List<String> procCgroup, Path root, boolean v2, String controller) {
        for (String l : procCgroup) {
            String[] f = l.split(":", 3);
            if (f.length < 3) continue;
            String rel = f[2].startsWith("/") ? f[2].substring(1) : f[2];
            if (v2 && f[0].equals("0") && f[1].isEmpty()) return Optional.of(root.resolve(rel));
            if (!v2 && List.of(f[1].split(",")).contains(controller)) return Optional.of(root.resolve(controller).resolve(rel));
        }
        return Optional.empty();
    }

    /**
     * @param root a cgroup root
     * @param v2   whether it is a v2 one
     * @param name a container's name
     * @return the container's cgroup directories the labs create: one per controller on v1, one on v2
     */
    public static List<Path> containerDirs(Path root, boolean v2, String name) {
        if (v2) return List.of(root.resolve("rabbithole-labs").resolve(name));
        return List.of("memory", "pids", "cpu").stream().map(c -> root.resolve(c).resolve("rabbithole-labs").resolve(name)).toList();
    }

    /** @return the memory limit in bytes as the file says it: memory.max (v2) or memory.limit_in_bytes (v1), or "" */
    public static String memoryLimit(Path g) {
        return Files.exists(g.resolve("memory.max")) ? Proc.first(g.resolve("memory.max")) : Proc.first(g.resolve("memory.limit_in_bytes"));
    }

    /** @return the file that holds the memory limit on this machine's cgroup version */
    public static String memoryLimitFile() { return V2 ? "memory.max" : "memory.limit_in_bytes"; }

    /** @return the OOM kills counted: the oom_kill line of memory.events (v2) or memory.oom_control (v1), or "" */
    public static String oomKills(Path g) {
        Path f = Files.exists(g.resolve("memory.events")) ? g.resolve("memory.events") : g.resolve("memory.oom_control");
        for (String l : Proc.lines(f)) {
            if (l.startsWith("oom_kill ")) return l.substring(9).trim();
        }
        return "";
    }

    /** @return the file that counts OOM kills on this machine's cgroup version */
    public static String oomFile() { return V2 ? "memory.events" : "memory.oom_control"; }

    /** @return the CPU quota in microseconds per period: the first field of cpu.max (v2) or cpu.cfs_quota_us (v1), or "" */
    public static String cpuQuota(Path g) {
        if (Files.exists(g.resolve("cpu.max"))) return Proc.first(g.resolve("cpu.max")).split(" ")[0];
        return Proc.first(g.resolve("cpu.cfs_quota_us"));
    }

    /** @return the CPU period in microseconds: the second field of cpu.max (v2) or cpu.cfs_period_us (v1), or "" */
    public static String cpuPeriod(Path g) {
        if (Files.exists(g.resolve("cpu.max"))) {
            String[] f = Proc.first(g.resolve("cpu.max")).split(" ");
            return f.length > 1 ? f[1] : "";
        }
        return Proc.first(g.resolve("cpu.cfs_period_us"));
    }

    /**
     * Removes a container's cgroups, moving any process left in them to the root cgroup first, and the
     * {@code rabbithole-labs} parents when they are left empty.
     *
     * @param name the container's name
     */
    public static void remove(String name) {
        Path root = CgroupLayout.ROOT;
        for (Path g : containerDirs(root, V2, name)) {
            if (Files.isDirectory(g)) removeOne(g.getParent().getParent(), g);
            try {
                Files.deleteIfExists(g.getParent()); // rabbithole-labs itself, once no lab's cgroup is left in it
            } catch (IOException stillUsed) {
                // another lab's cgroup is below it
            }
        }
    }

    /** Moves what is left in one cgroup to its hierarchy's root, then removes it (the kernel may need a moment after an exit). */
    private static void removeOne(Path hierarchy, Path g) {
        for (String pid : Proc.lines(g.resolve("cgroup.procs"))) {
            try {
                Files.writeString(hierarchy.resolve("cgroup.procs"), pid);
            } catch (IOException gone) {
                // the process exited meanwhile
            }
        }
        for (int i = 0; i < 100 && Files.exists(g); i++) {
            try {
                Files.delete(g);
            } catch (IOException busy) {
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }
}
