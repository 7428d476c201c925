package dev.rabbithole.labs.check;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * Which cgroup hierarchies a machine has and which controllers sit where, read from a mount table
 * (proc(5), /proc/self/mountinfo) and the v2 root's {@code cgroup.controllers} (the kernel's cgroup-v2.rst,
 * "Core Interface Files"). The three modes systemd names: {@link Mode#LEGACY} (v1 only), {@link Mode#HYBRID}
 * (v1 hierarchies plus a v2 one mounted beside them, usually {@code /sys/fs/cgroup/unified}, which holds no
 * controller a v1 hierarchy has taken), {@link Mode#UNIFIED} (v2 mounted on {@code /sys/fs/cgroup} itself).
 *
 * @param mode          the mode
 * @param v1            each v1 controller (memory, pids, cpu, ...) and its mount point
 * @param v2Mount       where the v2 hierarchy is mounted, if it is
 * @param v2Controllers the controllers the v2 root offers (empty on a hybrid host where v1 has taken them)
 */
public record CgroupLayout(Mode mode, Map<String, Path> v1, Optional<Path> v2Mount, List<String> v2Controllers) {

    /** The cgroup modes. */
    public enum Mode {
        /** No cgroup file system is mounted. */
        NONE,
        /** Only v1 hierarchies, one or a few controllers each. */
        LEGACY,
        /** v1 hierarchies hold the controllers, an (often empty) v2 hierarchy is mounted beside them. */
        HYBRID,
        /** Only v2, mounted on /sys/fs/cgroup. */
        UNIFIED
    }

    /** Where the labs' code and checkers expect the cgroup file systems. */
    public static final Path ROOT = Path.of("/sys/fs/cgroup");

    /** @return this machine's layout, from /proc/self/mountinfo */
    public static CgroupLayout host() {
        return parse(Proc.lines(Path.of("/proc/self/mountinfo")),
                mount -> List.of(Proc.first(mount.resolve("cgroup.controllers")).split("\\s+")));
    }

    /**
     * @param mountinfo   the lines of a mountinfo file
     * @param controllers reads the controllers a v2 root offers (its cgroup.controllers, split on blanks)
     * @return the layout those lines describe
     */
    public static CgroupLayout parse(List<String> mountinfo, Function<Path, List<String>> controllers) {
        Map<String, Path> v1 = new LinkedHashMap<>();
        Path v2 = null;
        for (String line : mountinfo) {
            // ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTIONS
            String[] halves = line.split(" - ", 2);
            if (halves.length < 2) continue;
            String[] left = halves[0].split(" "), right = halves[1].split(" ");
            if (left.length < 5 || right.length < 3) continue;
            Path mountPoint = Path.of(left[4].replace("\\040", " "));
            if (right[0].equals("cgroup2")) {
                v2 = mountPoint;
            } else if (right[0].equals("cgroup")) {
                for (String option : right[2].split(",")) {
                    if (!option.equals("rw") && !option.equals("ro") && !option.contains("=")) v1.putIfAbsent(option, mountPoint);
                }
            }
        }
        List<String> offered = new ArrayList<>();
        if (v2 != null) {
            for (String c : controllers.apply(v2)) if (!c.isBlank()) offered.add(c);
        }
        Mode mode = v2 != null && v1.isEmpty() ? Mode.UNIFIED : v2 != null ? Mode.HYBRID : v1.isEmpty() ? Mode.NONE : Mode.LEGACY;
        return new CgroupLayout(mode, Map.copyOf(v1), Optional.ofNullable(v2), List.copyOf(offered));
    }

    /**
     * @param controller a controller name (memory, pids, cpu)
     * @return where the labs find it: "v1 at PATH", "v2 at PATH", or empty when neither hierarchy offers it
     */
    public Optional<String> where(String controller) {
        if (v1.containsKey(controller)) return Optional.of("v1 at " + v1.get(controller));
        if (mode == Mode.UNIFIED && v2Controllers.contains(controller)) return Optional.of("v2 at " + v2Mount.orElseThrow());
        return Optional.empty();
    }

    /**
     * @param controller a controller name
     * @return whether the labs can use it: on v1 it must be mounted at /sys/fs/cgroup/CONTROLLER (the labs' code
     *     writes there), on v2 the hierarchy must be /sys/fs/cgroup and offer it
     */
    public boolean usable(String controller) {
        if (v1.containsKey(controller)) {
            Path expected = ROOT.resolve(controller), mount = v1.get(controller);
            if (mount.equals(expected)) return true;
            try { // cpu,cpuacct mounted together, /sys/fs/cgroup/cpu a link to it
                return expected.toRealPath().equals(mount.toRealPath());
            } catch (java.io.IOException e) {
                return false;
            }
        }
        return mode == Mode.UNIFIED && v2Mount.orElseThrow().equals(ROOT) && v2Controllers.contains(controller);
    }

    /** @return whether the labs' cgroups are v2 ones here (the unified mode) */
    public boolean v2() { return mode == Mode.UNIFIED; }
}
