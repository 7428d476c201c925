package dev.rabbithole.stage2.libcontainer.cgroups;

import dev.rabbithole.stage2.libcontainer.configs.Cgroup;

import java.nio.file.Path;
import java.util.Map;

/**
 * One container's cgroup, in whichever cgroup version the host runs: what runc's
 * {@code libcontainer/cgroups.Manager} does. The parent process calls {@link #apply(long)} with the init's pid
 * before letting it go on, then {@link #set(Cgroup.Resources)}; {@link #destroy()} after the container exited.
 * Sources: Documentation/admin-guide/cgroup-v1/*.rst and cgroup-v2.rst of the kernel.
 */
public interface CgroupManager {

    /**
     * Creates the cgroup (missing parents too) and moves a process into it by writing its pid to
     * {@code cgroup.procs}.
     *
     * @param pid a host pid
     * @throws CgroupException a directory cannot be created or a file written (names the file and value)
     */
    void apply(long pid);

    /**
     * Writes the limits; fields that are 0 (or null) are left as they are.
     *
     * @param resources limits in bytes, CPU shares, microseconds, CPU lists, pids
     * @throws CgroupException a write fails (names the file and value), or a controller is not mounted
     * @throws IllegalArgumentException inconsistent values (v2: swap limit without memory limit, or below it)
     */
    void set(Cgroup.Resources resources);

    /**
     * Reads the usage counters.
     *
     * @throws CgroupException a file cannot be read
     */
    CgroupStats stats();

    /**
     * How many processes of the cgroup the kernel's OOM killer has killed: the {@code oom_kill} field of v1
     * {@code memory.oom_control} (kernel 4.13 on) or v2 {@code memory.events}, what Docker's State.OOMKilled
     * comes from. Read it after the workload exited and before {@link #destroy()}: the counter goes with the cgroup.
     *
     * @return the count; 0 when there is no memory controller or the cgroup is gone
     * @throws CgroupException the file exists but cannot be read or parsed
     */
    default long oomKillCount() {
        return 0;
    }

    // tag::cgroup-freeze[]
    /**
     * Freezes or thaws every task of the cgroup and returns once the kernel reports the new state, what runc's
     * {@code Manager.Freeze} does for {@code runc pause} and {@code runc resume}: v1 writes {@code FROZEN} or
     * {@code THAWED} to the freezer hierarchy's {@code freezer.state} until it reads back so (it says
     * {@code FREEZING} while tasks are still being stopped); v2 writes 1 or 0 to {@code cgroup.freeze} and waits for
     * {@code frozen 1} or {@code frozen 0} in {@code cgroup.events}. Sources: cgroup-v1/freezer-subsystem.rst,
     * cgroup-v2.rst "Core Interface Files".
     *
     * @param frozen true to freeze, false to thaw
     * @throws CgroupException no freezer, a write failed, or the state did not settle within 10 seconds
     */
    default void freeze(boolean frozen) {
        throw new CgroupException("this cgroup manager has no freezer");
    }
    // end::cgroup-freeze[]

    /**
     * @return whether the freezer reports the cgroup frozen; false when there is no freezer or the cgroup is gone
     * @throws CgroupException the file exists but cannot be read
     */
    default boolean frozen() {
        return false;
    }

    /**
     * Removes the cgroup's directories (rmdir: the kernel drops the control files with them). Does not kill
     * anything: a cgroup that still has tasks cannot be removed, which is reported. Idempotent: a directory
     * that is already gone is success.
     *
     * @throws CgroupException rmdir failed, e.g. "Device or resource busy" while tasks remain (lists them)
     */
    void destroy();

    /**
     * The cgroup's directory per controller ({@code memory}, {@code cpu}, ...; v1 controllers co-mounted
     * share one), or {@code unified} for cgroup v2.
     */
    Map<String, Path> paths();

    /** 1 for cgroup v1, 2 for the unified hierarchy. */
    int version();
}
