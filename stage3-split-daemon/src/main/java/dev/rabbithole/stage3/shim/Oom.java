package dev.rabbithole.stage3.shim;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * How many times the kernel's OOM killer killed a process of a container's memory cgroup: the {@code oom_kill} line
 * of {@code memory.oom_control} (cgroup v1, Linux 4.13+) or of {@code memory.events} (cgroup v2), in the cgroup of
 * the container's init as {@code /proc/PID/cgroup} names it. The shim reads it when a process of the task exits and
 * publishes {@code /tasks/oom} when it went up, before {@code /tasks/exit}. Source: the kernel's
 * Documentation/admin-guide/cgroup-v1/memory.rst section 10 (OOM Control) and cgroup-v2.rst (memory.events).
 */
final class Oom {

    private static final Path CGROUP = Path.of("/sys/fs/cgroup");

    private Oom() {
    }

    /**
     * @param pid a process of the container (its init, right after create)
     * @return the file holding the OOM kill counter of the process's memory cgroup, null when none is found
     */
    static Path counterFile(int pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/cgroup"))) {
                String[] f = line.split(":", 3);
                if (f.length != 3) {
                    continue;
                }
                if (java.util.Arrays.asList(f[1].split(",")).contains("memory")) {
                    Path p = CGROUP.resolve("memory").resolve(f[2].substring(1)).resolve("memory.oom_control");
                    return Files.exists(p) ? p : null;
                }
                if (f[0].equals("0") && f[1].isEmpty()) {
                    Path p = CGROUP.resolve(f[2].substring(1)).resolve("memory.events");
                    if (Files.exists(p)) {
                        return p;
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            return null;
        }
        return null;
    }

    /** @return the {@code oom_kill} count in the file, 0 when it cannot be read (the cgroup is gone) */
    static long kills(Path counterFile) {
        if (counterFile == null) {
            return 0;
        }
        try {
            for (String line : Files.readAllLines(counterFile)) {
                if (line.startsWith("oom_kill ")) {
                    return Long.parseLong(line.substring("oom_kill ".length()).trim());
                }
            }
        } catch (IOException | RuntimeException e) {
            return 0;
        }
        return 0;
    }
}
