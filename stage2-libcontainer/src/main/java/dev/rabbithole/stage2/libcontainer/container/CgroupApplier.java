package dev.rabbithole.stage2.libcontainer.container;

import dev.rabbithole.stage2.libcontainer.cgroups.CgroupManager;
import dev.rabbithole.stage2.libcontainer.cgroups.CgroupStats;
import dev.rabbithole.stage2.libcontainer.cgroups.Cgroups;
import dev.rabbithole.stage2.libcontainer.configs.Cgroup;
import dev.rabbithole.stage2.libcontainer.system.Syscalls;

import java.nio.file.Path;
import java.util.Map;

/**
 * Which cgroup driver a container uses: {@link #HOST} (v1 or v2, from the host's mountinfo, as runc's
 * {@code cgroups.IsCgroup2UnifiedMode} chooses) or {@link #NONE} (the container stays in its parent's cgroups:
 * for tests and hosts without cgroupfs). The parent calls {@link CgroupManager#apply} with the init's pid and
 * {@link CgroupManager#set} with the config's resources before it sends "go"; destroy removes the cgroup.
 */
@FunctionalInterface
public interface CgroupApplier {
    /** Applies nothing: the container stays in the parent's cgroups, its limits are ignored. */
    CgroupApplier NONE = (cgroup, sys) -> NoCgroup.INSTANCE;

    /** The host's cgroup version and mounts ({@link Cgroups#detect(Cgroup, Syscalls)}). */
    CgroupApplier HOST = Cgroups::detect;

    /**
     * The manager for one container's cgroup.
     *
     * @param cgroup where ({@link Cgroup#path()}, relative to each hierarchy) and what
     * @param sys    control-file writes go through it (a recording one shows them in the transcript)
     * @return the manager; nothing is created until {@link CgroupManager#apply}
     * @throws dev.rabbithole.stage2.libcontainer.cgroups.CgroupException when the host has no usable cgroupfs
     */
    CgroupManager manager(Cgroup cgroup, Syscalls sys);

    /** A manager that does nothing. */
    final class NoCgroup implements CgroupManager {
        static final NoCgroup INSTANCE = new NoCgroup();

        private NoCgroup() { }

        @Override
        public void apply(long pid) { }

        @Override
        public void set(Cgroup.Resources resources) { }

        /** @return zeros: nothing is accounted */
        @Override
        public CgroupStats stats() {
            return new CgroupStats(0, 0, 0, 0);
        }

        @Override
        public void destroy() { }

        @Override
        public Map<String, Path> paths() {
            return Map.of();
        }

        /** @return 0: no cgroup */
        @Override
        public int version() {
            return 0;
        }
    }
}
