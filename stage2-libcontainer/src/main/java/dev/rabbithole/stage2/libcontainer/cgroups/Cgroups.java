package dev.rabbithole.stage2.libcontainer.cgroups;

import dev.rabbithole.stage2.libcontainer.configs.Cgroup;
import dev.rabbithole.stage2.libcontainer.system.JnaSyscalls;
import dev.rabbithole.stage2.libcontainer.system.Syscalls;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** Chooses the cgroup driver for the host, as runc's {@code cgroups.IsCgroup2UnifiedMode} does. */
public final class Cgroups {
    private Cgroups() { }

    /**
     * The manager for this host, from /proc/self/mountinfo.
     *
     * @param config the container's cgroup
     * @throws CgroupException no usable cgroup mount
     * @throws UncheckedIOException mountinfo cannot be read
     */
    public static CgroupManager detect(Cgroup config) {
        return detect(config, new JnaSyscalls());
    }

    /**
     * The manager for this host, from /proc/self/mountinfo, writing its control files through {@code sys}.
     *
     * @param config the container's cgroup
     * @param sys    the kernel interface for control-file writes (a recording one shows them)
     * @throws CgroupException no usable cgroup mount
     * @throws UncheckedIOException mountinfo cannot be read
     */
    public static CgroupManager detect(Cgroup config, Syscalls sys) {
        try (InputStream in = Files.newInputStream(Path.of("/proc/self/mountinfo"))) {
            return detect(config, Path.of("/"), new String(in.readAllBytes(), StandardCharsets.UTF_8), sys);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read /proc/self/mountinfo", e);
        }
    }

    /**
     * The manager a mountinfo text calls for: v1 when any v1 hierarchy carries the memory, cpu or pids
     * controller (also on a hybrid host, whose cgroup2 mount then has no controllers), else v2 when a cgroup2
     * mount exists.
     *
     * @param config    the container's cgroup
     * @param fsRoot    prefix for mount points ({@code /} on a host; a temp dir for a fake cgroupfs)
     * @param mountinfo the text of /proc/self/mountinfo
     * @throws CgroupException neither
     */
    public static CgroupManager detect(Cgroup config, Path fsRoot, String mountinfo) {
        return detect(config, fsRoot, mountinfo, new JnaSyscalls());
    }

    /**
     * As {@link #detect(Cgroup, Path, String)}, writing control files through {@code sys}.
     *
     * @param config    the container's cgroup
     * @param fsRoot    prefix for mount points
     * @param mountinfo the text of /proc/self/mountinfo
     * @param sys       the kernel interface for control-file writes
     * @throws CgroupException neither v1 controllers nor a cgroup2 mount
     */
    public static CgroupManager detect(Cgroup config, Path fsRoot, String mountinfo, Syscalls sys) {
        Map<String, Path> v1 = V1Manager.hierarchies(fsRoot, mountinfo);
        if (v1.containsKey("memory") || v1.containsKey("cpu") || v1.containsKey("pids")) {
            return new V1Manager(config, v1, sys);
        }
        Path unified = V2Manager.unifiedMount(fsRoot, mountinfo);
        if (unified != null) {
            return new V2Manager(config, unified, sys);
        }
        throw new CgroupException("no cgroup v1 controllers and no cgroup2 mount in mountinfo");
    }
}
