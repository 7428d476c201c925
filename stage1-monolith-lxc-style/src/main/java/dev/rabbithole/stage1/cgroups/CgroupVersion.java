package dev.rabbithole.stage1.cgroups;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Which cgroup interface governs the host's controllers, read from {@code /proc/self/mountinfo}
 * (proc(5) "mountinfo"; cgroups(7) "cgroups version 1 and version 2").
 * <ul>
 *   <li>{@link #V1}: the memory controller is mounted as a v1 hierarchy ({@code cgroup} filesystem with the
 *       {@code memory} super option), as on hybrid hosts that also mount an empty v2 tree at
 *       {@code /sys/fs/cgroup/unified}. LXC takes {@code lxc.cgroup.*} keys.</li>
 *   <li>{@link #V2}: a {@code cgroup2} filesystem is mounted and no v1 hierarchy has the memory controller
 *       (the unified layout: {@code /sys/fs/cgroup/cgroup.controllers}). LXC takes {@code lxc.cgroup2.*}
 *       keys.</li>
 * </ul>
 */
public enum CgroupVersion {
    V1, V2;

    /** A mount of a cgroup filesystem: where, which type, which controllers (v1 super options). */
    public record CgroupMount(Path mountPoint, boolean v2, List<String> options) { }

    /**
     * Detects the version of this host from {@code /proc/self/mountinfo}.
     *
     * @throws UncheckedIOException mountinfo cannot be read
     * @throws IllegalStateException no cgroup filesystem is mounted at all
     */
    public static CgroupVersion detect() {
        try {
            return detect(Files.readString(Path.of("/proc/self/mountinfo")));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Detects the version from mountinfo text.
     *
     * @param mountinfo the text of a {@code /proc/PID/mountinfo} file
     * @throws IllegalStateException no cgroup filesystem is mounted
     */
    public static CgroupVersion detect(String mountinfo) {
        List<CgroupMount> mounts = mounts(mountinfo);
        if (mounts.stream().anyMatch(m -> !m.v2() && m.options().contains("memory"))) {
            return V1;
        }
        if (mounts.stream().anyMatch(CgroupMount::v2)) {
            return V2;
        }
        if (!mounts.isEmpty()) {
            return V1;
        }
        throw new IllegalStateException("no cgroup filesystem mounted (neither cgroup nor cgroup2 in mountinfo)");
    }

    /**
     * Every cgroup mount of the mountinfo text, in its order.
     *
     * @param mountinfo the text of a {@code /proc/PID/mountinfo} file
     */
    public static List<CgroupMount> mounts(String mountinfo) {
        List<CgroupMount> result = new ArrayList<>();
        for (String line : mountinfo.split("\n")) {
            // fields: id parent major:minor root mountpoint options [optional...] - fstype source superoptions
            int dash = line.indexOf(" - ");
            if (dash < 0) {
                continue;
            }
            String[] left = line.substring(0, dash).split(" ");
            String[] right = line.substring(dash + 3).split(" ");
            if (left.length < 5 || right.length < 3) {
                continue;
            }
            String type = right[0];
            if (!type.equals("cgroup") && !type.equals("cgroup2")) {
                continue;
            }
            result.add(new CgroupMount(Path.of(unescape(left[4])), type.equals("cgroup2"),
                    List.of(right[2].split(","))));
        }
        return result;
    }

    /**
     * The mount point of the v1 hierarchy that carries a controller, e.g. {@code /sys/fs/cgroup/memory}.
     *
     * @param mountinfo  the text of a {@code /proc/PID/mountinfo} file
     * @param controller {@code memory}, {@code pids}, {@code cpu}, ... or {@code name=systemd}
     */
    public static Optional<Path> v1MountPoint(String mountinfo, String controller) {
        return mounts(mountinfo).stream().filter(m -> !m.v2() && m.options().contains(controller))
                .map(CgroupMount::mountPoint).findFirst();
    }

    private static String unescape(String field) {
        // mountinfo escapes space, tab, newline and backslash as \ooo octal
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < field.length(); i++) {
            char c = field.charAt(i);
            if (c == '\\' && i + 3 < field.length()) {
                sb.append((char) Integer.parseInt(field.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }
}
