package dev.rabbithole.stage2.libcontainer.container;

import dev.rabbithole.stage2.libcontainer.configs.Cgroup;

import java.io.IOException;

/**
 * Seam to the {@code cgroups} package (its CgroupManager: apply, set, destroy), used by the parent between
 * starting the init and sending it "go". TODO(merge): adapt V1Manager/V2Manager to this interface.
 */
public interface CgroupApplier {
    /** Applies nothing: the container stays in the parent's cgroups. */
    CgroupApplier NONE = new CgroupApplier() {
        @Override
        public void apply(Cgroup cgroup, long pid) { }

        @Override
        public void destroy(Cgroup cgroup) { }
    };

    /**
     * Creates the cgroup, writes its limits and moves {@code pid} into it.
     *
     * @param cgroup where and what
     * @param pid    the init's pid in the host's pid namespace
     * @throws IOException when a cgroup file cannot be written
     */
    void apply(Cgroup cgroup, long pid) throws IOException;

    /**
     * Removes the cgroup; a cgroup that does not exist is success.
     *
     * @param cgroup the cgroup
     * @throws IOException when it still holds processes or cannot be removed
     */
    void destroy(Cgroup cgroup) throws IOException;
}
