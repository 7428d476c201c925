package dev.rabbithole.stage4.runc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rabbithole.stage2.libcontainer.configs.Device;
import dev.rabbithole.stage2.libcontainer.configs.SpecExtras;
import dev.rabbithole.stage2.libcontainer.system.MountFlags;
import dev.rabbithole.stage3.runc.RuncExtension;
import dev.rabbithole.stage3.runc.SpecConverter;
import dev.rabbithole.stage3.runc.SpecException;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Stage 4's reading of a bundle's config.json (runtime-spec 1.2, config.md and config-linux.md): stage 3's
 * {@link SpecConverter} plus the fields it refuses and runc 1.1 implements. Those fields are taken out of the
 * document before stage 3 sees it and done here:
 * <ul>
 *   <li>{@code domainname} (config.md "Domainname"), {@code linux.personality} (config-linux.md "Personality",
 *       domain {@code LINUX} or {@code LINUX32}), {@code linux.rootfsPropagation} (every propagation:
 *       shared, slave, private, unbindable and their recursive forms) and {@code linux.seccomp.flags}: carried
 *       to libcontainer's init as {@link SpecExtras};</li>
 *   <li>the cgroup settings stage 2's managers leave alone ({@code linux.resources.memory.reservation},
 *       {@code swappiness}, {@code disableOOMKiller}, {@code kernel}, {@code kernelTCP}, {@code cpu.realtime*},
 *       {@code cpu.idle}, {@code cpu.burst}, {@code blockIO}, {@code hugepageLimits}, {@code network},
 *       {@code unified}): written by {@link CgroupExtras} after create, each refused at create when the host
 *       lacks its controller or control file.</li>
 * </ul>
 * What cannot work here is refused before anything exists, with a {@link SpecException} whose message starts
 * with the field: user namespaces and id mappings (stage 3: a JVM cannot unshare CLONE_NEWUSER), AppArmor
 * profiles and SELinux labels (this runtime applies neither; the message says whether the host has the LSM at
 * all, from {@code /sys/kernel/security}), {@code linux.intelRdt}, {@code linux.timeOffsets},
 * {@code process.ioPriority}, {@code process.scheduler}, {@code process.execCPUAffinity}, personality flags.
 */
public final class Stage4SpecConverter implements RuncExtension {

    /** Where the kernel lists its active security modules (securityfs). */
    static final Path SECURITYFS = Path.of("/sys/kernel/security");

    private final Path securityfs;
    private final CgroupExtras.Host cgroupHost;
    private CgroupExtras pending;

    /** A converter for this host: its securityfs and its mounted cgroup hierarchies. */
    public Stage4SpecConverter() {
        this(SECURITYFS, CgroupExtras.Host.current());
    }

    /**
     * @param securityfs where the host's securityfs is (a test gives a fake one)
     * @param cgroupHost the host's cgroup hierarchies (a test gives a fake one)
     */
    public Stage4SpecConverter(Path securityfs, CgroupExtras.Host cgroupHost) {
        this.securityfs = securityfs;
        this.cgroupHost = cgroupHost;
    }

    /**
     * Converts a config: the stage-4 fields here, everything else by stage 3's {@link SpecConverter}.
     *
     * @return stage 3's result with {@link SpecExtras} in its config
     * @throws SpecException the first field that is malformed or cannot be done here, named
     */
    @Override
    public SpecConverter.Converted convert(String id, Path bundle, JsonNode spec, String ownCgroup,
                                           boolean apparmorOn) throws SpecException {
        if (spec == null || !spec.isObject()) {
            throw new SpecException("config.json: not a JSON object");
        }
        ObjectNode doc = ((ObjectNode) spec).deepCopy();
        refuseSecurityLabels(doc);
        JsonNode process = doc.get("process");
        if (process instanceof ObjectNode p) {
            for (String f : List.of("ioPriority", "scheduler", "execCPUAffinity")) {
                if (present(p.get(f))) {
                    throw new SpecException("process." + f + ": not supported by this runtime (runc 1.1 has no "
                            + f + " either)");
                }
            }
        }
        // tag::stage4-convert[]
        String domainname = text(doc, "domainname", "domainname");
        doc.remove("domainname");
        long personality = -1;
        long propagation = 0;
        int seccompFlags = 0;
        JsonNode linuxNode = doc.get("linux");
        CgroupExtras cgroups = CgroupExtras.NONE;
        List<Device> fifos = List.of();
        if (linuxNode instanceof ObjectNode linux) {
            refuse(linux, "intelRdt", "linux.intelRdt: Intel RDT (resctrl) is not supported by this runtime");
            refuse(linux, "timeOffsets", "linux.timeOffsets: time namespaces are not supported by this runtime");
            personality = personality(linux.get("personality"));
            linux.remove("personality");
            propagation = propagation(text(linux, "rootfsPropagation", "linux.rootfsPropagation"));
            linux.remove("rootfsPropagation");
            if (linux.get("seccomp") instanceof ObjectNode seccomp) {
                seccompFlags = seccompFlags(seccomp.get("flags"));
                seccomp.remove("flags");
            }
            fifos = fifos(linux);
            if (linux.get("resources") instanceof ObjectNode resources) {
                cgroups = CgroupExtras.take(resources, cgroupHost);
            }
            if (domainname != null && !domainname.isEmpty() && !hasNamespace(linux, "uts")) {
                throw new SpecException("domainname: cannot set a domainname without a private UTS namespace");
            }
        }
        SpecConverter.Converted c = SpecConverter.convert(id, bundle, doc, ownCgroup, apparmorOn);
        SpecExtras extras = new SpecExtras(domainname == null || domainname.isEmpty() ? null : domainname,
                personality, propagation, seccompFlags, systemMountOrder(doc.get("mounts")));
        // end::stage4-convert[]
        if (seccompFlags != 0 && c.config().seccomp() == null) {
            throw new SpecException("linux.seccomp.flags: given without a filter");
        }
        pending = cgroups;
        var config = c.config().withExtras(extras.isNone() ? null : extras);
        if (!fifos.isEmpty()) {
            config = config.withMoreDevices(fifos);
        }
        return new SpecConverter.Converted(config, c.terminal(),
                c.oomScoreAdj(), c.umask(), c.annotations(), c.ociVersion(), c.sysctl(), c.hooks());
    }

    /**
     * Writes the cgroup settings stage 2's managers do not know into the container's cgroup.
     *
     * @throws SpecException a control file the kernel refused, named with the field it comes from
     */
    @Override
    public void created(SpecConverter.Converted converted, long pid) throws SpecException {
        if (pending != null && converted.config().cgroup() != null) {
            try {
                pending.apply(cgroupHost, converted.config().cgroup().path());
            } catch (java.io.IOException e) {
                throw new SpecException(e.getMessage());
            }
        }
    }

    /** @return the cgroup settings of the last {@link #convert}, for tests */
    CgroupExtras pendingCgroups() {
        return pending;
    }

    /**
     * {@code process.apparmorProfile}, {@code process.selinuxLabel}, {@code linux.mountLabel}: this runtime
     * applies no LSM label, so each is refused; the message says whether the host has the module at all.
     */
    // tag::stage4-lsm-refusal[]
    private void refuseSecurityLabels(ObjectNode doc) throws SpecException {
        if (doc.get("process") instanceof ObjectNode p) {
            String apparmor = text(p, "apparmorProfile", "process.apparmorProfile");
            if (apparmor != null && !apparmor.isEmpty()) {
                throw new SpecException("process.apparmorProfile: " + apparmor + ": " + lsm("apparmor", "AppArmor"));
            }
            String selinux = text(p, "selinuxLabel", "process.selinuxLabel");
            if (selinux != null && !selinux.isEmpty()) {
                throw new SpecException("process.selinuxLabel: " + selinux + ": " + lsm("selinux", "SELinux"));
            }
        }
        if (doc.get("linux") instanceof ObjectNode l) {
            String label = text(l, "mountLabel", "linux.mountLabel");
            if (label != null && !label.isEmpty()) {
                throw new SpecException("linux.mountLabel: " + label + ": " + lsm("selinux", "SELinux"));
            }
        }
    }

    private String lsm(String dir, String name) {
        return java.nio.file.Files.isDirectory(securityfs.resolve(dir))
                ? name + " is enabled on this host, but this runtime cannot apply " + name + " labels"
                : "this host has no " + name + " (no " + securityfs.resolve(dir) + "), so the label cannot be applied";
    }
    // end::stage4-lsm-refusal[]

    /**
     * {@code linux.personality} (config-linux.md "Personality"): {@code domain} {@code LINUX} (0x0000) or
     * {@code LINUX32} (0x0008, {@code PER_LINUX32} of linux/personality.h); {@code flags} are refused.
     *
     * @return the persona for personality(2), or -1 when absent
     */
    static long personality(JsonNode p) throws SpecException {
        if (!present(p)) {
            return -1;
        }
        if (!p.isObject()) {
            throw new SpecException("linux.personality: not an object");
        }
        String domain = text(p, "domain", "linux.personality.domain");
        JsonNode flags = p.get("flags");
        if (flags != null && !flags.isNull() && !(flags.isArray() && flags.isEmpty())) {
            throw new SpecException("linux.personality.flags: " + flags + ": personality flags are not supported");
        }
        if (domain == null) {
            throw new SpecException("linux.personality.domain: missing");
        }
        return switch (domain) {
            case "LINUX" -> 0x0000;
            case "LINUX32" -> 0x0008;
            default -> throw new SpecException("linux.personality.domain: " + domain
                    + ": unknown execution domain (LINUX or LINUX32)");
        };
    }

    /**
     * {@code linux.rootfsPropagation} (config-linux.md "Rootfs Mount Propagation").
     *
     * @return the {@code MS_*} propagation flags for {@code /}, 0 when absent
     */
    static long propagation(String p) throws SpecException {
        if (p == null || p.isEmpty()) {
            return 0;
        }
        Map<String, Long> all = Map.of(
                "shared", MountFlags.MS_SHARED, "rshared", MountFlags.MS_SHARED | MountFlags.MS_REC,
                "slave", MountFlags.MS_SLAVE, "rslave", MountFlags.MS_SLAVE | MountFlags.MS_REC,
                "private", MountFlags.MS_PRIVATE, "rprivate", MountFlags.MS_PRIVATE | MountFlags.MS_REC,
                "unbindable", MountFlags.MS_UNBINDABLE, "runbindable", MountFlags.MS_UNBINDABLE | MountFlags.MS_REC);
        Long flags = all.get(p);
        if (flags == null) {
            throw new SpecException("linux.rootfsPropagation: " + p + ": unknown propagation (shared, slave, private, "
                    + "unbindable, or one of them with an r)");
        }
        return flags;
    }

    /**
     * {@code linux.seccomp.flags} (config-linux.md "Seccomp"): the filter flags of seccomp(2).
     *
     * @return the {@code SECCOMP_FILTER_FLAG_*} bits
     */
    static int seccompFlags(JsonNode flags) throws SpecException {
        if (!present(flags)) {
            return 0;
        }
        if (!flags.isArray()) {
            throw new SpecException("linux.seccomp.flags: not an array");
        }
        int bits = 0;
        int i = 0;
        for (JsonNode f : flags) {
            String field = "linux.seccomp.flags[" + i++ + "]";
            if (!f.isTextual()) {
                throw new SpecException(field + ": not a string");
            }
            bits |= switch (f.asText()) {
                case "SECCOMP_FILTER_FLAG_TSYNC" -> 1;
                case "SECCOMP_FILTER_FLAG_LOG" -> 2;
                case "SECCOMP_FILTER_FLAG_SPEC_ALLOW" -> 4;
                case "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV" -> throw new SpecException(field
                        + ": SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV only applies to seccomp notify, which is not supported");
                default -> throw new SpecException(field + ": " + f.asText() + ": unknown seccomp filter flag");
            };
        }
        return bits;
    }

    /** libcontainer's own mounts: destination to the group it is made with and the type it is made as. */
    private static final Map<String, String[]> SYSTEM_MOUNTS = Map.of("/proc", new String[]{"/proc", "proc"},
            "/sys", new String[]{"/sys", "sysfs"}, "/dev", new String[]{"/dev", "tmpfs"},
            "/dev/pts", new String[]{"/dev", "devpts"}, "/dev/shm", new String[]{"/dev", "tmpfs"},
            "/dev/mqueue", new String[]{"/dev", "mqueue"});

    /**
     * The order of libcontainer's own mount groups ({@code /proc}, {@code /sys}, {@code /dev} with devpts, shm and
     * mqueue) as {@code mounts} lists them (config.md "Mounts": in the listed order).
     *
     * @return the groups in the spec's order when it differs from libcontainer's; null otherwise
     */
    static List<String> systemMountOrder(JsonNode mounts) {
        java.util.LinkedHashSet<String> order = new java.util.LinkedHashSet<>();
        if (mounts != null && mounts.isArray()) {
            for (JsonNode m : mounts) {
                String dest = m.path("destination").asText("");
                String[] own = SYSTEM_MOUNTS.get(dest.length() > 1 && dest.endsWith("/")
                        ? dest.substring(0, dest.length() - 1) : dest);
                if (own != null && own[1].equals(m.path("type").asText(""))) {
                    order.add(own[0]);
                }
            }
        }
        order.addAll(List.of("/proc", "/sys", "/dev"));
        List<String> list = List.copyOf(order);
        return list.equals(List.of("/proc", "/sys", "/dev")) ? null : list;
    }

    /**
     * The FIFOs of {@code linux.devices} (config-linux.md "Devices", type {@code p}), taken out of the array (stage 3
     * refuses them): made with mknod(2) {@code S_IFIFO}; no devices-cgroup rule concerns them.
     */
    static List<Device> fifos(ObjectNode linux) throws SpecException {
        JsonNode devices = linux.get("devices");
        if (devices == null || !devices.isArray()) {
            return List.of();
        }
        List<Device> out = new java.util.ArrayList<>();
        for (int i = devices.size() - 1; i >= 0; i--) {
            JsonNode d = devices.get(i);
            if (!d.isObject() || !"p".equals(d.path("type").asText(null))) {
                continue;
            }
            String f = "linux.devices[" + i + "]";
            String path = text(d, "path", f + ".path");
            int mode = d.has("fileMode") ? d.get("fileMode").asInt(0666) : 0666;
            if (mode < 0 || mode > 07777) {
                throw new SpecException(f + ".fileMode: " + mode + " is not in 0..07777");
            }
            Device fifo = new Device(path, 'p', 0, 0, mode, d.path("uid").asInt(0), d.path("gid").asInt(0));
            try {
                fifo.validate();
            } catch (IllegalArgumentException e) {
                throw new SpecException(f + ": " + e.getMessage());
            }
            out.add(0, fifo);
            ((com.fasterxml.jackson.databind.node.ArrayNode) devices).remove(i);
        }
        return out;
    }

    private static boolean hasNamespace(ObjectNode linux, String type) {
        JsonNode ns = linux.get("namespaces");
        if (ns == null || !ns.isArray()) {
            return false;
        }
        for (JsonNode n : ns) {
            if (n.isObject() && type.equals(n.path("type").asText(null))) {
                return true;
            }
        }
        return false;
    }

    private static void refuse(ObjectNode parent, String name, String message) throws SpecException {
        JsonNode v = parent.get(name);
        if (present(v)) {
            throw new SpecException(message);
        }
    }

    /** @return whether a field is there with content (not absent, null, an empty object or array) */
    static boolean present(JsonNode v) {
        return v != null && !v.isNull() && !v.isMissingNode() && !((v.isObject() || v.isArray()) && v.isEmpty());
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
}
