package dev.rabbithole.stage4.runc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rabbithole.stage2.libcontainer.configs.SpecExtras;
import dev.rabbithole.stage2.libcontainer.system.MountFlags;
import dev.rabbithole.stage3.runc.SpecConverter;
import dev.rabbithole.stage3.runc.SpecException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link Stage4SpecConverter}: the runtime-spec 1.2 fields stage 3 refused, converted (domainname, personality,
 * rootfs propagation, seccomp flags, the cgroup settings of {@link CgroupExtras} on a fake v1 host), and every
 * refusal naming its field.
 */
class Stage4SpecConverterTest {
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path bundle;
    @TempDir
    Path cgroupfs;
    @TempDir
    Path securityfs;
    ObjectNode spec;
    CgroupExtras.Host host;

    @BeforeEach
    void minimalSpec() throws Exception {
        Files.createDirectories(bundle.resolve("rootfs"));
        spec = (ObjectNode) JSON.readTree("""
                {"ociVersion": "1.2.0", "root": {"path": "rootfs"},
                 "process": {"args": ["sh"], "cwd": "/", "user": {"uid": 0, "gid": 0}},
                 "hostname": "h",
                 "linux": {"namespaces": [{"type": "pid"}, {"type": "mount"}, {"type": "uts"}, {"type": "ipc"}],
                           "resources": {}}}
                """);
        // a v1 host with the control files this test expects, hugetlb and net_cls not mounted
        for (String f : List.of("memory/memory.soft_limit_in_bytes", "memory/memory.swappiness",
                "memory/memory.oom_control", "memory/memory.kmem.tcp.limit_in_bytes", "cpu/cpu.rt_period_us",
                "cpu/cpu.rt_runtime_us", "cpu/cpu.idle", "cpu/cpu.cfs_burst_us", "blkio/blkio.bfq.weight",
                "blkio/blkio.bfq.weight_device", "blkio/blkio.throttle.read_bps_device",
                "blkio/blkio.throttle.write_iops_device")) {
            Files.createDirectories(cgroupfs.resolve(f).getParent());
            Files.writeString(cgroupfs.resolve(f), "");
        }
        host = new CgroupExtras.Host(1, Map.of("memory", cgroupfs.resolve("memory"), "cpu", cgroupfs.resolve("cpu"),
                "blkio", cgroupfs.resolve("blkio")));
    }

    Stage4SpecConverter converter() {
        return new Stage4SpecConverter(securityfs, host);
    }

    SpecConverter.Converted convert() throws SpecException {
        return converter().convert("c1", bundle, spec, "/", false);
    }

    ObjectNode linux() {
        return (ObjectNode) spec.get("linux");
    }

    ObjectNode resources() {
        return (ObjectNode) linux().get("resources");
    }

    void refused(Consumer<ObjectNode> edit, String message) {
        edit.accept(spec);
        assertThatThrownBy(this::convert).isInstanceOf(SpecException.class).hasMessageStartingWith(message);
    }

    @Test
    void withoutStage4FieldsTheConfigIsStage3s() throws Exception {
        SpecConverter.Converted out = convert();
        assertThat(out.config().extras()).isNull();
        assertThat(out.config()).isEqualTo(SpecConverter.convert("c1", bundle, spec, "/", false).config());
    }

    @Test
    void domainnamePersonalityPropagationAndSeccompFlagsReachTheInit() throws Exception {
        spec.put("domainname", "example.org");
        linux().putObject("personality").put("domain", "LINUX32");
        linux().put("rootfsPropagation", "rshared");
        ObjectNode seccomp = linux().putObject("seccomp").put("defaultAction", "SCMP_ACT_ALLOW");
        seccomp.putArray("flags").add("SECCOMP_FILTER_FLAG_LOG").add("SECCOMP_FILTER_FLAG_SPEC_ALLOW");
        SpecExtras x = convert().config().extras();
        assertThat(x).isEqualTo(new SpecExtras("example.org", 0x0008, MountFlags.MS_SHARED | MountFlags.MS_REC, 2 | 4));
        assertThat(spec.get("domainname").asText()).as("the caller's document is left as it was")
                .isEqualTo("example.org");
    }

    @Test
    void libcontainersOwnMountsFollowTheSpecsOrder() throws Exception {
        assertThat(convert().config().extras()).as("no mounts: libcontainer's order").isNull();
        // runtime-tools' and runc spec's order: /sys after the /dev group
        spec.set("mounts", JSON.readTree("""
                [{"destination": "/proc", "type": "proc", "source": "proc"},
                 {"destination": "/dev", "type": "tmpfs", "source": "tmpfs"},
                 {"destination": "/dev/pts", "type": "devpts", "source": "devpts"},
                 {"destination": "/sys", "type": "sysfs", "source": "sysfs"}]
                """));
        assertThat(convert().config().extras().systemMountOrder()).containsExactly("/proc", "/dev", "/sys");
        assertThat(Stage4SpecConverter.systemMountOrder(JSON.readTree(
                "[{\"destination\": \"/sys\", \"type\": \"sysfs\"}, {\"destination\": \"/proc\", \"type\": \"proc\"}]")))
                .containsExactly("/sys", "/proc", "/dev");
        assertThat(Stage4SpecConverter.systemMountOrder(JSON.readTree(
                "[{\"destination\": \"/proc\", \"type\": \"proc\"}, {\"destination\": \"/sys\", \"type\": \"sysfs\"}]")))
                .as("libcontainer's own order").isNull();
    }

    @Test
    void fifosOfLinuxDevicesAreMadeTooAndTheOthersStayStage3s() throws Exception {
        linux().set("devices", JSON.readTree("""
                [{"path": "/dev/fifo", "type": "p", "fileMode": 384},
                 {"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229}]
                """));
        assertThat(convert().config().devices()).extracting(d -> d.path() + " " + d.type() + " " + d.fileMode())
                .containsExactly("/dev/fuse c 438", "/dev/fifo p 384");
        assertThat(linux().get("devices")).as("the caller's document is left as it was").hasSize(2);
    }

    @Test
    void stage3StillRefusesWhatStage4Does() {
        spec.put("domainname", "example.org");
        assertThatThrownBy(() -> SpecConverter.convert("c1", bundle, spec, "/", false))
                .hasMessageStartingWith("domainname:");
    }

    @Test
    void everyRootfsPropagation() throws Exception {
        Map<String, Long> expected = Map.of("private", MountFlags.MS_PRIVATE,
                "rprivate", MountFlags.MS_PRIVATE | MountFlags.MS_REC, "slave", MountFlags.MS_SLAVE,
                "rslave", MountFlags.MS_SLAVE | MountFlags.MS_REC, "shared", MountFlags.MS_SHARED,
                "rshared", MountFlags.MS_SHARED | MountFlags.MS_REC, "unbindable", MountFlags.MS_UNBINDABLE,
                "runbindable", MountFlags.MS_UNBINDABLE | MountFlags.MS_REC);
        for (Map.Entry<String, Long> e : expected.entrySet()) {
            linux().put("rootfsPropagation", e.getKey());
            assertThat(convert().config().extras().rootfsPropagation()).as(e.getKey()).isEqualTo(e.getValue());
        }
        assertThat(Stage4SpecConverter.personality(JSON.readTree("{\"domain\": \"LINUX\"}"))).isZero();
    }

    @Test
    void cgroupSettingsStage2LeavesAloneBecomeControlFileWrites() throws Exception {
        ObjectNode memory = resources().putObject("memory");
        memory.put("limit", 64L << 20).put("reservation", 32L << 20).put("swappiness", 10)
                .put("disableOOMKiller", true).put("kernelTCP", 1L << 20);
        resources().putObject("cpu").put("shares", 512).put("realtimePeriod", 1000000).put("realtimeRuntime", 950000)
                .put("idle", 1).put("burst", 1000);
        ObjectNode blkio = resources().putObject("blockIO").put("weight", 300);
        blkio.putArray("weightDevice").addObject().put("major", 8).put("minor", 0).put("weight", 500);
        blkio.putArray("throttleReadBpsDevice").addObject().put("major", 8).put("minor", 0).put("rate", 1048576);
        blkio.putArray("throttleWriteIOPSDevice").addObject().put("major", 8).put("minor", 0).put("rate", 100);
        Stage4SpecConverter c = converter();
        SpecConverter.Converted out = c.convert("c1", bundle, spec, "/", false);
        assertThat(out.config().cgroup().resources().memoryBytes()).as("stage 3's part stays stage 3's")
                .isEqualTo(64L << 20);
        assertThat(out.config().cgroup().resources().cpuShares()).isEqualTo(512);
        assertThat(c.pendingCgroups().writes()).extracting(w -> w.controller() + "/" + w.file() + "=" + w.value())
                .containsExactly("memory/memory.soft_limit_in_bytes=33554432", "memory/memory.swappiness=10",
                        "memory/memory.oom_control=1", "memory/memory.kmem.tcp.limit_in_bytes=1048576",
                        "cpu/cpu.rt_period_us=1000000", "cpu/cpu.rt_runtime_us=950000", "cpu/cpu.idle=1",
                        "cpu/cpu.cfs_burst_us=1000", "blkio/blkio.bfq.weight=300",
                        "blkio/blkio.bfq.weight_device=8:0 500", "blkio/blkio.throttle.read_bps_device=8:0 1048576",
                        "blkio/blkio.throttle.write_iops_device=8:0 100");
        for (String h : List.of("memory", "cpu", "blkio")) {
            Files.createDirectories(cgroupfs.resolve(h).resolve("c1"));
        }
        c.created(out, 1);
        assertThat(Files.readString(cgroupfs.resolve("memory/c1/memory.swappiness"))).isEqualTo("10");
        assertThat(Files.readString(cgroupfs.resolve("blkio/c1/blkio.throttle.write_iops_device"))).isEqualTo("8:0 100");
    }

    @Test
    void aControlFileTheKernelRefusesFailsCreateNamingTheField() throws Exception {
        resources().putObject("memory").put("swappiness", 10);
        Stage4SpecConverter c = converter();
        SpecConverter.Converted out = c.convert("c1", bundle, spec, "/", false);
        // no c1 directory: the write fails as a refused write would
        assertThatThrownBy(() -> c.created(out, 1)).isInstanceOf(SpecException.class)
                .hasMessageStartingWith("linux.resources.memory.swappiness: cannot write 10 to ");
    }

    @Test
    void refusalsNameTheirField() throws Exception {
        refused(s -> ((ObjectNode) s.get("process")).put("apparmorProfile", "docker-default"),
                "process.apparmorProfile: docker-default: this host has no AppArmor");
        minimalSpec();
        Files.createDirectories(securityfs.resolve("apparmor"));
        refused(s -> ((ObjectNode) s.get("process")).put("apparmorProfile", "docker-default"),
                "process.apparmorProfile: docker-default: AppArmor is enabled on this host, but this runtime cannot");
        minimalSpec();
        refused(s -> ((ObjectNode) s.get("process")).put("selinuxLabel", "system_u:system_r:container_t:s0"),
                "process.selinuxLabel: system_u:system_r:container_t:s0: this host has no SELinux");
        minimalSpec();
        refused(s -> linux().put("mountLabel", "system_u:object_r:container_file_t:s0"), "linux.mountLabel: ");
        minimalSpec();
        refused(s -> linux().putObject("intelRdt").put("closID", "x"), "linux.intelRdt: ");
        minimalSpec();
        refused(s -> linux().putObject("timeOffsets").putObject("monotonic").put("secs", 1), "linux.timeOffsets: ");
        minimalSpec();
        refused(s -> ((ObjectNode) s.get("process")).putObject("ioPriority").put("class", "IOPRIO_CLASS_IDLE"),
                "process.ioPriority: ");
        minimalSpec();
        refused(s -> ((ObjectNode) s.get("process")).putObject("scheduler").put("policy", "SCHED_IDLE"),
                "process.scheduler: ");
        minimalSpec();
        refused(s -> linux().putObject("personality").put("domain", "LINUX32").putArray("flags").add("x"),
                "linux.personality.flags: ");
        minimalSpec();
        refused(s -> linux().putObject("personality").put("domain", "BSD"), "linux.personality.domain: BSD: ");
        minimalSpec();
        refused(s -> linux().put("rootfsPropagation", "everywhere"), "linux.rootfsPropagation: everywhere: ");
        minimalSpec();
        refused(s -> linux().putObject("seccomp").put("defaultAction", "SCMP_ACT_ALLOW").putArray("flags").add("X"),
                "linux.seccomp.flags[0]: X: unknown seccomp filter flag");
        minimalSpec();
        refused(s -> linux().putObject("seccomp").putArray("flags").add("SECCOMP_FILTER_FLAG_LOG"),
                "linux.seccomp.defaultAction: missing");
        minimalSpec();
        refused(s -> {
            s.put("domainname", "d");
            ((com.fasterxml.jackson.databind.node.ArrayNode) linux().get("namespaces")).remove(2);
        }, "domainname: cannot set a domainname without a private UTS namespace");
        minimalSpec();
        refused(s -> resources().putArray("hugepageLimits").addObject().put("pageSize", "2MB").put("limit", 1 << 21),
                "linux.resources.hugepageLimits[0]: the hugetlb cgroup controller is not mounted on this host");
        minimalSpec();
        refused(s -> resources().putArray("hugepageLimits").addObject().put("pageSize", "huge").put("limit", 1),
                "linux.resources.hugepageLimits[0].pageSize: ");
        minimalSpec();
        refused(s -> resources().putObject("network").put("classID", 1), "linux.resources.network.classID: the "
                + "net_cls cgroup controller is not mounted on this host");
        minimalSpec();
        refused(s -> resources().putObject("unified").put("memory.high", "1G"),
                "linux.resources.unified: needs cgroup v2; this host's cgroups are v1");
        minimalSpec();
        refused(s -> resources().putObject("memory").put("swappiness", 101), "linux.resources.memory.swappiness: 101");
        minimalSpec();
        refused(s -> resources().putObject("memory").put("kernel", 1L << 20),
                "linux.resources.memory.kernel: this host's kernel has no memory.kmem.limit_in_bytes");
        minimalSpec();
        refused(s -> resources().putObject("blockIO").put("leafWeight", 100),
                "linux.resources.blockIO.leafWeight: this host's kernel has no blkio.leaf_weight");
        minimalSpec();
        refused(s -> resources().putObject("rdma").putObject("mlx5_1").put("hcaHandles", 1), "linux.resources.rdma: ");
        minimalSpec();
        refused(s -> ((com.fasterxml.jackson.databind.node.ArrayNode) linux().get("namespaces")).addObject()
                .put("type", "user"), "linux.namespaces[4].type: user namespaces are not supported");
        minimalSpec();
        refused(s -> linux().putArray("uidMappings").addObject().put("containerID", 0).put("hostID", 1000)
                .put("size", 1), "linux.uidMappings: user namespaces are not supported");
        minimalSpec();
        refused(s -> ((com.fasterxml.jackson.databind.node.ArrayNode) linux().get("namespaces")).addObject()
                .put("type", "time"), "linux.namespaces[4].type: time: ");
    }

    @Test
    void featuresDescribeWhatIsImplemented() {
        JsonNode f = Stage4Features.document();
        assertThat(f.get("ociVersionMin").asText()).isEqualTo("1.0.0");
        assertThat(f.get("ociVersionMax").asText()).isEqualTo("1.2.0");
        assertThat(f.get("hooks")).extracting(JsonNode::asText).containsExactly("prestart", "createRuntime",
                "createContainer", "startContainer", "poststart", "poststop");
        assertThat(f.get("linux").get("namespaces")).extracting(JsonNode::asText)
                .containsExactly("cgroup", "ipc", "mount", "network", "pid", "uts");
        assertThat(f.get("linux").get("capabilities")).extracting(JsonNode::asText).contains("CAP_SYS_ADMIN", "CAP_KILL");
        assertThat(f.get("linux").get("seccomp").get("supportedFlags")).extracting(JsonNode::asText)
                .containsExactly("SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW");
        assertThat(f.get("linux").get("apparmor").get("enabled").asBoolean()).isFalse();
        assertThat(f.get("linux").get("selinux").get("enabled").asBoolean()).isFalse();
        assertThat(f.get("linux").get("cgroup").get("systemd").asBoolean()).isFalse();
        assertThat(f.get("mountOptions")).extracting(JsonNode::asText).contains("rbind", "rshared", "ro", "nosuid");
        assertThat(f.get("annotations").get("org.opencontainers.runc.checkpoint.enabled").asText()).isEqualTo("false");
    }

    @Test
    void stage4sContainersHaveARootOfTheirOwnUnlessOneIsGiven() {
        assertThat(Stage4Runc.withRoot(new String[] {"list"})).containsExactly("--root", Stage4Runc.DEFAULT_ROOT, "list");
        assertThat(Stage4Runc.withRoot(new String[] {"--log", "l", "state", "x"}))
                .containsExactly("--root", Stage4Runc.DEFAULT_ROOT, "--log", "l", "state", "x");
        assertThat(Stage4Runc.withRoot(new String[] {"--root", "/r", "list"})).containsExactly("--root", "/r", "list");
        assertThat(Stage4Runc.withRoot(new String[] {"--root=/r", "list"})).containsExactly("--root=/r", "list");
        // a --root after the command is the command's own argument, not the global option
        assertThat(Stage4Runc.withRoot(new String[] {"exec", "x", "--root"})).startsWith("--root", Stage4Runc.DEFAULT_ROOT);
    }

    @Test
    void theCommandWordComesAfterGlobalOptions() {
        assertThat(Stage4Runc.command(new String[]{"--root", "/r", "--log", "l", "--debug", "features"}))
                .isEqualTo("features");
        assertThat(Stage4Runc.command(new String[]{"--root", "features", "create", "x"})).isEqualTo("create");
        assertThat(Stage4Runc.command(new String[]{"--debug"})).isNull();
    }
}
