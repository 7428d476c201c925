package dev.rabbithole.stage2.execdriver;

import dev.rabbithole.stage1.daemon.EngineLog;
import dev.rabbithole.stage1.errdefs.InvalidParameterException;
import dev.rabbithole.stage1.execdriver.Command;
import dev.rabbithole.stage1.execdriver.ContainerUser;
import dev.rabbithole.stage1.execdriver.DeviceMapping;
import dev.rabbithole.stage1.execdriver.HostDevices;
import dev.rabbithole.stage1.security.SeccompConditions;
import dev.rabbithole.stage2.libcontainer.configs.CapabilitySet;
import dev.rabbithole.stage2.libcontainer.configs.Cgroup;
import dev.rabbithole.stage2.libcontainer.configs.ContainerConfig;
import dev.rabbithole.stage2.libcontainer.configs.Mount;
import dev.rabbithole.stage2.libcontainer.configs.Device;
import dev.rabbithole.stage2.libcontainer.configs.DeviceRule;
import dev.rabbithole.stage2.libcontainer.configs.NamespaceType;
import dev.rabbithole.stage2.libcontainer.configs.ProcessConfig;
import dev.rabbithole.stage2.libcontainer.configs.Rlimit;
import dev.rabbithole.stage2.libcontainer.configs.Seccomp;

import java.nio.file.Path;
import java.util.ArrayList;
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
 *     privileged); seccomp: the daemon's profile with its conditional rules decided for the container's
 *     capabilities, the host's architecture and kernel ({@link SeccompConditions#resolve}), then
 *     {@link DockerProfiles#toConfig}; none when privileged or unconfined;</li>
 * <li>{@code --init}: {@link DockerInit}'s tini bound at /sbin/docker-init and run as pid 1;</li>
 * <li>devices: {@link #DEFAULT_DEVICE_RULES} (deny all, then the standard nodes and mknod of any), plus a
 *     node and a rule for each {@code --device}; privileged: every device allowed and every device node of
 *     the host's /dev created in the container ({@link #devices});</li>
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

    // tag::default-device-rules[]
    /**
     * Docker's device rules for a container that is not privileged: deny everything, then allow mknod of any
     * device (the node is harmless without read and write) and read, write and mknod of the nodes every
     * container has. What Debian's dockerd 20.10 with runc 1.1 writes to the container's {@code devices.list}
     * (moby's {@code oci.DefaultLinuxSpec} denies all, runc's specconv {@code AllowedDevices} adds the rest):
     * {@code /dev/null} 1:3, {@code zero} 1:5, {@code full} 1:7, {@code random} 1:8, {@code urandom} 1:9,
     * {@code tty} 5:0, {@code console} 5:1, {@code ptmx} 5:2, the pseudo-terminals of devpts 136:*, and
     * {@code /dev/net/tun} 10:200.
     */
    public static final List<DeviceRule> DEFAULT_DEVICE_RULES = List.of(
            DeviceRule.all(false),
            new DeviceRule('c', DeviceRule.WILDCARD, DeviceRule.WILDCARD, "m", true),
            new DeviceRule('b', DeviceRule.WILDCARD, DeviceRule.WILDCARD, "m", true),
            new DeviceRule('c', 1, 3, "rwm", true),
            new DeviceRule('c', 1, 5, "rwm", true),
            new DeviceRule('c', 1, 7, "rwm", true),
            new DeviceRule('c', 1, 8, "rwm", true),
            new DeviceRule('c', 1, 9, "rwm", true),
            new DeviceRule('c', 5, 0, "rwm", true),
            new DeviceRule('c', 5, 1, "rwm", true),
            new DeviceRule('c', 5, 2, "rwm", true),
            new DeviceRule('c', 136, DeviceRule.WILDCARD, "rwm", true),
            new DeviceRule('c', 10, 200, "rwm", true));
    // end::default-device-rules[]

    /** The host's device directory a privileged container gets the nodes of. */
    static final Path HOST_DEV = Path.of("/dev");

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
                Math.toIntExact(user.uid()), Math.toIntExact(user.gid()),
                // supplementary groups as Docker's: the primary gid, the user's groups in /etc/group, --group-add
                ContainerUser.supplementaryGroups(c.rootfs(), c.user(), c.groupAdd()).stream()
                        .map(Math::toIntExact).toList());
        Seccomp seccomp;
        try {
            // Docker's conditional rules (CAP_SYS_ADMIN: mount, unshare, ...) decided for this container
            seccomp = c.privileged() || c.seccomp() == null ? null : DockerProfiles.toConfig(
                    SeccompConditions.resolve(c.seccomp(), SeccompConditions.Facts.host(c.capabilities())));
        } catch (IllegalArgumentException e) {
            throw new InvalidParameterException("seccomp profile: " + e.getMessage());
        }
        if (seccomp != null && EngineLog.debugEnabled()) {
            // what the compiler skips (other architectures' syscalls); the daemon said it once at its start
            try {
                EngineLog.debug("container " + c.id() + ": " + SeccompReport.summary("its seccomp profile",
                        dev.rabbithole.stage2.libcontainer.seccomp.SeccompCompiler.compile(seccomp)));
            } catch (IllegalArgumentException e) {
                // the container's validation reports it
            }
        }
        List<HostDevices.Node> nodes = nodes(c, HOST_DEV);
        Cgroup cgroup = cgroup(c.id(), c.resources());
        Cgroup.Resources r = cgroup.resources();
        cgroup = new Cgroup(cgroup.path(), new Cgroup.Resources(r.memoryBytes(), r.memorySwapBytes(), r.cpuShares(),
                r.cpuQuotaMicros(), r.cpuPeriodMicros(), r.cpusetCpus(), r.cpusetMems(), r.pidsLimit(),
                deviceRules(c.privileged(), nodes)));
        mounts = withUserMounts(mounts, c);
        return new ContainerConfig(c.id(), c.rootfs(), c.readonlyRootfs(), c.hostname(), NAMESPACES, mounts,
                c.privileged() ? List.of() : MASKED_PATHS, c.privileged() ? List.of() : READONLY_PATHS,
                cgroup, CapabilitySet.of(Set.copyOf(c.capabilities())), seccomp,
                c.noNewPrivileges(), RLIMITS, process, devices(nodes));
    }

    /**
     * The command's own mounts ({@code -v}, {@code --mount}, {@code --tmpfs}) after the template's: runtime-spec
     * shaped already, they become libcontainer mounts as they are (the init resolves each destination inside the
     * rootfs).
     */
    static List<Mount> withUserMounts(List<Mount> template, Command c) {
        if (c.mounts().isEmpty()) {
            return template;
        }
        List<Mount> all = new java.util.ArrayList<>(template);
        for (dev.rabbithole.stage1.execdriver.Mount m : c.mounts()) {
            all.add(new Mount(m.source(), m.destination(), m.type(), m.options()));
        }
        return List.copyOf(all);
    }

    // tag::device-policy[]
    /**
     * The device nodes a container gets besides the default ones: those of its {@code --device} mappings, and
     * when it is privileged every device node of the host's /dev as well (Docker 20.10's privileged mode);
     * a mapping's node wins over a host node at the same path.
     *
     * @param c       the command
     * @param hostDev the host's /dev
     * @return the nodes
     * @throws dev.rabbithole.stage1.errdefs.SystemException a mapping whose host path is not a device (Docker's
     *         {@code error gathering device information while adding custom device ...})
     */
    static List<HostDevices.Node> nodes(Command c, Path hostDev) {
        List<HostDevices.Node> mapped = new ArrayList<>();
        for (DeviceMapping m : c.devices() == null ? List.<DeviceMapping>of() : c.devices()) {
            mapped.addAll(HostDevices.resolve(m));
        }
        if (!c.privileged()) {
            return mapped;
        }
        Set<String> taken = new java.util.HashSet<>();
        mapped.forEach(n -> taken.add(n.pathInContainer()));
        List<HostDevices.Node> all = new ArrayList<>(mapped);
        HostDevices.all(hostDev).stream().filter(n -> !taken.contains(n.pathInContainer())).forEach(all::add);
        return all;
    }

    /**
     * The devices cgroup rules: privileged, {@code a *:* rwm}; else {@link #DEFAULT_DEVICE_RULES} and then
     * each node's rule with its mapping's permissions.
     */
    static List<DeviceRule> deviceRules(boolean privileged, List<HostDevices.Node> nodes) {
        if (privileged) {
            return List.of(DeviceRule.all(true));
        }
        List<DeviceRule> rules = new ArrayList<>(DEFAULT_DEVICE_RULES);
        for (HostDevices.Node n : nodes) {
            rules.add(new DeviceRule(n.type(), n.major(), n.minor(), n.permissions(), true));
        }
        return rules;
    }
    // end::device-policy[]

    private static List<Device> devices(List<HostDevices.Node> nodes) {
        return nodes.stream().map(n -> new Device(n.pathInContainer(), n.type(), n.major(), n.minor(), n.fileMode(),
                n.uid(), n.gid())).toList();
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
