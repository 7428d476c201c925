package dev.rabbithole.stage3.runc;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rabbithole.stage2.libcontainer.configs.CapabilitySet;
import dev.rabbithole.stage2.libcontainer.configs.Cgroup;
import dev.rabbithole.stage2.libcontainer.configs.ContainerConfig;
import dev.rabbithole.stage2.libcontainer.configs.Device;
import dev.rabbithole.stage2.libcontainer.configs.DeviceRule;
import dev.rabbithole.stage2.libcontainer.configs.Mount;
import dev.rabbithole.stage2.libcontainer.configs.NamespaceType;
import dev.rabbithole.stage2.libcontainer.configs.ProcessConfig;
import dev.rabbithole.stage2.libcontainer.configs.Rlimit;
import dev.rabbithole.stage2.libcontainer.configs.Seccomp;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Turns a bundle's runtime-spec {@code config.json} (runtime-spec 1.0.2: config.md, config-linux.md, as
 * containerd 1.6, Docker 20.10 and {@code runc spec} write it) into stage 2's libcontainer {@link ContainerConfig},
 * as runc's {@code libcontainer/specconv} does. A field libcontainer cannot do (user namespaces and id mappings,
 * joining a mount, user or cgroup namespace by path, hooks run inside the container, blkio weights, hugepage limits, SELinux labels, ...) is refused
 * with a {@link SpecException} naming the field, never dropped silently. Fields this runtime cannot know
 * (extensions) are ignored, as runc's JSON decoding ignores them.
 *
 * <p>What libcontainer does on its own: it mounts {@code /proc}, {@code /sys}, {@code /dev} (a tmpfs with the
 * runtime-spec's default devices), {@code /dev/pts}, {@code /dev/shm} and {@code /dev/mqueue} itself; a spec
 * mount at one of those destinations with the standard type is therefore satisfied by libcontainer's own mount
 * (its options are libcontainer's), one of another type (a bind mount on {@code /dev/shm}) is mounted on top.
 * The devices cgroup gets the spec's rules, then one allow rule per {@code linux.devices} entry, then runc's
 * default allow list (the default devices, {@code /dev/console}, the ptys, mknod of any device).
 */
public final class SpecConverter {

    /**
     * The result.
     *
     * @param config      libcontainer's config; its process has no parent-death signal (the container outlives
     *                    {@code runc create})
     * @param terminal    {@code process.terminal}
     * @param oomScoreAdj {@code process.oomScoreAdj}, or null when absent (written to
     *                    {@code /proc/PID/oom_score_adj} after create)
     * @param umask       {@code process.user.umask}, or null when absent (set in the creating process, which
     *                    the init inherits)
     * @param annotations {@code annotations}, in order; empty when absent
     * @param ociVersion  {@code ociVersion}
     * @param sysctl      {@code linux.sysctl}, checked ({@link Sysctls#validate}): written by the runc command in
     *                    the container's namespaces after create
     * @param hooks       {@code hooks}: run by the runc commands ({@link Hooks})
     */
    public record Converted(ContainerConfig config, boolean terminal, Integer oomScoreAdj, Integer umask,
                            Map<String, String> annotations, String ociVersion, Map<String, String> sysctl,
                            Hooks hooks) {
    }

    /** Where libcontainer mounts on its own, and the filesystem type it mounts there. */
    static final Map<String, String> OWN_MOUNTS = Map.of("/proc", "proc", "/sys", "sysfs", "/dev", "tmpfs",
            "/dev/pts", "devpts", "/dev/shm", "tmpfs", "/dev/mqueue", "mqueue");

    /**
     * runc's default device allow list (libcontainer/specconv AllowedDevices, runc 1.1), appended after the
     * spec's rules: mknod of any character or block device, the default devices, the console and the ptys.
     */
    static final List<DeviceRule> DEFAULT_ALLOWED = List.of(
            new DeviceRule('c', DeviceRule.WILDCARD, DeviceRule.WILDCARD, "m", true),
            new DeviceRule('b', DeviceRule.WILDCARD, DeviceRule.WILDCARD, "m", true),
            new DeviceRule('c', 1, 3, "rwm", true),     // /dev/null
            new DeviceRule('c', 1, 8, "rwm", true),     // /dev/random
            new DeviceRule('c', 1, 7, "rwm", true),     // /dev/full
            new DeviceRule('c', 5, 0, "rwm", true),     // /dev/tty
            new DeviceRule('c', 1, 5, "rwm", true),     // /dev/zero
            new DeviceRule('c', 1, 9, "rwm", true),     // /dev/urandom
            new DeviceRule('c', 5, 1, "rwm", true),     // /dev/console
            new DeviceRule('c', 136, DeviceRule.WILDCARD, "rwm", true), // /dev/pts/*
            new DeviceRule('c', 5, 2, "rwm", true));    // /dev/ptmx

    private SpecConverter() {
    }

    /**
     * Converts a config.
     *
     * @param id          the container ID
     * @param bundle      the bundle directory, absolute: a relative {@code root.path} and relative bind-mount
     *                    sources are resolved against it
     * @param spec        the parsed config.json
     * @param ownCgroup   the creating process's own cgroup path ({@code /user.slice}), the base of a relative
     *                    {@code linux.cgroupsPath} (as runc); {@code "/"} or null for the root
     * @param apparmorOn  whether the host enforces AppArmor: a {@code process.apparmorProfile} is then refused
     *                    (libcontainer cannot apply one); without AppArmor runc ignores it, and so does this
     * @return the converted config and the fields the runc command applies itself
     * @throws SpecException the first field that is malformed or cannot be done, named
     */
    public static Converted convert(String id, Path bundle, JsonNode spec, String ownCgroup, boolean apparmorOn)
            throws SpecException {
        if (spec == null || !spec.isObject()) {
            throw new SpecException("config.json: not a JSON object");
        }
        String ociVersion = text(spec, "ociVersion", "ociVersion");
        if (ociVersion == null || ociVersion.isEmpty()) {
            throw new SpecException("ociVersion: missing");
        }
        // root
        JsonNode root = object(spec, "root", "root");
        if (root == null) {
            throw new SpecException("root: missing");
        }
        String rootPath = text(root, "path", "root.path");
        if (rootPath == null || rootPath.isEmpty()) {
            throw new SpecException("root.path: missing");
        }
        Path rootfs = bundle.resolve(rootPath).normalize();
        if (!Files.isDirectory(rootfs)) {
            throw new SpecException("root.path: " + rootfs + ": no such directory");
        }
        try {
            if (!rootfs.toRealPath().equals(rootfs)) { // as runc's config validation
                throw new SpecException("root.path: invalid rootfs " + rootfs + ": not an absolute path, or a symlink");
            }
        } catch (java.io.IOException e) {
            throw new SpecException("root.path: " + rootfs + ": " + e.getMessage());
        }
        boolean readonly = bool(root, "readonly", "root.readonly");

        // process
        JsonNode process = object(spec, "process", "process");
        if (process == null) {
            throw new SpecException("process: missing (this runtime creates a container with its process)");
        }
        boolean terminal = bool(process, "terminal", "process.terminal");
        JsonNode user = object(process, "user", "process.user");
        int uid = user == null ? 0 : (int) number(user, "uid", "process.user.uid", 0, 0xffffffffL);
        int gid = user == null ? 0 : (int) number(user, "gid", "process.user.gid", 0, 0xffffffffL);
        List<Integer> gids = new ArrayList<>();
        Integer umask = null;
        if (user != null) {
            for (JsonNode g : array(user, "additionalGids", "process.user.additionalGids")) {
                if (!g.canConvertToLong() || g.asLong() < 0 || g.asLong() > 0xffffffffL) {
                    throw new SpecException("process.user.additionalGids: " + g + " is not a gid");
                }
                gids.add((int) g.asLong());
            }
            if (user.has("umask") && !user.get("umask").isNull()) {
                umask = (int) number(user, "umask", "process.user.umask", 0, 0777);
            }
        }
        List<String> args = strings(process, "args", "process.args");
        if (args.isEmpty()) {
            throw new SpecException("process.args: must not be empty");
        }
        List<String> env = strings(process, "env", "process.env");
        String cwd = text(process, "cwd", "process.cwd");
        if (cwd == null || !cwd.startsWith("/")) {
            throw new SpecException("process.cwd: " + cwd + " is not an absolute path");
        }
        CapabilitySet caps = null;
        JsonNode capabilities = object(process, "capabilities", "process.capabilities");
        if (capabilities != null) {
            Set<String> permitted = capSet(capabilities, "permitted");
            Set<String> inheritable = capSet(capabilities, "inheritable");
            // the kernel raises an ambient capability only when it is permitted and inheritable
            // (PR_CAP_AMBIENT_RAISE, capabilities(7)); runc 1.1 ignores the refusal for the others, and so
            // they are left out here (runc spec's default lists ambient capabilities without inheritable ones)
            Set<String> ambient = new LinkedHashSet<>();
            for (String a : capSet(capabilities, "ambient")) {
                if (contains(permitted, a) && contains(inheritable, a)) {
                    ambient.add(a);
                }
            }
            caps = new CapabilitySet(capSet(capabilities, "bounding"), capSet(capabilities, "effective"),
                    permitted, inheritable, ambient);
        }
        List<Rlimit> rlimits = new ArrayList<>();
        int i = 0;
        for (JsonNode r : array(process, "rlimits", "process.rlimits")) {
            String f = "process.rlimits[" + i++ + "]";
            String type = text(r, "type", f + ".type");
            if (type == null) {
                throw new SpecException(f + ".type: missing");
            }
            rlimits.add(new Rlimit(type, unsigned(r, "soft", f + ".soft"), unsigned(r, "hard", f + ".hard")));
        }
        boolean noNewPrivileges = bool(process, "noNewPrivileges", "process.noNewPrivileges");
        Integer oomScoreAdj = process.has("oomScoreAdj") && !process.get("oomScoreAdj").isNull()
                ? (int) number(process, "oomScoreAdj", "process.oomScoreAdj", -1000, 1000) : null;
        refuseText(process, "selinuxLabel", "process.selinuxLabel", "SELinux labels are not supported");
        String apparmor = text(process, "apparmorProfile", "process.apparmorProfile");
        if (apparmor != null && !apparmor.isEmpty() && apparmorOn) {
            throw new SpecException("process.apparmorProfile: " + apparmor
                    + ": AppArmor profiles are not supported (the host enforces AppArmor)");
        }
        ProcessConfig proc = new ProcessConfig(args, env, cwd, uid, gid, gids, 0);

        // hostname, hooks
        String hostname = text(spec, "hostname", "hostname");
        refuseText(spec, "domainname", "domainname", "setting the NIS domain name is not supported");
        Hooks hooks = Hooks.parse(object(spec, "hooks", "hooks"));

        // mounts
        List<Mount> mounts = new ArrayList<>();
        i = 0;
        for (JsonNode m : array(spec, "mounts", "mounts")) {
            String f = "mounts[" + i++ + "]";
            if (!m.isObject()) {
                throw new SpecException(f + ": not an object");
            }
            String dest = text(m, "destination", f + ".destination");
            if (dest == null || !dest.startsWith("/")) {
                throw new SpecException(f + ".destination: " + dest + " is not an absolute path");
            }
            String type = text(m, "type", f + ".type");
            String source = text(m, "source", f + ".source");
            List<String> options = strings(m, "options", f + ".options");
            String cleanDest = Path.of(dest).normalize().toString();
            if (type != null && type.equals(OWN_MOUNTS.get(cleanDest))) {
                continue; // libcontainer mounts it itself
            }
            boolean bind = "bind".equals(type) || options.contains("bind") || options.contains("rbind");
            if (bind && source != null && !source.startsWith("/")) {
                source = bundle.resolve(source).normalize().toString();
            }
            if (bind && (source == null || !Files.exists(Path.of(source)))) {
                throw new SpecException(f + ".source: " + source + ": no such file or directory");
            }
            mounts.add(new Mount(source == null ? (type == null ? "none" : type) : source, cleanDest,
                    type == null ? (bind ? "bind" : "none") : type, options));
        }

        // linux
        JsonNode linux = object(spec, "linux", "linux");
        if (linux == null) {
            throw new SpecException("linux: missing (this runtime runs Linux containers only)");
        }
        if (!array(linux, "uidMappings", "linux.uidMappings").isEmpty()) {
            throw new SpecException("linux.uidMappings: user namespaces are not supported");
        }
        if (!array(linux, "gidMappings", "linux.gidMappings").isEmpty()) {
            throw new SpecException("linux.gidMappings: user namespaces are not supported");
        }
        Set<NamespaceType> namespaces = EnumSet.noneOf(NamespaceType.class);
        Map<NamespaceType, String> joined = new java.util.EnumMap<>(NamespaceType.class);
        i = 0;
        for (JsonNode n : array(linux, "namespaces", "linux.namespaces")) {
            String f = "linux.namespaces[" + i++ + "]";
            String type = text(n, "type", f + ".type");
            NamespaceType t = namespace(type, f);
            String path = text(n, "path", f + ".path");
            if (path != null && !path.isEmpty()) {
                if (!dev.rabbithole.stage2.libcontainer.namespaces.NamespaceSpawner.JOINABLE.contains(t)) {
                    throw new SpecException(f + ".path: " + path + ": joining an existing " + type
                            + " namespace is not supported (only network, uts, ipc, pid)");
                }
                if (!path.startsWith("/") || !java.nio.file.Files.exists(java.nio.file.Path.of(path))) {
                    throw new SpecException(f + ".path: " + path + ": no such namespace file");
                }
                joined.put(t, path);
            }
            if (!namespaces.add(t)) {
                throw new SpecException(f + ".type: " + type + " namespace listed twice");
            }
        }
        if (!namespaces.contains(NamespaceType.MOUNT)) {
            throw new SpecException("linux.namespaces: a mount namespace is required (the rootfs is pivoted into)");
        }
        if (hostname != null && !hostname.isEmpty() && !namespaces.contains(NamespaceType.UTS)) {
            throw new SpecException("hostname: cannot set a hostname without a private UTS namespace");
        }
        List<Device> devices = new ArrayList<>();
        List<DeviceRule> deviceAllows = new ArrayList<>();
        i = 0;
        for (JsonNode d : array(linux, "devices", "linux.devices")) {
            String f = "linux.devices[" + i++ + "]";
            String type = text(d, "type", f + ".type");
            char t = type == null || type.length() != 1 ? '?' : type.charAt(0);
            if (t == 'u') {
                t = 'c';
            }
            if (t != 'c' && t != 'b') {
                throw new SpecException(f + ".type: " + type + ": only c, u and b devices are supported");
            }
            long major = number(d, "major", f + ".major", 0, 0xffffffffL);
            long minor = number(d, "minor", f + ".minor", 0, 0xffffffffL);
            int mode = d.has("fileMode") ? (int) number(d, "fileMode", f + ".fileMode", 0, 07777) : 0666;
            int duid = d.has("uid") ? (int) number(d, "uid", f + ".uid", 0, 0xffffffffL) : 0;
            int dgid = d.has("gid") ? (int) number(d, "gid", f + ".gid", 0, 0xffffffffL) : 0;
            Device dev = new Device(text(d, "path", f + ".path"), t, major, minor, mode, duid, dgid);
            try {
                dev.validate();
            } catch (IllegalArgumentException e) {
                throw new SpecException(f + ": " + e.getMessage());
            }
            devices.add(dev);
            deviceAllows.add(new DeviceRule(t, major, minor, "rwm", true));
        }
        Cgroup cgroup = cgroup(id, linux, ownCgroup, deviceAllows);
        // the init gets no cgroup config: a cgroup mount names the container's cgroup in its source, so that
        // the workload sees its own cgroups at /sys/fs/cgroup (libcontainer's CgroupMount)
        mounts.replaceAll(m -> "cgroup".equals(m.type())
                ? new Mount(cgroup.path(), m.destination(), m.type(), m.options()) : m);
        Seccomp seccomp = SeccompSpec.convert(object(linux, "seccomp", "linux.seccomp"));
        Map<String, String> sysctl = new LinkedHashMap<>();
        JsonNode sysctlNode = object(linux, "sysctl", "linux.sysctl");
        if (sysctlNode != null) {
            for (Iterator<Map.Entry<String, JsonNode>> it = sysctlNode.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (!e.getValue().isTextual()) {
                    throw new SpecException("linux.sysctl." + e.getKey() + ": not a string");
                }
                sysctl.put(e.getKey(), e.getValue().asText());
            }
            Sysctls.validate(sysctl, namespaces);
        }
        String propagation = text(linux, "rootfsPropagation", "linux.rootfsPropagation");
        if (propagation != null && !propagation.isEmpty() && !propagation.equals("private")
                && !propagation.equals("rprivate")) {
            throw new SpecException("linux.rootfsPropagation: " + propagation
                    + ": only private and rprivate are supported");
        }
        refuseText(linux, "mountLabel", "linux.mountLabel", "SELinux labels are not supported");
        for (String unsupported : List.of("intelRdt", "personality", "timeOffsets")) {
            JsonNode v = linux.get(unsupported);
            if (v != null && !v.isNull() && !(v.isObject() && v.isEmpty())) {
                throw new SpecException("linux." + unsupported + ": not supported");
            }
        }
        List<String> masked = strings(linux, "maskedPaths", "linux.maskedPaths");
        List<String> readonlyPaths = strings(linux, "readonlyPaths", "linux.readonlyPaths");

        ContainerConfig config = new ContainerConfig(id, rootfs, readonly, hostname, namespaces, mounts, masked,
                readonlyPaths, cgroup, caps, seccomp, noNewPrivileges, rlimits, proc, devices,
                joined.isEmpty() ? null : joined, null);
        Map<String, String> annotations = new LinkedHashMap<>();
        JsonNode a = object(spec, "annotations", "annotations");
        if (a != null) {
            for (Iterator<Map.Entry<String, JsonNode>> it = a.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (!e.getValue().isTextual()) {
                    throw new SpecException("annotations." + e.getKey() + ": not a string");
                }
                annotations.put(e.getKey(), e.getValue().asText());
            }
        }
        return new Converted(config, terminal, oomScoreAdj, umask, annotations, ociVersion, sysctl, hooks);
    }

    // tag::spec-namespace[]
    private static NamespaceType namespace(String type, String field) throws SpecException {
        if (type == null) {
            throw new SpecException(field + ".type: missing");
        }
        return switch (type) {
            case "pid" -> NamespaceType.PID;
            case "network" -> NamespaceType.NET;
            case "mount" -> NamespaceType.MOUNT;
            case "ipc" -> NamespaceType.IPC;
            case "uts" -> NamespaceType.UTS;
            case "cgroup" -> NamespaceType.CGROUP;
            case "user" -> throw new SpecException(field + ".type: user namespaces are not supported (the init is a "
                    + "JVM: unshare(CLONE_NEWUSER) fails with EINVAL in a multithreaded process)");
            default -> throw new SpecException(field + ".type: " + type + ": unknown or unsupported namespace type");
        };
    }
    // end::spec-namespace[]

    /**
     * {@code linux.cgroupsPath} and {@code linux.resources}: absolute paths are taken from each hierarchy's
     * root, relative ones from the creating process's cgroup; none means {@code ID} there (runc's default).
     */
    static Cgroup cgroup(String id, JsonNode linux, String ownCgroup, List<DeviceRule> deviceAllows)
            throws SpecException {
        String path = text(linux, "cgroupsPath", "linux.cgroupsPath");
        if (path == null || path.isEmpty()) {
            path = id;
        }
        if (!path.startsWith("/") && path.contains(":")) {
            throw new SpecException("linux.cgroupsPath: " + path
                    + ": a systemd slice:prefix:name path needs the systemd cgroup driver, which is not supported");
        }
        if (!path.startsWith("/") && ownCgroup != null && !ownCgroup.equals("/")) {
            path = ownCgroup + "/" + path;
        }
        String clean = Path.of("/" + path).normalize().toString().substring(1);
        if (clean.isEmpty() || ("/" + path + "/").contains("/../")) {
            throw new SpecException("linux.cgroupsPath: " + path + ": not a cgroup below the root");
        }
        JsonNode r = object(linux, "resources", "linux.resources");
        long memory = 0;
        long swap = 0;
        long shares = 0;
        long quota = 0;
        long period = 0;
        String cpus = null;
        String mems = null;
        long pids = 0;
        List<DeviceRule> rules = new ArrayList<>();
        if (r != null) {
            int i = 0;
            for (JsonNode d : array(r, "devices", "linux.resources.devices")) {
                String f = "linux.resources.devices[" + i++ + "]";
                if (!d.has("allow") || !d.get("allow").isBoolean()) {
                    throw new SpecException(f + ".allow: missing, true or false");
                }
                String type = text(d, "type", f + ".type");
                char t = type == null || type.isEmpty() ? 'a' : type.charAt(0);
                long major = d.has("major") && !d.get("major").isNull()
                        ? number(d, "major", f + ".major", -1, 0xffffffffL) : DeviceRule.WILDCARD;
                long minor = d.has("minor") && !d.get("minor").isNull()
                        ? number(d, "minor", f + ".minor", -1, 0xffffffffL) : DeviceRule.WILDCARD;
                String access = text(d, "access", f + ".access");
                DeviceRule rule = new DeviceRule(t, major, minor, access == null || access.isEmpty() ? "rwm" : access,
                        d.get("allow").asBoolean());
                try {
                    rule.validate();
                } catch (IllegalArgumentException e) {
                    throw new SpecException(f + ": " + e.getMessage());
                }
                rules.add(rule);
            }
            JsonNode m = object(r, "memory", "linux.resources.memory");
            if (m != null) {
                memory = limit(m, "limit", "linux.resources.memory.limit");
                swap = m.has("swap") && !m.get("swap").isNull() ? signed(m, "swap", "linux.resources.memory.swap") : 0;
                swap = swap < -1 ? -1 : swap;
                refuseNumber(m, "reservation", "linux.resources.memory.reservation");
                refuseNumber(m, "kernel", "linux.resources.memory.kernel");
                refuseNumber(m, "kernelTCP", "linux.resources.memory.kernelTCP");
                if (m.has("swappiness") && !m.get("swappiness").isNull()) {
                    throw new SpecException("linux.resources.memory.swappiness: not supported");
                }
                if (bool(m, "disableOOMKiller", "linux.resources.memory.disableOOMKiller")) {
                    throw new SpecException("linux.resources.memory.disableOOMKiller: not supported");
                }
            }
            JsonNode c = object(r, "cpu", "linux.resources.cpu");
            if (c != null) {
                shares = c.has("shares") && !c.get("shares").isNull()
                        ? number(c, "shares", "linux.resources.cpu.shares", 0, 262144) : 0;
                quota = c.has("quota") && !c.get("quota").isNull() ? signed(c, "quota", "linux.resources.cpu.quota") : 0;
                period = c.has("period") && !c.get("period").isNull()
                        ? number(c, "period", "linux.resources.cpu.period", 0, 1_000_000) : 0;
                cpus = emptyToNull(text(c, "cpus", "linux.resources.cpu.cpus"));
                mems = emptyToNull(text(c, "mems", "linux.resources.cpu.mems"));
                refuseNumber(c, "realtimeRuntime", "linux.resources.cpu.realtimeRuntime");
                refuseNumber(c, "realtimePeriod", "linux.resources.cpu.realtimePeriod");
            }
            JsonNode p = object(r, "pids", "linux.resources.pids");
            if (p != null && p.has("limit") && !p.get("limit").isNull()) {
                pids = Math.max(0, signed(p, "limit", "linux.resources.pids.limit"));
            }
            JsonNode blkio = object(r, "blockIO", "linux.resources.blockIO");
            if (blkio != null) {
                for (Iterator<Map.Entry<String, JsonNode>> it = blkio.fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> e = it.next();
                    if (!e.getValue().isNull() && !(e.getValue().isArray() && e.getValue().isEmpty())
                            && !(e.getValue().isNumber() && e.getValue().asLong() == 0)) {
                        throw new SpecException("linux.resources.blockIO." + e.getKey() + ": blkio limits are not supported");
                    }
                }
            }
            for (String unsupported : List.of("hugepageLimits", "network", "rdma", "unified")) {
                JsonNode v = r.get(unsupported);
                if (v != null && !v.isNull() && !v.isEmpty()) {
                    throw new SpecException("linux.resources." + unsupported + ": not supported");
                }
            }
        }
        rules.addAll(deviceAllows);
        rules.addAll(DEFAULT_ALLOWED);
        return new Cgroup(clean, new Cgroup.Resources(memory, swap, shares, quota, period, cpus, mems, pids, rules));
    }

    private static boolean contains(Set<String> set, String cap) {
        String bare = cap.toUpperCase(java.util.Locale.ROOT).replaceFirst("^CAP_", "");
        return set.stream().anyMatch(c -> c.toUpperCase(java.util.Locale.ROOT).replaceFirst("^CAP_", "").equals(bare));
    }

    private static Set<String> capSet(JsonNode caps, String name) throws SpecException {
        return new LinkedHashSet<>(strings(caps, name, "process.capabilities." + name));
    }

    // small typed readers that name the field in their errors

    static JsonNode object(JsonNode parent, String name, String field) throws SpecException {
        JsonNode v = parent.get(name);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isObject()) {
            throw new SpecException(field + ": not an object");
        }
        return v;
    }

    static List<JsonNode> array(JsonNode parent, String name, String field) throws SpecException {
        JsonNode v = parent.get(name);
        if (v == null || v.isNull()) {
            return List.of();
        }
        if (!v.isArray()) {
            throw new SpecException(field + ": not an array");
        }
        List<JsonNode> out = new ArrayList<>();
        v.forEach(out::add);
        return out;
    }

    static List<String> strings(JsonNode parent, String name, String field) throws SpecException {
        List<String> out = new ArrayList<>();
        int i = 0;
        for (JsonNode s : array(parent, name, field)) {
            if (!s.isTextual()) {
                throw new SpecException(field + "[" + i + "]: not a string");
            }
            out.add(s.asText());
            i++;
        }
        return out;
    }

    static String text(JsonNode parent, String name, String field) throws SpecException {
        JsonNode v = parent.get(name);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isTextual()) {
            throw new SpecException(field + ": not a string");
        }
        return v.asText();
    }

    static boolean bool(JsonNode parent, String name, String field) throws SpecException {
        JsonNode v = parent.get(name);
        if (v == null || v.isNull()) {
            return false;
        }
        if (!v.isBoolean()) {
            throw new SpecException(field + ": not true or false");
        }
        return v.asBoolean();
    }

    static long number(JsonNode parent, String name, String field, long min, long max) throws SpecException {
        JsonNode v = parent.get(name);
        if (v == null || v.isNull()) {
            throw new SpecException(field + ": missing");
        }
        if (!v.isIntegralNumber() || !v.canConvertToLong() || v.asLong() < min || v.asLong() > max) {
            throw new SpecException(field + ": " + v + " is not a number in " + min + ".." + max);
        }
        return v.asLong();
    }

    private static long signed(JsonNode parent, String name, String field) throws SpecException {
        return number(parent, name, field, Long.MIN_VALUE, Long.MAX_VALUE);
    }

    /** An rlimit value: a uint64 in the spec; 2^64-1 (RLIM_INFINITY) arrives as -1. */
    private static long unsigned(JsonNode parent, String name, String field) throws SpecException {
        JsonNode v = parent.get(name);
        if (v == null || v.isNull()) {
            throw new SpecException(field + ": missing");
        }
        if (!v.isIntegralNumber() || v.bigIntegerValue().signum() < 0 || v.bigIntegerValue().bitLength() > 64) {
            throw new SpecException(field + ": " + v + " is not a number in 0..2^64-1");
        }
        return v.bigIntegerValue().longValue();
    }

    /** A limit in bytes; -1 (none) and 0 both mean none. */
    private static long limit(JsonNode parent, String name, String field) throws SpecException {
        if (!parent.has(name) || parent.get(name).isNull()) {
            return 0;
        }
        long v = signed(parent, name, field);
        if (v < -1) {
            throw new SpecException(field + ": " + v + " is not a number of bytes");
        }
        return Math.max(0, v);
    }

    private static void refuseNumber(JsonNode parent, String name, String field) throws SpecException {
        JsonNode v = parent.get(name);
        if (v != null && !v.isNull() && !(v.isNumber() && v.asLong() == 0)) {
            throw new SpecException(field + ": not supported");
        }
    }

    private static void refuseText(JsonNode parent, String name, String field, String why) throws SpecException {
        String v = text(parent, name, field);
        if (v != null && !v.isEmpty()) {
            throw new SpecException(field + ": " + v + ": " + why);
        }
    }

    private static String emptyToNull(String s) {
        return s == null || s.isEmpty() ? null : s;
    }
}
