package dev.rabbithole.stage4.runc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rabbithole.stage2.libcontainer.cgroups.Mountinfo;
import dev.rabbithole.stage2.libcontainer.cgroups.V1Manager;
import dev.rabbithole.stage3.runc.SpecException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code linux.resources} settings (config-linux.md "Control groups") that stage 2's cgroup managers leave
 * alone, as the control-file writes runc's {@code libcontainer/cgroups/fs} (v1) and {@code fs2} (v2) make:
 * <ul>
 *   <li>v1: {@code memory.reservation} to {@code memory.soft_limit_in_bytes} (bytes), {@code swappiness} to
 *       {@code memory.swappiness} (0..100), {@code disableOOMKiller} to {@code memory.oom_control},
 *       {@code kernel} to {@code memory.kmem.limit_in_bytes}, {@code kernelTCP} to
 *       {@code memory.kmem.tcp.limit_in_bytes} (bytes); {@code cpu.realtimePeriod} / {@code realtimeRuntime} to
 *       {@code cpu.rt_period_us} / {@code cpu.rt_runtime_us} (microseconds), {@code cpu.idle} to
 *       {@code cpu.idle}, {@code cpu.burst} to {@code cpu.cfs_burst_us} (microseconds); {@code blockIO} to
 *       {@code blkio.weight} (or {@code blkio.bfq.weight}), {@code blkio.leaf_weight}, {@code blkio.weight_device},
 *       {@code blkio.leaf_weight_device} and {@code blkio.throttle.{read,write}_{bps,iops}_device}
 *       ({@code MAJOR:MINOR VALUE}, bytes or operations per second); {@code hugepageLimits} to
 *       {@code hugetlb.SIZE.limit_in_bytes}; {@code network} to {@code net_cls.classid} and
 *       {@code net_prio.ifpriomap};</li>
 *   <li>v2: {@code memory.reservation} to {@code memory.low}, {@code cpu.idle}, {@code cpu.burst} to
 *       {@code cpu.max.burst}, {@code blockIO.weight} to {@code io.bfq.weight} (or {@code io.weight}, converted from
 *       10..1000 to 1..10000), throttles to {@code io.max}, {@code hugepageLimits} to {@code hugetlb.SIZE.max},
 *       {@code unified} as given.</li>
 * </ul>
 * A setting whose controller is not mounted, or whose control file the host's kernel does not have, is refused
 * at create with its field named ({@link #take}); a write the kernel refuses fails create with the field named.
 */
public final class CgroupExtras {

    /**
     * One control-file write.
     *
     * @param controller the v1 controller whose hierarchy holds the file ({@code ""} on v2)
     * @param file       the control file's name
     * @param value      what is written
     * @param field      the config.json field it comes from
     */
    public record Write(String controller, String file, String value, String field) {
    }

    /**
     * The host's cgroups.
     *
     * @param version     1 or 2
     * @param hierarchies v1: controller to its hierarchy's mount point; v2: {@code ""} to the unified mount point
     */
    public record Host(int version, Map<String, Path> hierarchies) {
        /** @return this host's cgroups, from {@code /proc/self/mountinfo} */
        public static Host current() {
            try {
                String mountinfo = Files.readString(Path.of("/proc/self/mountinfo"));
                Map<String, Path> v1 = V1Manager.hierarchies(Path.of("/"), mountinfo);
                if (!v1.isEmpty()) {
                    return new Host(1, v1);
                }
                for (Mountinfo.Entry e : Mountinfo.parse(mountinfo)) {
                    if (e.fsType().equals("cgroup2") && e.mountPoint().equals("/sys/fs/cgroup")) {
                        return new Host(2, Map.of("", Path.of(e.mountPoint())));
                    }
                }
            } catch (IOException e) {
                // no cgroups known: every setting is refused
            }
            return new Host(1, Map.of());
        }
    }

    /** No writes. */
    public static final CgroupExtras NONE = new CgroupExtras(List.of());

    private final List<Write> writes;

    private CgroupExtras(List<Write> writes) {
        this.writes = List.copyOf(writes);
    }

    /** @return the writes, in order */
    public List<Write> writes() {
        return writes;
    }

    /**
     * Takes the settings out of {@code linux.resources} (so that stage 3's converter, which refuses them, does not
     * see them) and checks that this host can apply each.
     *
     * @param r    the {@code linux.resources} object; the fields handled here are removed from it
     * @param host the host's cgroups
     * @return the writes to make once the container's cgroup exists
     * @throws SpecException a malformed value, or one the host cannot apply, named
     */
    static CgroupExtras take(ObjectNode r, Host host) throws SpecException {
        List<Write> w = new ArrayList<>();
        boolean v2 = host.version() == 2;
        if (r.get("memory") instanceof ObjectNode m) {
            long reservation = number(m, "reservation", "linux.resources.memory.reservation", -1);
            if (reservation != 0 && reservation != Long.MIN_VALUE) {
                w.add(v2 ? new Write("", "memory.low", reservation < 0 ? "max" : Long.toString(reservation),
                        "linux.resources.memory.reservation")
                        : new Write("memory", "memory.soft_limit_in_bytes", Long.toString(reservation),
                        "linux.resources.memory.reservation"));
            }
            long swappiness = number(m, "swappiness", "linux.resources.memory.swappiness", 0);
            if (swappiness != Long.MIN_VALUE) {
                if (swappiness > 100) {
                    throw new SpecException("linux.resources.memory.swappiness: " + swappiness + " is not in 0..100");
                }
                w.add(v1Only(v2, "memory", "memory.swappiness", Long.toString(swappiness),
                        "linux.resources.memory.swappiness"));
            }
            JsonNode oom = m.get("disableOOMKiller");
            if (oom != null && !oom.isNull()) {
                if (!oom.isBoolean()) {
                    throw new SpecException("linux.resources.memory.disableOOMKiller: not true or false");
                }
                if (oom.asBoolean()) {
                    w.add(v1Only(v2, "memory", "memory.oom_control", "1", "linux.resources.memory.disableOOMKiller"));
                }
            }
            long kernel = number(m, "kernel", "linux.resources.memory.kernel", -1);
            if (kernel != 0 && kernel != Long.MIN_VALUE) {
                w.add(v1Only(v2, "memory", "memory.kmem.limit_in_bytes", Long.toString(kernel),
                        "linux.resources.memory.kernel"));
            }
            long kernelTcp = number(m, "kernelTCP", "linux.resources.memory.kernelTCP", -1);
            if (kernelTcp != 0 && kernelTcp != Long.MIN_VALUE) {
                w.add(v1Only(v2, "memory", "memory.kmem.tcp.limit_in_bytes", Long.toString(kernelTcp),
                        "linux.resources.memory.kernelTCP"));
            }
            JsonNode hier = m.get("useHierarchy");
            if (hier != null && !hier.isNull()) {
                if (!hier.isBoolean()) {
                    throw new SpecException("linux.resources.memory.useHierarchy: not true or false");
                }
                w.add(v1Only(v2, "memory", "memory.use_hierarchy", hier.asBoolean() ? "1" : "0",
                        "linux.resources.memory.useHierarchy"));
            }
            JsonNode check = m.get("checkBeforeUpdate");
            if (check != null && check.asBoolean(false)) {
                throw new SpecException("linux.resources.memory.checkBeforeUpdate: not supported by this runtime");
            }
            for (String f : List.of("reservation", "swappiness", "disableOOMKiller", "kernel", "kernelTCP",
                    "useHierarchy", "checkBeforeUpdate")) {
                m.remove(f);
            }
        }
        if (r.get("cpu") instanceof ObjectNode c) {
            long period = number(c, "realtimePeriod", "linux.resources.cpu.realtimePeriod", 0);
            if (period > 0) {
                w.add(v1Only(v2, "cpu", "cpu.rt_period_us", Long.toString(period), "linux.resources.cpu.realtimePeriod"));
            }
            long runtime = number(c, "realtimeRuntime", "linux.resources.cpu.realtimeRuntime", -1);
            if (runtime != 0 && runtime != Long.MIN_VALUE) {
                w.add(v1Only(v2, "cpu", "cpu.rt_runtime_us", Long.toString(runtime),
                        "linux.resources.cpu.realtimeRuntime"));
            }
            long idle = number(c, "idle", "linux.resources.cpu.idle", 0);
            if (idle != Long.MIN_VALUE) {
                if (idle > 1) {
                    throw new SpecException("linux.resources.cpu.idle: " + idle + " is not 0 or 1");
                }
                w.add(new Write(v2 ? "" : "cpu", "cpu.idle", Long.toString(idle), "linux.resources.cpu.idle"));
            }
            long burst = number(c, "burst", "linux.resources.cpu.burst", 0);
            if (burst != Long.MIN_VALUE) {
                w.add(new Write(v2 ? "" : "cpu", v2 ? "cpu.max.burst" : "cpu.cfs_burst_us", Long.toString(burst),
                        "linux.resources.cpu.burst"));
            }
            for (String f : List.of("realtimePeriod", "realtimeRuntime", "idle", "burst")) {
                c.remove(f);
            }
        }
        if (r.get("blockIO") instanceof ObjectNode b) {
            blockIO(b, host, w);
            r.remove("blockIO");
        } else if (r.has("blockIO") && !r.get("blockIO").isNull()) {
            throw new SpecException("linux.resources.blockIO: not an object");
        }
        int i = 0;
        for (JsonNode h : array(r, "hugepageLimits", "linux.resources.hugepageLimits")) {
            String f = "linux.resources.hugepageLimits[" + i++ + "]";
            String size = h.path("pageSize").asText("");
            if (!size.matches("[0-9]+[KMG]B")) {
                throw new SpecException(f + ".pageSize: " + h.get("pageSize") + " is not a page size such as 2MB");
            }
            long limit = number(h, "limit", f + ".limit", 0);
            if (limit == Long.MIN_VALUE) {
                throw new SpecException(f + ".limit: missing");
            }
            w.add(new Write(v2 ? "" : "hugetlb", v2 ? "hugetlb." + size + ".max" : "hugetlb." + size + ".limit_in_bytes",
                    Long.toString(limit), f));
        }
        r.remove("hugepageLimits");
        if (r.get("network") instanceof ObjectNode n) {
            long classId = number(n, "classID", "linux.resources.network.classID", 0);
            if (classId != Long.MIN_VALUE) {
                w.add(v1Only(v2, "net_cls", "net_cls.classid", Long.toString(classId), "linux.resources.network.classID"));
            }
            int j = 0;
            for (JsonNode p : array(n, "priorities", "linux.resources.network.priorities")) {
                String f = "linux.resources.network.priorities[" + j++ + "]";
                String name = p.path("name").asText("");
                if (name.isEmpty() || name.contains(" ") || name.contains("\n")) {
                    throw new SpecException(f + ".name: " + p.get("name") + " is not an interface name");
                }
                long prio = number(p, "priority", f + ".priority", 0);
                w.add(v1Only(v2, "net_prio", "net_prio.ifpriomap", name + " " + Math.max(prio, 0), f));
            }
            r.remove("network");
        }
        if (Stage4SpecConverter.present(r.get("rdma"))) {
            throw new SpecException("linux.resources.rdma: the rdma controller is not supported by this runtime");
        }
        r.remove("rdma");
        if (r.get("unified") instanceof ObjectNode u) {
            if (!v2) {
                throw new SpecException("linux.resources.unified: needs cgroup v2; this host's cgroups are v1");
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = u.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                String f = "linux.resources.unified." + e.getKey();
                if (!e.getValue().isTextual()) {
                    throw new SpecException(f + ": not a string");
                }
                if (e.getKey().contains("/") || e.getKey().startsWith(".") || !e.getKey().contains(".")) {
                    throw new SpecException(f + ": not a cgroup control file name");
                }
                w.add(new Write("", e.getKey(), e.getValue().asText(), f));
            }
            r.remove("unified");
        }
        for (Write x : w) {
            check(host, x);
        }
        return new CgroupExtras(w);
    }

    private static void blockIO(ObjectNode b, Host host, List<Write> w) throws SpecException {
        boolean v2 = host.version() == 2;
        String ctl = v2 ? "" : "blkio";
        long weight = number(b, "weight", "linux.resources.blockIO.weight", 0);
        if (weight != Long.MIN_VALUE && weight != 0) {
            if (weight < 10 || weight > 1000) {
                throw new SpecException("linux.resources.blockIO.weight: " + weight + " is not in 10..1000");
            }
            String file = v2 ? firstExisting(host, "", "io.bfq.weight", "io.weight")
                    : firstExisting(host, "blkio", "blkio.weight", "blkio.bfq.weight");
            String value = file != null && file.equals("io.weight") ? Long.toString(1 + (weight - 10) * 9999 / 990)
                    : Long.toString(weight);
            w.add(new Write(ctl, file == null ? (v2 ? "io.weight" : "blkio.weight") : file, value,
                    "linux.resources.blockIO.weight"));
        }
        long leaf = number(b, "leafWeight", "linux.resources.blockIO.leafWeight", 0);
        if (leaf != Long.MIN_VALUE && leaf != 0) {
            w.add(v1Only(v2, "blkio", "blkio.leaf_weight", Long.toString(leaf), "linux.resources.blockIO.leafWeight"));
        }
        int i = 0;
        for (JsonNode d : array(b, "weightDevice", "linux.resources.blockIO.weightDevice")) {
            String f = "linux.resources.blockIO.weightDevice[" + i++ + "]";
            String dev = device(d, f);
            long wt = number(d, "weight", f + ".weight", 0);
            if (wt != Long.MIN_VALUE) {
                String file = v2 ? firstExisting(host, "", "io.bfq.weight", "io.weight")
                        : firstExisting(host, "blkio", "blkio.weight_device", "blkio.bfq.weight_device");
                w.add(new Write(ctl, file == null ? (v2 ? "io.weight" : "blkio.weight_device") : file,
                        dev + " " + wt, f + ".weight"));
            }
            long lw = number(d, "leafWeight", f + ".leafWeight", 0);
            if (lw != Long.MIN_VALUE) {
                w.add(v1Only(v2, "blkio", "blkio.leaf_weight_device", dev + " " + lw, f + ".leafWeight"));
            }
        }
        for (String[] t : new String[][]{{"throttleReadBpsDevice", "read_bps", "rbps"},
                {"throttleWriteBpsDevice", "write_bps", "wbps"}, {"throttleReadIOPSDevice", "read_iops", "riops"},
                {"throttleWriteIOPSDevice", "write_iops", "wiops"}}) {
            int j = 0;
            for (JsonNode d : array(b, t[0], "linux.resources.blockIO." + t[0])) {
                String f = "linux.resources.blockIO." + t[0] + "[" + j++ + "]";
                String dev = device(d, f);
                long rate = number(d, "rate", f + ".rate", 0);
                if (rate == Long.MIN_VALUE) {
                    throw new SpecException(f + ".rate: missing");
                }
                w.add(v2 ? new Write("", "io.max", dev + " " + t[2] + "=" + (rate == 0 ? "max" : Long.toString(rate)), f)
                        : new Write("blkio", "blkio.throttle." + t[1] + "_device", dev + " " + rate, f));
            }
        }
    }

    private static String device(JsonNode d, String f) throws SpecException {
        long major = number(d, "major", f + ".major", 0);
        long minor = number(d, "minor", f + ".minor", 0);
        if (major == Long.MIN_VALUE || minor == Long.MIN_VALUE) {
            throw new SpecException(f + ": major and minor are required");
        }
        return major + ":" + minor;
    }

    private static Write v1Only(boolean v2, String controller, String file, String value, String field)
            throws SpecException {
        if (v2) {
            throw new SpecException(field + ": has no cgroup v2 equivalent (this host's cgroups are v2)");
        }
        return new Write(controller, file, value, field);
    }

    private static String firstExisting(Host host, String controller, String... files) {
        Path dir = host.hierarchies().get(controller);
        for (String f : files) {
            if (dir != null && Files.exists(dir.resolve(f))) {
                return f;
            }
        }
        return null;
    }

    /** The controller must be mounted and have the control file (looked for at the hierarchy's root). */
    private static void check(Host host, Write x) throws SpecException {
        Path dir = host.hierarchies().get(x.controller());
        if (dir == null) {
            throw new SpecException(x.field() + ": the " + x.controller() + " cgroup controller is not mounted on this host");
        }
        if (!Files.exists(dir.resolve(x.file()))) {
            throw new SpecException(x.field() + ": this host's kernel has no " + x.file() + " (in " + dir + ")");
        }
    }

    /**
     * Writes every setting into the container's cgroup.
     *
     * @param host   the host's cgroups
     * @param cgroup the container's cgroup path, relative to each hierarchy's root
     * @throws IOException a write the kernel refused, with the field and the file
     */
    public void apply(Host host, String cgroup) throws IOException {
        String rel = cgroup.startsWith("/") ? cgroup.substring(1) : cgroup;
        for (Write x : writes) {
            Path file = host.hierarchies().get(x.controller()).resolve(rel).resolve(x.file());
            try {
                Files.writeString(file, x.value());
            } catch (IOException e) {
                throw new IOException(x.field() + ": cannot write " + x.value() + " to " + file + ": "
                        + (e.getMessage() == null ? e.toString() : e.getMessage()), e);
            }
        }
    }

    /** @return a number field, or {@link Long#MIN_VALUE} when absent or null */
    private static long number(JsonNode parent, String name, String field, long min) throws SpecException {
        JsonNode v = parent.get(name);
        if (v == null || v.isNull()) {
            return Long.MIN_VALUE;
        }
        if (!v.isIntegralNumber() || !v.canConvertToLong() || v.asLong() < min) {
            throw new SpecException(field + ": " + v + " is not a number from " + min);
        }
        return v.asLong();
    }

    private static List<JsonNode> array(JsonNode parent, String name, String field) throws SpecException {
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

    @Override
    public String toString() {
        Map<String, String> m = new LinkedHashMap<>();
        writes.forEach(x -> m.put(x.controller() + "/" + x.file(), x.value()));
        return m.toString();
    }
}
