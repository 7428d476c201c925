package dev.rabbithole.stage2.execdriver;

import dev.rabbithole.stage1.errdefs.InvalidParameterException;
import dev.rabbithole.stage1.execdriver.Command;
import dev.rabbithole.stage1.execdriver.ContainerUser;
import dev.rabbithole.stage2.libcontainer.configs.CapabilitySet;
import dev.rabbithole.stage2.libcontainer.configs.Cgroup;
import dev.rabbithole.stage2.libcontainer.configs.ContainerConfig;
import dev.rabbithole.stage2.libcontainer.configs.Mount;
import dev.rabbithole.stage2.libcontainer.configs.NamespaceType;
import dev.rabbithole.stage2.libcontainer.configs.ProcessConfig;
import dev.rabbithole.stage2.libcontainer.configs.Rlimit;
import dev.rabbithole.stage2.libcontainer.configs.Seccomp;
import dev.rabbithole.stage2.libcontainer.seccomp.DockerProfiles;

import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * The translation of the daemon's {@link Command} into libcontainer's {@link ContainerConfig}, with Docker's
 * defaults: what Docker 0.9's {@code execdriver/native/template} (the default template) and
 * {@code native/create.go} did, with the values of today's moby {@code oci/defaults.go}.
 *
 * <ul>
 * <li>namespaces: pid, mount, uts, ipc, net, cgroup (no user namespace: the book's chapter 2, "No user namespaces from the JVM alone");</li>
 * <li>mounts: libcontainer's rootfs setup mounts /proc, /sys (read-only), /dev (tmpfs with the default
 *     devices, pts, shm, mqueue) and binds /etc/hostname, /etc/hosts, /etc/resolv.conf; the template adds
 *     Docker's {@link #cgroupMount} at /sys/fs/cgroup (read-only unless privileged);</li>
 * <li>{@link #MASKED_PATHS} and {@link #READONLY_PATHS}, unless privileged;</li>
 * <li>cgroup {@code rabbithole/<id>}: memory (and memory+swap twice the memory, Docker's default when
 *     {@code --memory-swap} is not given), CPU quota over a 100000 us period for {@code --cpus}, shares, pids;</li>
 * <li>capabilities: the daemon's resolved set in bounding, effective and permitted (all of them when
 *     privileged); seccomp: the daemon's profile through {@link DockerProfiles#toConfig}, none when privileged
 *     or unconfined;</li>
 * <li>{@code --init}: {@link DockerInit}'s tini bound at /sbin/docker-init and run as pid 1;</li>
 * <li>no_new_privs off (Docker sets it only for {@code --security-opt no-new-privileges});</li>
 * <li>{@link #RLIMITS}: none. Docker sets none by default ({@code --ulimit} adds some): a container inherits
 *     dockerd's limits, whose soft RLIMIT_NOFILE Go raises to the hard one, as the daemon's JVM does
 *     ({@code -XX:+MaxFDLimit}); the init JVM keeps them ({@code -XX:-MaxFDLimit}) and passes them on. A fixed
 *     1048576 would fail with EPERM wherever the daemon's hard limit is lower and it may not raise it.</li>
 * </ul>
 */
public final class DefaultTemplate {
    private DefaultTemplate() { }

    /** The cgroup parent of every container: {@code rabbithole/<id>} in each hierarchy. */
    public static final String CGROUP_PARENT = "rabbithole";

    /** CFS period for {@code --cpus}, microseconds (Docker's). */
    public static final long CPU_PERIOD_MICROS = 100_000;

    /** Paths hidden from the container (moby {@code oci.DefaultLinuxSpec} MaskedPaths). */
    public static final List<String> MASKED_PATHS = List.of("/proc/asound", "/proc/acpi", "/proc/kcore",
            "/proc/keys", "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
            "/proc/scsi", "/sys/firmware");

    /** Paths the container sees read-only (moby {@code oci.DefaultLinuxSpec} ReadonlyPaths). */
    public static final List<String> READONLY_PATHS = List.of("/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
            "/proc/sysrq-trigger");

    /** Resource limits set on every container's process: none, the daemon's are inherited (see above). */
    public static final List<Rlimit> RLIMITS = List.of();

    /** The namespaces every container gets. */
    public static final Set<NamespaceType> NAMESPACES = Collections.unmodifiableSet(EnumSet.of(NamespaceType.PID,
            NamespaceType.MOUNT, NamespaceType.UTS, NamespaceType.IPC, NamespaceType.NET, NamespaceType.CGROUP));

    /**
     * The container config for a command.
     *
     * @param c the daemon's command; {@code rootfs} must be set (its /etc/passwd and /etc/group resolve the user)
     * @return the libcontainer config
     * @throws InvalidParameterException no command, an unknown user or group, or a seccomp profile libcontainer
     *                                   cannot express (unknown action or operator)
     */
    public static ContainerConfig config(Command c) {
        if (c.args() == null || c.args().isEmpty()) {
            throw new InvalidParameterException("No command specified");
        }
        ContainerUser user = ContainerUser.resolve(c.rootfs(), c.user());
        List<Mount> mounts = List.of(cgroupMount(c.id(), c.privileged()));
        List<String> args = List.copyOf(c.args());
        if (c.init()) {                                 // --init: tini is pid 1, the workload its child
            mounts = List.of(cgroupMount(c.id(), c.privileged()), DockerInit.mount(DockerInit.find(DockerInit.CANDIDATES)));
            args = DockerInit.wrap(args);
        }
        ProcessConfig process = new ProcessConfig(args, c.env() == null ? List.of() : List.copyOf(c.env()),
                c.workingDir() == null || c.workingDir().isEmpty() ? "/" : c.workingDir(),
                Math.toIntExact(user.uid()), Math.toIntExact(user.gid()), List.of());
        Seccomp seccomp;
        try {
            seccomp = c.privileged() || c.seccomp() == null ? null : DockerProfiles.toConfig(c.seccomp());
        } catch (IllegalArgumentException e) {
            throw new InvalidParameterException("seccomp profile: " + e.getMessage());
        }
        return new ContainerConfig(c.id(), c.rootfs(), false, c.hostname(), NAMESPACES, mounts,
                c.privileged() ? List.of() : MASKED_PATHS, c.privileged() ? List.of() : READONLY_PATHS,
                cgroup(c.id(), c.resources()), CapabilitySet.of(Set.copyOf(c.capabilities())), seccomp,
                c.noNewPrivileges(), RLIMITS, process);
    }

    /**
     * The container's own cgroups at /sys/fs/cgroup (moby {@code oci.DefaultLinuxSpec}: type {@code cgroup},
     * {@code ro,nosuid,noexec,nodev}; {@code ro} cleared when privileged); libcontainer's
     * {@link dev.rabbithole.stage2.libcontainer.rootfs.CgroupMount} makes it. The source, which runc ignores
     * for this type, names the container's cgroup path ({@link #cgroup}): the init gets no cgroup config.
     *
     * @param id         the container ID
     * @param privileged whether the container is privileged (then the cgroup files are writable)
     * @return the mount
     */
    public static Mount cgroupMount(String id, boolean privileged) {
        return new Mount(CGROUP_PARENT + "/" + id, "/sys/fs/cgroup", "cgroup", privileged
                ? List.of("nosuid", "noexec", "nodev") : List.of("ro", "nosuid", "noexec", "nodev"));
    }

    /**
     * The cgroup of a container: {@code rabbithole/<id>} with the command's limits.
     *
     * @param id        the container ID
     * @param resources the limits (bytes, 10^-9 CPUs, tasks, shares); null for none
     * @return the cgroup config; 0 fields are left unset
     */
    public static Cgroup cgroup(String id, Command.Resources resources) {
        Command.Resources r = resources == null ? Command.Resources.NONE : resources;
        long memory = Math.max(0, r.memoryBytes());
        long quota = r.nanoCpus() > 0 ? Math.max(1000, r.nanoCpus() * CPU_PERIOD_MICROS / 1_000_000_000L) : 0;
        return new Cgroup(CGROUP_PARENT + "/" + id, new Cgroup.Resources(memory, memory > 0 ? 2 * memory : 0,
                Math.max(0, r.cpuShares()), quota, quota > 0 ? CPU_PERIOD_MICROS : 0, null, null,
                r.pidsLimit() > 0 ? r.pidsLimit() : 0));
    }
}
