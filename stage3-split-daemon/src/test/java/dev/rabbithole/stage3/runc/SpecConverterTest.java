package dev.rabbithole.stage3.runc;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rabbithole.stage2.libcontainer.configs.ContainerConfig;
import dev.rabbithole.stage2.libcontainer.configs.DeviceRule;
import dev.rabbithole.stage2.libcontainer.configs.Mount;
import dev.rabbithole.stage2.libcontainer.configs.NamespaceType;
import dev.rabbithole.stage2.libcontainer.configs.Rlimit;
import dev.rabbithole.stage2.libcontainer.configs.Seccomp;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link SpecConverter}: runc spec's default config field by field, then each refusal naming its field. */
class SpecConverterTest {
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path bundle;
    ObjectNode spec;

    @BeforeEach
    void defaultSpec() throws Exception {
        Files.createDirectories(bundle.resolve("rootfs"));
        spec = SpecCommand.defaultSpec();
    }

    SpecConverter.Converted convert() throws SpecException {
        return SpecConverter.convert("c1", bundle, spec, "/", false);
    }

    ObjectNode process() {
        return (ObjectNode) spec.get("process");
    }

    ObjectNode linux() {
        return (ObjectNode) spec.get("linux");
    }

    ObjectNode resources() {
        return (ObjectNode) linux().get("resources");
    }

    @Test
    void runcSpecDefaultsConvertFieldByField() throws Exception {
        SpecConverter.Converted out = convert();
        ContainerConfig c = out.config();
        assertThat(out.terminal()).isTrue();
        assertThat(out.ociVersion()).isEqualTo("1.0.2-dev");
        assertThat(out.oomScoreAdj()).isNull();
        assertThat(out.umask()).isNull();
        assertThat(c.id()).isEqualTo("c1");
        assertThat(c.rootfs()).isEqualTo(bundle.resolve("rootfs"));
        assertThat(c.readonlyRootfs()).isTrue();
        assertThat(c.hostname()).isEqualTo("runc");
        assertThat(c.process().args()).containsExactly("sh");
        assertThat(c.process().env()).containsExactly(
                "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm");
        assertThat(c.process().cwd()).isEqualTo("/");
        assertThat(c.process().uid()).isZero();
        assertThat(c.process().gid()).isZero();
        assertThat(c.process().parentDeathSignal()).as("the init outlives runc create").isZero();
        assertThat(c.capabilities().bounding()).containsExactly("CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE");
        assertThat(c.capabilities().effective()).containsExactly("CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE");
        assertThat(c.capabilities().permitted()).containsExactly("CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE");
        assertThat(c.capabilities().inheritable()).isEmpty();
        assertThat(c.capabilities().ambient()).as("not inheritable: the kernel cannot raise them").isEmpty();
        assertThat(c.rlimits()).containsExactly(new Rlimit("RLIMIT_NOFILE", 1024, 1024));
        assertThat(c.noNewPrivileges()).isTrue();
        assertThat(c.namespaces()).containsExactlyInAnyOrder(NamespaceType.PID, NamespaceType.NET, NamespaceType.IPC,
                NamespaceType.UTS, NamespaceType.MOUNT);
        // /proc, /dev, /dev/pts, /dev/shm, /dev/mqueue, /sys: libcontainer's own; the cgroup mount is passed on,
        // its source naming the container's cgroup (what libcontainer's cgroup mount shows)
        assertThat(c.mounts()).containsExactly(new Mount("c1", "/sys/fs/cgroup", "cgroup",
                List.of("nosuid", "noexec", "nodev", "relatime", "ro")));
        assertThat(c.maskedPaths()).contains("/proc/kcore", "/sys/firmware").hasSize(10);
        assertThat(c.readonlyPaths()).containsExactly("/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
                "/proc/sysrq-trigger");
        assertThat(c.seccomp()).isNull();
        assertThat(c.cgroup().path()).as("no cgroupsPath: the ID under runc's own cgroup").isEqualTo("c1");
        assertThat(c.cgroup().resources().memoryBytes()).isZero();
        assertThat(c.cgroup().resources().devices().get(0)).isEqualTo(DeviceRule.all(false));
        assertThat(c.cgroup().resources().devices()).containsSubsequence(DeviceRule.all(false),
                new DeviceRule('c', 1, 3, "rwm", true), new DeviceRule('c', 136, DeviceRule.WILDCARD, "rwm", true));
        assertThat(c.devices()).isEmpty();
    }

    @Test
    void userProcessResourcesSeccompAndMountsAsDockerWritesThem() throws Exception {
        process().put("terminal", false);
        ObjectNode user = (ObjectNode) process().get("user");
        user.put("uid", 1000).put("gid", 100).put("umask", 0027);
        user.putArray("additionalGids").add(10).add(20);
        process().put("oomScoreAdj", 500);
        ObjectNode caps = (ObjectNode) process().get("capabilities");
        caps.putArray("inheritable").add("CAP_KILL");
        Files.createDirectories(bundle.resolve("data"));
        ObjectNode bind = ((ArrayNode) spec.get("mounts")).addObject();
        bind.put("destination", "/data").put("type", "bind").put("source", "data");
        bind.putArray("options").add("rbind").add("ro");
        ObjectNode shm = ((ArrayNode) spec.get("mounts")).addObject();
        shm.put("destination", "/dev/shm").put("type", "bind").put("source", bundle.resolve("data").toString());
        shm.putArray("options").add("rbind");
        linux().put("cgroupsPath", "/default/c1");
        ObjectNode r = resources();
        r.putObject("memory").put("limit", 64L << 20).put("swap", 128L << 20);
        r.putObject("cpu").put("shares", 512).put("quota", 50000).put("period", 100000).put("cpus", "0");
        r.putObject("pids").put("limit", 32);
        r.putObject("blockIO");
        ObjectNode fuse = linux().putArray("devices").addObject();
        fuse.put("path", "/dev/fuse").put("type", "c").put("major", 10).put("minor", 229).put("fileMode", 0666);
        ObjectNode sc = linux().putObject("seccomp");
        sc.put("defaultAction", "SCMP_ACT_ALLOW");
        sc.putArray("architectures").add("SCMP_ARCH_X86_64");
        ObjectNode rule = sc.putArray("syscalls").addObject();
        rule.putArray("names").add("mkdir").add("mkdirat");
        rule.put("action", "SCMP_ACT_ERRNO");
        ObjectNode personality = ((ArrayNode) sc.get("syscalls")).addObject();
        personality.putArray("names").add("personality");
        personality.put("action", "SCMP_ACT_ERRNO").put("errnoRet", 38);
        personality.putArray("args").addObject().put("index", 0).put("value", 8).put("op", "SCMP_CMP_NE");
        spec.putObject("annotations").put("org.example/k", "v");

        SpecConverter.Converted out = convert();
        ContainerConfig c = out.config();
        assertThat(out.terminal()).isFalse();
        assertThat(out.umask()).isEqualTo(0027);
        assertThat(out.oomScoreAdj()).isEqualTo(500);
        assertThat(out.annotations()).containsEntry("org.example/k", "v");
        assertThat(c.process().uid()).isEqualTo(1000);
        assertThat(c.process().gid()).isEqualTo(100);
        assertThat(c.process().additionalGids()).containsExactly(10, 20);
        assertThat(c.capabilities().ambient()).containsExactly("CAP_KILL");
        assertThat(c.mounts()).contains(new Mount(bundle.resolve("data").toString(), "/data", "bind", List.of("rbind", "ro")));
        assertThat(c.mounts()).as("a bind mount on /dev/shm goes on top of libcontainer's")
                .anyMatch(m -> m.destination().equals("/dev/shm") && m.type().equals("bind"));
        assertThat(c.cgroup().path()).isEqualTo("default/c1");
        var res = c.cgroup().resources();
        assertThat(res.memoryBytes()).isEqualTo(64L << 20);
        assertThat(res.memorySwapBytes()).isEqualTo(128L << 20);
        assertThat(res.cpuShares()).isEqualTo(512);
        assertThat(res.cpuQuotaMicros()).isEqualTo(50000);
        assertThat(res.cpuPeriodMicros()).isEqualTo(100000);
        assertThat(res.cpusetCpus()).isEqualTo("0");
        assertThat(res.pidsLimit()).isEqualTo(32);
        assertThat(res.devices()).contains(new DeviceRule('c', 10, 229, "rwm", true));
        assertThat(c.devices()).singleElement().satisfies(d -> {
            assertThat(d.path()).isEqualTo("/dev/fuse");
            assertThat(d.major()).isEqualTo(10);
            assertThat(d.minor()).isEqualTo(229);
            assertThat(d.fileMode()).isEqualTo(0666);
        });
        Seccomp s = c.seccomp();
        assertThat(s.defaultAction()).isEqualTo(Seccomp.Action.ALLOW);
        assertThat(s.architectures()).containsExactly("SCMP_ARCH_X86_64");
        assertThat(s.rules()).hasSize(2);
        assertThat(s.rules().get(0)).isEqualTo(new Seccomp.Rule(List.of("mkdir", "mkdirat"), Seccomp.Action.ERRNO, 1, List.of()));
        assertThat(s.rules().get(1).errno()).isEqualTo(38);
        assertThat(s.rules().get(1).args()).containsExactly(new Seccomp.ArgCondition(0, 8, 0, Seccomp.Op.NE));
    }

    @Test
    void relativeCgroupsPathIsBelowRuncsOwnCgroup() throws Exception {
        linux().put("cgroupsPath", "mine/c1");
        assertThat(SpecConverter.convert("c1", bundle, spec, "/user.slice", false).config().cgroup().path())
                .isEqualTo("user.slice/mine/c1");
        assertThat(Hosts.ownCgroup(List.of("9:name=systemd:/", "5:cpu,memory:/user.slice", "0::/x"))).isEqualTo("/user.slice");
        assertThat(Hosts.ownCgroup(List.of("0::/init.scope"))).isEqualTo("/init.scope");
    }

    @Test
    void absoluteRootPathAndEmptyOptionalSectionsAreAccepted() throws Exception {
        ((ObjectNode) spec.get("root")).put("path", bundle.resolve("rootfs").toString());
        spec.putObject("hooks").putArray("prestart");
        linux().putObject("sysctl");
        linux().put("rootfsPropagation", "rprivate");
        process().put("apparmorProfile", "docker-default"); // the host does not enforce AppArmor here
        assertThat(convert().config().rootfs()).isEqualTo(bundle.resolve("rootfs"));
    }

    void refused(Consumer<ObjectNode> edit, String message) {
        edit.accept(spec);
        assertThatThrownBy(this::convert).isInstanceOf(SpecException.class).hasMessageContaining(message);
    }

    @Test
    void userNamespaceAndIdMappingsAreRefused() {
        refused(s -> ((ArrayNode) linux().get("namespaces")).addObject().put("type", "user"),
                "linux.namespaces[5].type: user namespaces are not supported");
    }

    @Test
    void uidMappingsAreRefused() {
        refused(s -> linux().putArray("uidMappings").addObject().put("containerID", 0).put("hostID", 1000).put("size", 1),
                "linux.uidMappings: user namespaces are not supported");
    }

    int namespaceIndex(String type) {
        ArrayNode ns = (ArrayNode) linux().get("namespaces");
        for (int k = 0; k < ns.size(); k++) {
            if (type.equals(ns.get(k).get("type").asText())) {
                return k;
            }
        }
        throw new AssertionError("no " + type + " namespace in the default spec");
    }

    @Test
    void aNetworkNamespaceIsJoinedByPath() throws Exception {
        ArrayNode ns = (ArrayNode) linux().get("namespaces");
        ((ObjectNode) ns.get(namespaceIndex("network"))).put("path", "/proc/self/ns/net");
        SpecConverter.Converted out = convert();
        assertThat(out.config().namespacePaths()).containsExactly(
                java.util.Map.entry(dev.rabbithole.stage2.libcontainer.configs.NamespaceType.NET, "/proc/self/ns/net"));
        assertThat(out.config().namespaces()).contains(dev.rabbithole.stage2.libcontainer.configs.NamespaceType.NET);
    }

    @Test
    void joiningAMountNamespaceOrAMissingPathIsRefusedNamingTheField() {
        int mnt = namespaceIndex("mount");
        refused(s -> ((ObjectNode) linux().get("namespaces").get(mnt)).put("path", "/proc/1/ns/mnt"),
                "linux.namespaces[" + mnt + "].path: /proc/1/ns/mnt: joining an existing mount namespace is not supported");
    }

    @Test
    void aNamespacePathThatIsNotThereIsRefused() {
        int uts = namespaceIndex("uts");
        refused(s -> ((ObjectNode) linux().get("namespaces").get(uts)).put("path", "/no/such/ns"),
                "linux.namespaces[" + uts + "].path: /no/such/ns: no such namespace file");
    }

    @Test
    void hooksTheRuntimeRunsAreKept() throws Exception {
        ObjectNode hooks = spec.putObject("hooks");
        ObjectNode setkey = hooks.putArray("prestart").addObject().put("path", "/proc/1/exe").put("timeout", 5);
        setkey.putArray("args").add("libnetwork-setkey").add("-exec-root=/var/run/docker").add("c1").add("abc");
        hooks.putArray("poststop").addObject().put("path", "/bin/true");
        Hooks h = convert().hooks();
        assertThat(h.prestart()).containsExactly(new Hooks.Hook("/proc/1/exe",
                List.of("libnetwork-setkey", "-exec-root=/var/run/docker", "c1", "abc"), null, 5));
        assertThat(h.poststop()).containsExactly(new Hooks.Hook("/bin/true", List.of(), null, 0));
        assertThat(h.createRuntime()).isEmpty();
    }

    @Test
    void hooksRunInsideTheContainerAreRefused() {
        refused(s -> s.putObject("hooks").putArray("createContainer").addObject().put("path", "/bin/true"),
                "hooks.createContainer: hooks run inside the container are not supported");
    }

    @Test
    void aHookWithARelativePathIsRefused() {
        refused(s -> s.putObject("hooks").putArray("poststart").addObject().put("path", "true"),
                "hooks.poststart[0].path: true is not an absolute path");
    }

    @Test
    void namespacedSysctlsAreKeptAsDocker2010WritesThem() throws Exception {
        linux().putObject("sysctl").put("net.ipv4.ip_unprivileged_port_start", "0")
                .put("net.ipv4.ping_group_range", "0 2147483647").put("kernel.shmmax", "65536");
        assertThat(convert().sysctl()).containsEntry("net.ipv4.ip_unprivileged_port_start", "0")
                .containsEntry("net.ipv4.ping_group_range", "0 2147483647").containsEntry("kernel.shmmax", "65536");
    }

    @Test
    void aSysctlOfNoNamespaceIsRefused() {
        refused(s -> linux().putObject("sysctl").put("vm.swappiness", "1"),
                "linux.sysctl: vm.swappiness: sysctl is not in a separate kernel namespace");
    }

    @Test
    void aNetSysctlWithTheHostsNetworkIsRefused() {
        refused(s -> {
            ((ArrayNode) linux().get("namespaces")).remove(1);
            linux().putObject("sysctl").put("net.ipv4.ip_forward", "1");
        }, "linux.sysctl: net.ipv4.ip_forward: the container shares the host's net namespace");
    }

    @Test
    void blkioWeightIsRefused() {
        refused(s -> resources().putObject("blockIO").put("weight", 300),
                "linux.resources.blockIO.weight: blkio limits are not supported");
    }

    @Test
    void hugepageLimitsAreRefused() {
        refused(s -> resources().putArray("hugepageLimits").addObject().put("pageSize", "2MB").put("limit", 1),
                "linux.resources.hugepageLimits: not supported");
    }

    @Test
    void systemdCgroupsPathIsRefused() {
        refused(s -> linux().put("cgroupsPath", "system.slice:docker:c1"),
                "linux.cgroupsPath: system.slice:docker:c1: a systemd slice:prefix:name path needs the systemd cgroup driver");
    }

    @Test
    void seccompNotifyIsRefused() {
        refused(s -> linux().putObject("seccomp").put("defaultAction", "SCMP_ACT_NOTIFY"),
                "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY is not supported");
    }

    @Test
    void unknownSeccompActionIsRefused() {
        refused(s -> {
            ObjectNode sc = linux().putObject("seccomp").put("defaultAction", "SCMP_ACT_ALLOW");
            ObjectNode r = sc.putArray("syscalls").addObject();
            r.putArray("names").add("mkdir");
            r.put("action", "SCMP_ACT_FROB");
        }, "linux.seccomp.syscalls[0].action: SCMP_ACT_FROB: unknown seccomp action");
    }

    @Test
    void emptyArgsAreRefused() {
        refused(s -> process().putArray("args"), "process.args: must not be empty");
    }

    @Test
    void argsOfTheWrongTypeAreRefused() {
        refused(s -> process().put("args", "sh"), "process.args: not an array");
    }

    @Test
    void relativeCwdIsRefused() {
        refused(s -> process().put("cwd", "tmp"), "process.cwd: tmp is not an absolute path");
    }

    @Test
    void missingRootfsIsRefused() {
        refused(s -> ((ObjectNode) s.get("root")).put("path", "nope"), "root.path: " + bundle.resolve("nope") + ": no such directory");
    }

    @Test
    void rootfsThroughASymlinkIsRefusedAsRuncDoes() throws Exception {
        Files.createSymbolicLink(bundle.resolve("link"), bundle.resolve("rootfs"));
        refused(s -> ((ObjectNode) s.get("root")).put("path", "link"), "not an absolute path, or a symlink");
    }

    @Test
    void missingProcessIsRefused() {
        refused(s -> s.remove("process"), "process: missing");
    }

    @Test
    void malformedRlimitIsRefused() {
        refused(s -> ((ObjectNode) process().get("rlimits").get(0)).put("soft", "many"),
                "process.rlimits[0].soft: \"many\" is not a number");
    }

    @Test
    void hostnameWithoutUtsNamespaceIsRefused() {
        refused(s -> ((ArrayNode) linux().get("namespaces")).remove(3),
                "hostname: cannot set a hostname without a private UTS namespace");
    }

    @Test
    void sharedRootfsPropagationIsRefused() {
        refused(s -> linux().put("rootfsPropagation", "rshared"),
                "linux.rootfsPropagation: rshared: only private and rprivate are supported");
    }

    @Test
    void bindMountOfAMissingSourceIsRefused() {
        refused(s -> {
            ObjectNode m = ((ArrayNode) s.get("mounts")).addObject();
            m.put("destination", "/x").put("type", "bind").put("source", "/nonexistent-rh");
        }, "mounts[7].source: /nonexistent-rh: no such file or directory");
    }

    @Test
    void apparmorProfileIsRefusedWhenTheHostEnforcesAppArmor() {
        process().put("apparmorProfile", "docker-default");
        assertThatThrownBy(() -> SpecConverter.convert("c1", bundle, spec, "/", true))
                .hasMessageContaining("process.apparmorProfile: docker-default: AppArmor profiles are not supported");
    }

    @Test
    void tabIndentedDefaultSpecMatchesGoLayout() {
        String text = GoJson.indent(JSON.createObjectNode().put("a", 1).set("b", JSON.createArrayNode()), "\t");
        assertThat(text).isEqualTo("{\n\t\"a\": 1,\n\t\"b\": []\n}");
        assertThat(RuncState.goTime("2026-12-01T18:00:00.120Z")).isEqualTo("2026-12-01T18:00:00.12Z");
        assertThat(RuncState.goTime("2026-12-01T18:00:00Z")).isEqualTo("2026-12-01T18:00:00Z");
        assertThat(ListCommand.tabwriter(List.of(new String[] {"ID", "PID", "X"}, new String[] {"a-long-container-id", "1", "y"})))
                .isEqualTo("ID                    PID         X\na-long-container-id   1           y\n");
    }
}
