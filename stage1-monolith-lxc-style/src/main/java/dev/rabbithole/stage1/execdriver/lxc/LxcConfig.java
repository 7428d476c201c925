package dev.rabbithole.stage1.execdriver.lxc;

import dev.rabbithole.stage1.cgroups.CgroupVersion;
import dev.rabbithole.stage1.errdefs.InvalidParameterException;
import dev.rabbithole.stage1.execdriver.Command;
import dev.rabbithole.stage1.execdriver.ContainerUser;
import dev.rabbithole.stage1.execdriver.EtcFiles;
import dev.rabbithole.stage1.execdriver.HostDevices;
import dev.rabbithole.stage1.execdriver.Network;
import dev.rabbithole.stage1.security.Capabilities;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Writes the LXC configuration of one container (lxc.container.conf(5), LXC 5.0), as Docker 0.x's lxc
 * driver wrote {@code config.lxc} from a template. One key per line; {@code lxc-execute -f} reads it.
 * Every value is checked to fit on one line, since the format has no quoting.
 */
public final class LxcConfig {
    private LxcConfig() { }

    /** Docker's masked files (moby {@code oci.DefaultSpec} MaskedPaths): a bind mount of /dev/null hides them. */
    static final List<String> MASKED_FILES = List.of("proc/kcore", "proc/keys", "proc/latency_stats",
            "proc/timer_list", "proc/timer_stats", "proc/sched_debug");
    /** Docker's masked directories: an empty read-only tmpfs hides them. */
    static final List<String> MASKED_DIRS = List.of("proc/acpi", "proc/asound", "proc/scsi", "sys/firmware",
            "sys/devices/virtual/powercap");
    /** Docker's read-only paths beyond {@code /proc/sys}, which {@code proc:mixed} already makes read-only. */
    static final List<String> READONLY_PATHS = List.of("proc/bus", "proc/fs", "proc/irq", "proc/sysrq-trigger");

    /** CFS period written with a CPU quota, microseconds (Docker's default, 100 ms). */
    public static final long CFS_PERIOD_US = 100_000;

    /**
     * The configuration text for a command, without a stop hook.
     *
     * @see #generate(Command, CgroupVersion, Path, Path, Path)
     */
    public static String generate(Command c, CgroupVersion cgroups, Path seccompPolicy, Path logFile) {
        return generate(c, cgroups, seccompPolicy, logFile, null);
    }

    // tag::lxc-config[]
    /**
     * The configuration text for a command.
     *
     * @param c             the container to run; its {@code user} is resolved against {@code rootfs/etc/passwd}
     * @param cgroups       which cgroup keys the host takes: {@code lxc.cgroup.*} (v1) or {@code lxc.cgroup2.*} (v2)
     * @param seccompPolicy the LXC seccomp policy file ({@link LxcSeccompPolicy}), or null for none
     * @param logFile       where LXC logs (level NOTICE: the start of the workload is logged there)
     * @param stopHook      a program LXC runs on the host once the container's processes are gone and before it
     *                      removes the cgroups ({@code lxc.hook.stop}), or null for none
     * @return the file's text, lines ending in {@code \n}
     * @throws InvalidParameterException an unknown user or group, a value with a line break, a relative working
     *         directory
     */
    public static String generate(Command c, CgroupVersion cgroups, Path seccompPolicy, Path logFile,
                                  Path stopHook) {
        return generate(c, cgroups, seccompPolicy, logFile, stopHook, null);
    }

    /**
     * The configuration text for a command, with the hook that creates its {@code --device} nodes.
     *
     * @param devicesHook the {@code lxc.hook.autodev} script of {@link LxcDevices#hook}, or null when the command
     *                    has no devices
     * @see #generate(Command, CgroupVersion, Path, Path, Path)
     */
    public static String generate(Command c, CgroupVersion cgroups, Path seccompPolicy, Path logFile,
                                  Path stopHook, Path devicesHook) {
        List<HostDevices.Node> nodes = LxcDevices.nodes(c);
        Lines out = new Lines();
        out.comment("the container's name in its own UTS namespace (hostname)");
        out.set("lxc.uts.name", c.hostname());

        out.comment("the root filesystem: the directory the storage driver mounted");
        out.set("lxc.rootfs.path", "dir:" + c.rootfs());

        Network net = c.network() == null ? Network.NONE : c.network();
        boolean ownNet = net.mode() == Network.Mode.NONE || net.mode() == Network.Mode.BRIDGE;
        out.comment("new namespaces: no user namespace, the container's root is the host's root");
        out.set("lxc.namespace.clone", ownNet ? "mnt pid uts ipc net cgroup" : "mnt pid uts ipc cgroup");
        network(out, net);

        out.comment("/proc (with /proc/sys read-only), /sys read-only, the container's own cgroups read-only;");
        out.comment("':force' because LXC leaves cgroup mounts to the container's init when it has a cgroup namespace");
        out.set("lxc.mount.auto", c.privileged() ? "proc:rw sys:rw cgroup:rw:force"
                                                 : "proc:mixed sys:ro cgroup:ro:force");

        out.comment("/dev: a tmpfs with null, zero, full, random, urandom, tty; devpts; no consoles or ttys");
        out.set("lxc.autodev", "1");
        out.set("lxc.pty.max", "1024");
        out.set("lxc.tty.max", "0");
        out.set("lxc.console.path", "none");
        out.set("lxc.mount.entry", "shm dev/shm tmpfs rw,nosuid,nodev,noexec,mode=1777,size=65536k,create=dir 0 0");
        out.set("lxc.mount.entry", "mqueue dev/mqueue mqueue rw,nosuid,nodev,noexec,create=dir 0 0");

        if (c.stateDir() != null) {
            out.comment("/etc/hostname, /etc/hosts, /etc/resolv.conf: the daemon's files (EtcFiles), bound over the image's");
            for (String name : EtcFiles.NAMES) {
                out.set("lxc.mount.entry", fstabEscape(c.stateDir().resolve(name).toString()) + " etc/" + name
                        + " none bind,create=file 0 0");
            }
        }

        if (!c.privileged()) {
            out.comment("masked paths, as Docker's: files under /dev/null, directories under an empty read-only tmpfs");
            for (String f : MASKED_FILES) {
                out.set("lxc.mount.entry", "/dev/null " + f + " none bind,optional 0 0");
            }
            for (String d : MASKED_DIRS) {
                out.set("lxc.mount.entry", "tmpfs " + d + " tmpfs ro,optional 0 0");
            }
            out.comment("read-only paths, as Docker's");
            for (String r : READONLY_PATHS) {
                out.set("lxc.mount.entry", "/" + r + " " + r + " none rbind,ro,optional 0 0");
            }

            out.comment("capabilities the container keeps (all others are dropped from every set)");
            out.set("lxc.cap.keep", c.capabilities().isEmpty() ? "none"
                    : String.join(" ", c.capabilities().stream().map(n -> n.toLowerCase(Locale.ROOT)).sorted().toList()));
            Capabilities.capEffHex(c.capabilities());              // rejects unknown names early
        }

        if (seccompPolicy != null && !c.privileged()) {
            out.comment("the seccomp filter, in LXC's policy format (see the seccomp file beside this one)");
            out.set("lxc.seccomp.profile", seccompPolicy.toString());
        }

        if (c.noNewPrivileges()) {
            out.comment("--security-opt no-new-privileges: execve cannot raise privileges (setuid, file capabilities)");
            out.set("lxc.no_new_privs", "1");
        }

        out.comment("no AppArmor profile: seccomp and capabilities confine the container");
        out.set("lxc.apparmor.profile", "unconfined");

        if (!c.privileged()) {
            out.comment("devices: deny all, then allow what Docker allows (mknod of any, the standard character devices)");
            String devices = cgroups == CgroupVersion.V1 ? "lxc.cgroup.devices" : "lxc.cgroup2.devices";
            out.set(devices + ".deny", "a");
            for (String allow : List.of("c *:* m", "b *:* m", "c 1:3 rwm", "c 1:5 rwm", "c 1:7 rwm", "c 1:8 rwm",
                    "c 1:9 rwm", "c 5:0 rwm", "c 5:1 rwm", "c 5:2 rwm", "c 136:* rwm", "c 10:200 rwm")) {
                out.set(devices + ".allow", allow);
            }
            if (!nodes.isEmpty()) {
                out.comment("--device: the rules of the devices given to the container");
                for (HostDevices.Node n : nodes) {
                    out.set(devices + ".allow", n.cgroupRule());
                }
            }
        }
        if (devicesHook != null) {
            out.comment("--device: a script makes the nodes in the container's /dev once LXC mounted it");
            out.set("lxc.hook.autodev", devicesHook.toString());
        }

        resources(out, c.resources() == null ? Command.Resources.NONE : c.resources(), cgroups);

        ContainerUser user = ContainerUser.resolve(c.rootfs(), c.user());
        String cwd = c.workingDir() == null || c.workingDir().isEmpty() ? "/" : c.workingDir();
        if (!cwd.startsWith("/")) {
            throw new InvalidParameterException("the working directory '" + cwd + "' is invalid, it needs to be an absolute path");
        }
        out.comment("the process: user, group, working directory, environment");
        out.set("lxc.init.uid", Long.toString(user.uid()));
        out.set("lxc.init.gid", Long.toString(user.gid()));
        // supplementary groups (LXC 5.0; setgroups(2) before the uid changes): /etc/group and --group-add
        out.set("lxc.init.groups", ContainerUser.supplementaryGroups(c.rootfs(), c.user(), c.groupAdd()).stream()
                .map(String::valueOf).collect(java.util.stream.Collectors.joining(",")));
        out.set("lxc.init.cwd", cwd);
        for (String env : c.env() == null ? List.<String>of() : c.env()) {
            out.set("lxc.environment", env);
        }

        if (stopHook != null) {
            out.comment("run on the host after the last process exited, before LXC removes the cgroups:");
            out.comment("it saves the memory cgroup's oom_kill counter (State.OOMKilled)");
            out.set("lxc.hook.stop", stopHook.toString());
        }

        out.comment("LXC's own log");
        out.set("lxc.log.file", logFile.toString());
        out.set("lxc.log.level", "NOTICE");
        return out.toString();
    }

    // tag::lxc-net[]
    /**
     * The network keys (lxc.container.conf(5), NETWORK): LXC makes the veth pair, names its host end, moves the
     * other into the container's namespace as {@code eth0} with its address, MAC and default route, and enslaves
     * the host end to the daemon's bridge; the daemon owns the bridge and the rules.
     */
    static void network(Lines out, Network net) {
        switch (net.mode()) {
            case BRIDGE -> {
                Network.Endpoint e = net.endpoint();
                out.comment("--network bridge: a veth pair, the host end on the daemon's bridge, eth0 inside");
                out.set("lxc.net.0.type", "veth");
                out.set("lxc.net.0.link", e.bridge());
                out.set("lxc.net.0.veth.pair", e.hostInterface());
                out.set("lxc.net.0.name", e.containerInterface());
                out.set("lxc.net.0.hwaddr", e.macAddress());
                out.set("lxc.net.0.mtu", Integer.toString(e.mtu()));
                // ADDRESS/PREFIX BROADCAST: without the broadcast LXC gives eth0 a wrong one (brd 0.0.0.255)
                dev.rabbithole.stage1.network.Ipv4 a = dev.rabbithole.stage1.network.Ipv4.parseCidr(e.address());
                int broadcast = a.address() | ~dev.rabbithole.stage1.network.Ipv4.mask(a.prefix());
                out.set("lxc.net.0.ipv4.address", e.address() + " "
                        + dev.rabbithole.stage1.network.Ipv4.format(broadcast));
                out.set("lxc.net.0.ipv4.gateway", e.gateway());
                out.set("lxc.net.0.flags", "up");
            }
            case HOST -> {
                out.comment("--network host: no network namespace of its own, the daemon's links");
                out.set("lxc.net.0.type", "none");
            }
            case JOIN -> {
                out.comment("--network container:NAME: that container's network namespace");
                out.set("lxc.namespace.share.net", net.namespacePath());
            }
            default -> {
                out.comment("an own network namespace with only loopback; 'up' on an empty network makes LXC");
                out.comment("bring lo up, as Docker does (without it lo stays down: 127.0.0.1 is unreachable)");
                out.set("lxc.net.0.type", "empty");
                out.set("lxc.net.0.flags", "up");
            }
        }
    }
    // end::lxc-net[]

    /** cgroup limits: v1 files ({@code memory.limit_in_bytes}, ...) or their v2 successors ({@code memory.max}, ...). */
    static void resources(Lines out, Command.Resources r, CgroupVersion v) {
        if (r.memoryBytes() <= 0 && r.pidsLimit() <= 0 && r.nanoCpus() <= 0 && r.cpuShares() <= 0) {
            return;
        }
        out.comment("cgroup limits");
        boolean v1 = v == CgroupVersion.V1;
        String prefix = v1 ? "lxc.cgroup." : "lxc.cgroup2.";
        if (r.memoryBytes() > 0) {
            out.set(prefix + (v1 ? "memory.limit_in_bytes" : "memory.max"), Long.toString(r.memoryBytes()));
        }
        if (r.pidsLimit() > 0) {
            out.set(prefix + "pids.max", Long.toString(r.pidsLimit()));
        }
        if (r.nanoCpus() > 0) {
            long quota = r.nanoCpus() * CFS_PERIOD_US / 1_000_000_000L;   // --cpus 0.5 -> 50000 us per 100000 us
            if (v1) {
                out.set(prefix + "cpu.cfs_period_us", Long.toString(CFS_PERIOD_US));
                out.set(prefix + "cpu.cfs_quota_us", Long.toString(quota));
            } else {
                out.set(prefix + "cpu.max", quota + " " + CFS_PERIOD_US);
            }
        }
        if (r.cpuShares() > 0) {
            if (v1) {
                out.set(prefix + "cpu.shares", Long.toString(r.cpuShares()));
            } else {
                out.set(prefix + "cpu.weight", Long.toString(cpuWeight(r.cpuShares())));
            }
        }
    }
    // end::lxc-config[]

    /**
     * cgroup v1 {@code cpu.shares} (2..262144) as v2 {@code cpu.weight} (1..10000), the conversion runc and
     * the kernel's documentation use: {@code 1 + ((shares - 2) * 9999) / 262142}.
     */
    public static long cpuWeight(long shares) {
        long s = Math.max(2, Math.min(262144, shares));
        return 1 + ((s - 2) * 9999) / 262142;
    }

    /** A path as an fstab(5) field: space, tab, newline and backslash as octal escapes ({@code \040}). */
    static String fstabEscape(String path) {
        StringBuilder sb = new StringBuilder();
        for (char ch : path.toCharArray()) {
            if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\\') {
                sb.append(String.format("\\%03o", (int) ch));
            } else {
                sb.append(ch);
            }
        }
        return sb.toString();
    }

    /** The text being built: {@code key = value} lines and {@code #} comments. */
    static final class Lines {
        private final StringBuilder sb = new StringBuilder();

        void comment(String text) {
            if (sb.length() > 0 && !text.isEmpty() && sb.charAt(sb.length() - 1) == '\n'
                    && !endsWithComment()) {
                sb.append('\n');
            }
            sb.append("# ").append(text).append('\n');
        }

        void set(String key, String value) {
            if (value == null || value.indexOf('\n') >= 0 || value.indexOf('\r') >= 0 || value.indexOf('\0') >= 0) {
                throw new InvalidParameterException("invalid value for " + key + ": must be one line: " + value);
            }
            sb.append(key).append(" = ").append(value).append('\n');
        }

        private boolean endsWithComment() {
            int start = sb.lastIndexOf("\n", sb.length() - 2) + 1;
            return sb.charAt(start) == '#';
        }

        @Override public String toString() {
            return sb.toString();
        }
    }
}
