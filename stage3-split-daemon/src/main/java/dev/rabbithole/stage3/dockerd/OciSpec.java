package dev.rabbithole.stage3.dockerd;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rabbithole.stage1.errdefs.InvalidParameterException;
import dev.rabbithole.stage1.execdriver.Command;
import dev.rabbithole.stage1.execdriver.ContainerUser;
import dev.rabbithole.stage1.execdriver.DeviceMapping;
import dev.rabbithole.stage1.execdriver.HostDevices;
import dev.rabbithole.stage1.security.Capabilities;
import dev.rabbithole.stage1.security.SeccompConditions;
import dev.rabbithole.stage1.security.SeccompProfile;
import dev.rabbithole.stage2.execdriver.DefaultTemplate;
import dev.rabbithole.stage2.execdriver.DockerInit;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * The OCI runtime-spec {@code config.json} of a container, made from the daemon's {@link Command} the way Docker
 * 20.10's dockerd makes it (moby {@code oci/defaults.go} {@code DefaultLinuxSpec}, then {@code daemon/oci_linux.go}'s
 * options), and handed to containerd as the container's spec. Sections of the runtime-spec's {@code config.md} and
 * {@code config-linux.md} (version 1.0.2):
 *
 * <ul>
 * <li>{@code root}: the container's overlay rootfs the daemon mounted ({@link Command#rootfs()}), read-only
 *     with {@code --read-only};</li>
 * <li>{@code process}: args, env, cwd, the user resolved from the image's {@code /etc/passwd} and
 *     {@code /etc/group} (uid, gid, additionalGids: the primary gid, the user's groups, {@code --group-add}),
 *     capabilities in bounding, effective and permitted ({@link #CAPABILITY_SETS}), {@code noNewPrivileges}, {@code oomScoreAdj} 0, no rlimits (Docker sets none by default),
 *     {@code terminal} for {@code -t};</li>
 * <li>{@code hostname}; {@code mounts}: /proc, /dev (tmpfs, 64 MiB), /dev/pts, /sys (read-only),
 *     /sys/fs/cgroup (read-only unless privileged), /dev/mqueue, /dev/shm (tmpfs, 64 MiB, Docker's default
 *     {@code --shm-size}), the command's mounts ({@code -v}, {@code --mount}, {@code --tmpfs}, as the daemon shaped
 *     them), and binds of the daemon's /etc/hostname, /etc/hosts, /etc/resolv.conf (read-only with
 *     {@code --read-only}; none where the user mounts something there);</li>
 * <li>{@code linux.namespaces}: pid, network, ipc, uts, mount, and cgroup on a cgroup v2 host only (Docker
 *     20.10's default cgroupns mode is {@code host} on v1, {@code private} on v2);</li>
 * <li>{@code linux.maskedPaths}, {@code linux.readonlyPaths} unless privileged;</li>
 * <li>{@code linux.sysctl}: {@link #SYSCTLS}, as Docker 20.10 sets for a container with its own network
 *     namespace;</li>
 * <li>{@code linux.resources}: devices ({@link #DEFAULT_DEVICE_RULES}, then each {@code --device}), memory limit and swap (twice the limit, Docker's default without {@code --memory-swap}), bytes;
 *     cpu shares, quota over a {@value DefaultTemplate#CPU_PERIOD_MICROS} us period for {@code --cpus}; pids;</li>
 * <li>{@code linux.cgroupsPath}: {@code /PARENT/ID} (Docker's cgroupfs driver uses {@code /docker/ID});</li>
 * <li>{@code linux.seccomp}: the daemon's Docker-format profile with its conditional rules decided for this
 *     container ({@link SeccompConditions#resolve}), in the runtime-spec form; none when privileged or
 *     unconfined;</li>
 * <li>{@code linux.devices}: the {@code --device} nodes, and every host device for {@code --privileged}.</li>
 * </ul>
 */
public final class OciSpec {
    private OciSpec() { }

    /** The runtime-spec version written. */
    public static final String OCI_VERSION = "1.0.2-dev";

    /** Docker's /dev tmpfs size option and default {@code --shm-size}: 64 MiB, bytes. */
    public static final long SHM_SIZE_BYTES = 64L * 1024 * 1024;

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * The capability sets Docker fills with the container's capabilities: bounding, effective, permitted. Debian's
     * dockerd 20.10 writes no inheritable set (moby 20.10.14 dropped it, CVE-2022-24769): a container's CapInh is 0.
     */
    public static final List<String> CAPABILITY_SETS = List.of("bounding", "effective", "permitted");

    /**
     * The sysctls Docker 20.10 gives a container that has its own network namespace: any user may bind ports
     * below 1024 and open ICMP echo sockets (as Debian's dockerd 20.10 writes them to config.json).
     */
    public static final java.util.Map<String, String> SYSCTLS = java.util.Map.of(
            "net.ipv4.ip_unprivileged_port_start", "0", "net.ipv4.ping_group_range", "0 2147483647");

    /**
     * Docker's device cgroup rules for a container that is not privileged, as moby's {@code oci.DefaultLinuxSpec}
     * lists them (type, major, minor, allow): deny all, allow {@code /dev/zero} 1:5, {@code null} 1:3,
     * {@code urandom} 1:9, {@code random} 1:8, {@code tty} 5:0, {@code console} 5:1, deny {@code fuse} 10:229.
     * runc adds its own default allowed nodes (full, ptmx, pts, tun).
     */
    public static final List<Object[]> DEFAULT_DEVICE_RULES = List.of(
            new Object[] {'c', 1, 5, true}, new Object[] {'c', 1, 3, true}, new Object[] {'c', 1, 9, true},
            new Object[] {'c', 1, 8, true}, new Object[] {'c', 5, 0, true}, new Object[] {'c', 5, 1, true},
            new Object[] {'c', 10, 229, false});

    /**
     * The spec of a container.
     *
     * @param c            the daemon's command: rootfs mounted, user resolvable from it
     * @param etcDir       the directory holding the container's {@code hostname}, {@code hosts}, {@code resolv.conf}
     * @param cgroupParent the cgroup parent, e.g. {@code rabbithole}: cgroupsPath is {@code /PARENT/ID}
     * @return the config.json as a JSON tree
     * @throws InvalidParameterException no command, an unknown user or group, a bad seccomp profile
     */
    public static ObjectNode of(Command c, Path etcDir, String cgroupParent) {
        if (c.args() == null || c.args().isEmpty()) {
            throw new InvalidParameterException("No command specified");
        }
        ObjectNode spec = JSON.createObjectNode();
        spec.put("ociVersion", OCI_VERSION);
        ObjectNode process = spec.putObject("process");
        process.put("terminal", c.stdio() != null && c.stdio().tty());
        ContainerUser user = ContainerUser.resolve(c.rootfs(), c.user());
        ObjectNode u = process.putObject("user");
        u.put("uid", user.uid());
        u.put("gid", user.gid());
        ArrayNode gids = u.putArray("additionalGids");
        ContainerUser.supplementaryGroups(c.rootfs(), c.user(), c.groupAdd() == null ? List.of() : c.groupAdd())
                .forEach(gids::add);
        List<String> args = c.init() ? DockerInit.wrap(c.args()) : c.args();
        ArrayNode a = process.putArray("args");
        args.forEach(a::add);
        ArrayNode env = process.putArray("env");
        (c.env() == null ? List.<String>of() : c.env()).forEach(env::add);
        process.put("cwd", c.workingDir() == null || c.workingDir().isEmpty() ? "/" : c.workingDir());
        Set<String> caps = new TreeSet<>();
        (c.privileged() ? allCapabilities() : c.capabilities()).forEach(n -> caps.add(capName(n)));
        ObjectNode capabilities = process.putObject("capabilities");
        for (String set : CAPABILITY_SETS) {
            ArrayNode s = capabilities.putArray(set);
            caps.forEach(s::add);
        }
        process.put("noNewPrivileges", c.noNewPrivileges());
        process.put("oomScoreAdj", 0);

        ObjectNode root = spec.putObject("root");
        root.put("path", c.rootfs().toString());
        root.put("readonly", c.readonlyRootfs());                 // --read-only
        spec.put("hostname", c.hostname() == null ? "" : c.hostname());

        ArrayNode mounts = spec.putArray("mounts");
        mount(mounts, "/proc", "proc", "proc", "nosuid", "noexec", "nodev");
        mount(mounts, "/dev", "tmpfs", "tmpfs", "nosuid", "strictatime", "mode=755", "size=65536k");
        mount(mounts, "/dev/pts", "devpts", "devpts", "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620",
                "gid=5");
        mount(mounts, "/sys", "sysfs", "sysfs", "nosuid", "noexec", "nodev", "ro");
        if (c.privileged()) {
            mount(mounts, "/sys/fs/cgroup", "cgroup", "cgroup", "nosuid", "noexec", "nodev", "relatime");
        } else {
            mount(mounts, "/sys/fs/cgroup", "cgroup", "cgroup", "ro", "nosuid", "noexec", "nodev");
        }
        mount(mounts, "/dev/mqueue", "mqueue", "mqueue", "nosuid", "noexec", "nodev");
        mount(mounts, "/dev/shm", "tmpfs", "shm", "nosuid", "noexec", "nodev", "mode=1777",
                "size=" + SHM_SIZE_BYTES);
        // -v, --mount, --tmpfs: as the daemon shaped them, before the /etc files (dockerd's order)
        java.util.Set<String> userDestinations = new java.util.HashSet<>();
        for (dev.rabbithole.stage1.execdriver.Mount m : c.mounts()) {
            mount(mounts, m.destination(), m.type(), m.source(), m.options().toArray(String[]::new));
            userDestinations.add(m.destination());
        }
        for (String name : List.of("resolv.conf", "hostname", "hosts")) {
            if (userDestinations.contains("/etc/" + name)) {
                continue;                                           // the user's mount replaces the daemon's file
            }
            if (c.readonlyRootfs()) {
                mount(mounts, "/etc/" + name, "bind", etcDir.resolve(name).toString(), "rbind", "ro", "rprivate");
            } else {
                mount(mounts, "/etc/" + name, "bind", etcDir.resolve(name).toString(), "rbind", "rprivate");
            }
        }
        if (c.init()) {
            mount(mounts, DockerInit.CONTAINER_PATH, "bind", DockerInit.find(DockerInit.CANDIDATES).toString(),
                    "bind", "ro");
        }

        ObjectNode linux = spec.putObject("linux");
        ArrayNode ns = linux.putArray("namespaces");
        List<String> types = new ArrayList<>(List.of("mount", "network", "uts", "pid", "ipc"));
        if (Files.exists(Path.of("/sys/fs/cgroup/cgroup.controllers"))) {
            types.add("cgroup");                    // cgroup v2 host: Docker's private cgroupns
        }
        types.forEach(t -> ns.addObject().put("type", t));
        if (!c.privileged()) {
            ArrayNode masked = linux.putArray("maskedPaths");
            DefaultTemplate.MASKED_PATHS.forEach(masked::add);
            ArrayNode ro = linux.putArray("readonlyPaths");
            DefaultTemplate.READONLY_PATHS.forEach(ro::add);
        }
        ObjectNode sysctl = linux.putObject("sysctl");
        new java.util.TreeMap<>(SYSCTLS).forEach(sysctl::put);
        linux.put("cgroupsPath", "/" + cgroupParent + "/" + c.id());
        resources(linux.putObject("resources"), c);
        ArrayNode devices = linux.putArray("devices");
        for (HostDevices.Node n : nodes(c)) {
            ObjectNode d = devices.addObject();
            d.put("path", n.pathInContainer());
            d.put("type", String.valueOf(n.type()));
            d.put("major", n.major());
            d.put("minor", n.minor());
            d.put("fileMode", n.fileMode());
            d.put("uid", n.uid());
            d.put("gid", n.gid());
        }
        if (!c.privileged() && c.seccomp() != null) {
            linux.set("seccomp", seccomp(SeccompConditions.resolve(c.seccomp(),
                    SeccompConditions.Facts.host(c.capabilities()))));
        }
        return spec;
    }

    /**
     * Every capability this kernel knows, for {@code --privileged}: those of capabilities(7) up to
     * {@code /proc/sys/kernel/cap_last_cap} (Docker's {@code caps.GetAllCapabilities}; runc refuses a capability
     * the kernel does not have with EPERM).
     *
     * @return names without {@code CAP_}
     */
    public static Set<String> allCapabilities() {
        int last;
        try {
            // a line reader: Files.readString takes the sysctl's first short read (one byte) for the whole file
            last = Integer.parseInt(Files.readAllLines(Path.of("/proc/sys/kernel/cap_last_cap")).get(0).trim());
        } catch (java.io.IOException | RuntimeException e) {
            last = Integer.MAX_VALUE;
        }
        Set<String> all = new TreeSet<>();
        for (var e : Capabilities.ALL.entrySet()) {
            if (e.getValue() <= last) {
                all.add(e.getKey());
            }
        }
        return all;
    }

    /** @return {@code CAP_CHOWN} for {@code CHOWN} or {@code CAP_CHOWN} */
    static String capName(String name) {
        String n = name.toUpperCase(Locale.ROOT);
        return n.startsWith("CAP_") ? n : "CAP_" + n;
    }

    private static void mount(ArrayNode mounts, String destination, String type, String source, String... options) {
        ObjectNode m = mounts.addObject();
        m.put("destination", destination);
        m.put("type", type);
        m.put("source", source);
        ArrayNode o = m.putArray("options");
        for (String s : options) {
            o.add(s);
        }
    }

    /** The {@code --device} nodes, and every host node for {@code --privileged} (a mapping wins at its path). */
    private static List<HostDevices.Node> nodes(Command c) {
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
        HostDevices.all(Path.of("/dev")).stream().filter(n -> !taken.contains(n.pathInContainer())).forEach(all::add);
        return all;
    }

    private static void resources(ObjectNode r, Command c) {
        ArrayNode devices = r.putArray("devices");
        if (c.privileged()) {
            devices.addObject().put("allow", true).put("access", "rwm");
        } else {
            devices.addObject().put("allow", false).put("access", "rwm");
            for (Object[] rule : DEFAULT_DEVICE_RULES) {
                devices.addObject().put("allow", (Boolean) rule[3]).put("type", String.valueOf(rule[0]))
                        .put("major", (Integer) rule[1]).put("minor", (Integer) rule[2]).put("access", "rwm");
            }
            for (HostDevices.Node n : nodes(c)) {
                devices.addObject().put("allow", true).put("type", String.valueOf(n.type())).put("major", n.major())
                        .put("minor", n.minor()).put("access", n.permissions());
            }
        }
        Command.Resources res = c.resources() == null ? Command.Resources.NONE : c.resources();
        if (res.memoryBytes() > 0) {
            r.putObject("memory").put("limit", res.memoryBytes()).put("swap", 2 * res.memoryBytes());
        }
        ObjectNode cpu = r.putObject("cpu");
        if (res.cpuShares() > 0) {
            cpu.put("shares", res.cpuShares());
        }
        if (res.nanoCpus() > 0) {
            long period = DefaultTemplate.CPU_PERIOD_MICROS;
            cpu.put("quota", Math.max(1000, res.nanoCpus() * period / 1_000_000_000L));
            cpu.put("period", period);
        }
        if (res.pidsLimit() > 0) {
            r.putObject("pids").put("limit", res.pidsLimit());
        }
    }

    /**
     * A resolved Docker-format profile in the runtime-spec's {@code linux.seccomp} form (config-linux.md, Seccomp):
     * the same action and comparison names; a rule's missing {@code errnoRet} stays missing (EPERM for runc).
     *
     * @param p the profile, without conditional rules
     * @return the JSON object
     */
    static ObjectNode seccomp(SeccompProfile p) {
        ObjectNode s = JSON.createObjectNode();
        s.put("defaultAction", p.defaultAction());
        if (p.defaultErrnoRet() != null) {
            s.put("defaultErrnoRet", p.defaultErrnoRet());
        }
        ArrayNode arches = s.putArray("architectures");
        (p.architectures() == null ? List.<String>of() : p.architectures()).forEach(arches::add);
        ArrayNode syscalls = s.putArray("syscalls");
        for (SeccompProfile.Rule rule : p.syscalls() == null ? List.<SeccompProfile.Rule>of() : p.syscalls()) {
            if (rule.names() == null || rule.names().isEmpty()) {
                continue;
            }
            ObjectNode o = syscalls.addObject();
            ArrayNode names = o.putArray("names");
            rule.names().forEach(names::add);
            o.put("action", rule.action());
            if (rule.errnoRet() != null) {
                o.put("errnoRet", rule.errnoRet());
            }
            if (rule.args() != null && !rule.args().isEmpty()) {
                ArrayNode args = o.putArray("args");
                for (SeccompProfile.Arg arg : rule.args()) {
                    args.addObject().put("index", arg.index()).put("value", arg.value())
                            .put("valueTwo", arg.valueTwo()).put("op", arg.op());
                }
            }
        }
        return s;
    }

    /**
     * Names the container's network namespace in a spec made by {@link #of}: the {@code network} entry of
     * {@code linux.namespaces} gets the path (runtime-spec config-linux.md, "Namespaces": the runtime joins it), as
     * dockerd names libnetwork's sandbox; with no path ({@code --network host}) the entry and the {@code net.*}
     * sysctls go, so the container keeps the host's namespace (and the host's sysctls are not changed).
     *
     * @param spec the spec
     * @param path an nsfs file to join, or null for the host's namespace
     */
    public static void network(ObjectNode spec, String path) {
        ObjectNode linux = (ObjectNode) spec.get("linux");
        ArrayNode ns = (ArrayNode) linux.get("namespaces");
        for (int i = 0; i < ns.size(); i++) {
            if ("network".equals(ns.get(i).path("type").asText())) {
                if (path == null) {
                    ns.remove(i);
                } else {
                    ((ObjectNode) ns.get(i)).put("path", path);
                }
                break;
            }
        }
        if (path == null && linux.get("sysctl") instanceof ObjectNode sysctl) {
            List<String> names = new ArrayList<>();
            sysctl.fieldNames().forEachRemaining(names::add);
            names.stream().filter(k -> k.startsWith("net.")).forEach(sysctl::remove);
        }
    }
}
