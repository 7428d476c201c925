package dev.rabbithole.stage2.libcontainer.cgroups;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Parses /proc/PID/mountinfo (proc(5)): {@code 35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory}.
 */
public final class Mountinfo {
    private Mountinfo() { }

    /**
     * One line.
     *
     * @param mountId      unique mount ID
     * @param parentId     parent mount's ID
     * @param root         the path inside the filesystem that is mounted (a cgroup path for cgroupfs)
     * @param mountPoint   where it is mounted, relative to the process's root, octal escapes decoded
     * @param fsType       {@code cgroup}, {@code cgroup2}, ...
     * @param source       mount source
     * @param superOptions per-superblock options; for cgroup v1 they name the controllers ({@code rw,cpu,cpuacct})
     */
    public record Entry(int mountId, int parentId, String root, String mountPoint, String fsType, String source,
                        Set<String> superOptions) {
    }

    /**
     * Parses mountinfo text.
     *
     * @param text the file's content
     * @return one entry per well-formed line, in order
     */
    public static List<Entry> parse(String text) {
        List<Entry> entries = new ArrayList<>();
        for (String line : text.split("\n")) {
            String[] f = line.trim().split(" ");
            int dash = Arrays.asList(f).indexOf("-");
            if (f.length < 7 || dash < 6 || dash + 3 > f.length) {
                continue;
            }
            Set<String> superOptions = dash + 3 < f.length
                    ? Arrays.stream(f[dash + 3].split(",")).collect(Collectors.toUnmodifiableSet()) : Set.of();
            entries.add(new Entry(Integer.parseInt(f[0]), Integer.parseInt(f[1]), unescape(f[3]), unescape(f[4]),
                    f[dash + 1], unescape(f[dash + 2]), superOptions));
        }
        return entries;
    }

    /** Decodes the kernel's octal escapes ({@code \040} for a space). */
    static String unescape(String s) {
        if (s.indexOf('\\') < 0) {
            return s;
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 3 < s.length() && s.substring(i + 1, i + 4).matches("[0-7]{3}")) {
                sb.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }
}
