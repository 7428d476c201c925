package dev.rabbithole.labs.check;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/** Reading a process from the outside, through /proc (proc(5)). */
public final class Proc {
    private Proc() {}

    /**
     * @param file a file
     * @return its lines, or an empty list when it cannot be read. Not Files.readString: on some /proc and
     *     /sys files JDK 17 returns only the first short read.
     */
    public static List<String> lines(Path file) {
        try {
            return Files.readAllLines(file);
        } catch (IOException e) {
            return List.of();
        }
    }

    /** @return the first line of a file, trimmed, or "" */
    public static String first(Path file) {
        List<String> l = lines(file);
        return l.isEmpty() ? "" : l.get(0).trim();
    }

    /**
     * @param pid  a pid, or "self"
     * @param kind a namespace kind (uts, pid, mnt, ...)
     * @return the namespace's link text, "uts:[4026531838]", or "" when gone
     */
    public static String ns(String pid, String kind) {
        try {
            return Files.readSymbolicLink(Path.of("/proc", pid, "ns", kind)).toString();
        } catch (IOException e) {
            return "";
        }
    }

    /**
     * @param pid   a pid
     * @param field a field of /proc/PID/status without the colon ("NSpid", "CapEff")
     * @return its value, trimmed, or "" when absent
     */
    public static String status(long pid, String field) {
        for (String l : lines(Path.of("/proc", Long.toString(pid), "status"))) {
            if (l.startsWith(field + ":")) return l.substring(field.length() + 1).trim();
        }
        return "";
    }

    /**
     * @param pid        a pid
     * @param controller a cgroup controller (memory, pids, cpu)
     * @return the process's cgroup directory for that controller, v1 or v2 (see {@link Cgroups#dir}), if it can be found
     */
    public static Optional<Path> cgroup(long pid, String controller) {
        return Cgroups.dir(lines(Path.of("/proc", Long.toString(pid), "cgroup")), CgroupLayout.ROOT, Cgroups.V2, controller);
    }

    /** @return the NUL-separated argv of a process, or an empty list */
    public static List<String> cmdline(long pid) {
        try {
            String s = new String(Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline")));
            return s.isEmpty() ? List.of() : List.of(s.split("\0"));
        } catch (IOException e) {
            return List.of();
        }
    }

    /**
     * @param pid a pid
     * @return the mountinfo line whose mount point is "/" in the process's view, or ""
     */
    public static String rootMount(long pid) {
        for (String l : lines(Path.of("/proc", Long.toString(pid), "mountinfo"))) {
            String[] f = l.split(" ");
            if (f.length > 4 && f[4].equals("/")) return l;
        }
        return "";
    }

    /** @return utime + stime of a process in clock ticks (proc(5): fields 14 and 15 of /proc/PID/stat), or -1 */
    public static long cpuTicks(long pid) {
        String s = first(Path.of("/proc", Long.toString(pid), "stat"));
        int close = s.lastIndexOf(')');
        if (close < 0) return -1;
        String[] f = s.substring(close + 2).split(" ");
        return Long.parseLong(f[11]) + Long.parseLong(f[12]);
    }
}
