package dev.rabbithole.stage3.runc;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** What runc reads from the host: its own cgroup (proc(5), /proc/self/cgroup) and whether AppArmor is on. */
final class Hosts {
    private Hosts() {
    }

    /**
     * This process's cgroup path, the base of a relative {@code linux.cgroupsPath}: the memory controller's line
     * on cgroup v1 ({@code 5:memory:/user.slice}), the unified line ({@code 0::/...}) on v2.
     *
     * @return e.g. {@code /user.slice}, or {@code /} when it cannot be read
     */
    static String ownCgroup() {
        try {
            return ownCgroup(Files.readAllLines(Path.of("/proc/self/cgroup")));
        } catch (IOException e) {
            return "/";
        }
    }

    static String ownCgroup(List<String> lines) {
        String unified = null;
        for (String line : lines) {
            String[] f = line.split(":", 3);
            if (f.length < 3) {
                continue;
            }
            if (List.of(f[1].split(",")).contains("memory")) {
                return f[2];
            }
            if (f[0].equals("0") && f[1].isEmpty()) {
                unified = f[2];
            }
        }
        return unified == null ? "/" : unified;
    }

    /** @return whether the kernel's AppArmor module is enabled (/sys/module/apparmor/parameters/enabled is Y) */
    static boolean apparmorEnabled() {
        try {
            return Files.readString(Path.of("/sys/module/apparmor/parameters/enabled")).trim().equals("Y");
        } catch (IOException e) {
            return false;
        }
    }
}
