package dev.rabbithole.stage2.libcontainer.cgroups;

import dev.rabbithole.stage2.libcontainer.cgroups.devices.DeviceFilter;
import dev.rabbithole.stage2.libcontainer.configs.Cgroup;
import dev.rabbithole.stage2.libcontainer.configs.DeviceRule;
import dev.rabbithole.stage2.libcontainer.system.RecordingSyscalls;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** V1 and V2 managers against a fake cgroupfs laid out in a temp dir, and mountinfo parsing. */
class CgroupFakeFsTest {
    /** A hybrid host like the one the project is developed on: v1 controllers plus an empty cgroup2 mount. */
    static final String HYBRID = """
            22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw
            31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
            32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime shared:9 - cgroup cgroup rw,cpu,cpuacct
            34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
            35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
            36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices
            37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer
            38 31 0:35 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio
            39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
            40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd
            41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
            """;
    static final String UNIFIED = """
            22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw
            30 22 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
            """;
    static final Cgroup.Resources LIMITS =
            new Cgroup.Resources(64L << 20, 128L << 20, 512, 50_000, 100_000, "0", "0", 32);

    @TempDir
    Path root;

    static void files(Path dir, String... nameValue) throws IOException {
        Files.createDirectories(dir);
        for (int i = 0; i < nameValue.length; i += 2) {
            Files.writeString(dir.resolve(nameValue[i]), nameValue[i + 1]);
        }
    }

    static String read(Path p) throws IOException {
        return Files.readString(p).strip();
    }

    @Test
    void mountinfoLinesAreParsed() {
        List<Mountinfo.Entry> entries = Mountinfo.parse(HYBRID + "50 22 0:40 / /mnt/with\\040space rw - tmpfs none rw\n");
        assertThat(entries).hasSize(12);
        Mountinfo.Entry cpu = entries.get(2);
        assertThat(cpu.mountPoint()).isEqualTo("/sys/fs/cgroup/cpu,cpuacct");
        assertThat(cpu.fsType()).isEqualTo("cgroup");
        assertThat(cpu.superOptions()).contains("cpu", "cpuacct");
        assertThat(cpu.root()).isEqualTo("/");
        assertThat(entries.get(0).mountPoint()).isEqualTo("/");
        assertThat(entries.get(11).mountPoint()).isEqualTo("/mnt/with space");
    }

    @Test
    void hybridHostGetsV1AndCoMountedControllersShareADirectory() {
        CgroupManager m = Cgroups.detect(new Cgroup("rabbithole/c1", Cgroup.Resources.NONE), root, HYBRID);
        assertThat(m).isInstanceOf(V1Manager.class);
        assertThat(m.version()).isEqualTo(1);
        assertThat(m.paths()).containsKeys("cpu", "cpuacct", "cpuset", "memory", "pids", "devices", "freezer", "blkio")
                .doesNotContainKey("systemd")
                // the named hierarchy too, as runc's fs driver: the container is shown its own cgroup there
                .containsEntry("name=systemd", root.resolve("sys/fs/cgroup/systemd/rabbithole/c1"));
        assertThat(m.paths().get("cpu")).isEqualTo(root.resolve("sys/fs/cgroup/cpu,cpuacct/rabbithole/c1"))
                .isEqualTo(m.paths().get("cpuacct"));
    }

    @Test
    void unifiedHostGetsV2AndNoCgroupMountIsAnError() {
        CgroupManager m = Cgroups.detect(new Cgroup("/rabbithole/c1", Cgroup.Resources.NONE), root, UNIFIED);
        assertThat(m).isInstanceOf(V2Manager.class);
        assertThat(m.paths()).containsEntry("unified", root.resolve("sys/fs/cgroup/rabbithole/c1"));
        assertThatThrownBy(() -> Cgroups.detect(new Cgroup("x", Cgroup.Resources.NONE), root,
                "22 1 8:1 / / rw - ext4 /dev/sda1 rw\n")).isInstanceOf(CgroupException.class);
    }

    /** What the kernel puts in a new v1 cgroup directory (only what the manager touches). */
    private void v1Kernel(Path cg, boolean memsw) throws IOException {
        files(cg.resolve("memory/" + "rabbithole/c1"), "cgroup.procs", "", "memory.limit_in_bytes", "9223372036854771712");
        if (memsw) {
            files(cg.resolve("memory/rabbithole/c1"), "memory.memsw.limit_in_bytes", "9223372036854771712");
        }
        files(cg.resolve("cpu,cpuacct/rabbithole/c1"), "cgroup.procs", "", "cpu.shares", "1024",
                "cpu.cfs_quota_us", "-1", "cpu.cfs_period_us", "100000");
        files(cg.resolve("cpuset"), "cpuset.cpus", "0-1", "cpuset.mems", "0");
        files(cg.resolve("cpuset/rabbithole"), "cpuset.cpus", "", "cpuset.mems", "");
        files(cg.resolve("cpuset/rabbithole/c1"), "cgroup.procs", "", "cpuset.cpus", "", "cpuset.mems", "");
        files(cg.resolve("pids/rabbithole/c1"), "cgroup.procs", "", "pids.max", "max");
        for (String c : List.of("devices", "freezer", "blkio", "systemd")) {
            files(cg.resolve(c + "/rabbithole/c1"), "cgroup.procs", "");
        }
    }

    @Test
    void v1ApplyJoinsEveryHierarchyAndCopiesTheParentsCpuset() throws IOException {
        Path cg = root.resolve("sys/fs/cgroup");
        v1Kernel(cg, true);
        CgroupManager m = Cgroups.detect(new Cgroup("rabbithole/c1", Cgroup.Resources.NONE), root, HYBRID);
        m.apply(4242);
        for (Path dir : m.paths().values()) {
            assertThat(read(dir.resolve("cgroup.procs"))).as(dir.toString()).isEqualTo("4242");
        }
        assertThat(read(cg.resolve("cpuset/rabbithole/cpuset.cpus"))).isEqualTo("0-1");
        assertThat(read(cg.resolve("cpuset/rabbithole/cpuset.mems"))).isEqualTo("0");
        assertThat(read(cg.resolve("cpuset/rabbithole/c1/cpuset.cpus"))).isEqualTo("0-1");
        assertThat(read(cg.resolve("cpuset/rabbithole/c1/cpuset.mems"))).isEqualTo("0");
    }

    @Test
    void v1SetWritesEachLimitToItsFile() throws IOException {
        Path cg = root.resolve("sys/fs/cgroup");
        v1Kernel(cg, true);
        CgroupManager m = Cgroups.detect(new Cgroup("rabbithole/c1", Cgroup.Resources.NONE), root, HYBRID);
        m.set(LIMITS);
        Path mem = cg.resolve("memory/rabbithole/c1");
        assertThat(read(mem.resolve("memory.limit_in_bytes"))).isEqualTo("67108864");
        assertThat(read(mem.resolve("memory.memsw.limit_in_bytes"))).isEqualTo("134217728");
        Path cpu = cg.resolve("cpu,cpuacct/rabbithole/c1");
        assertThat(read(cpu.resolve("cpu.shares"))).isEqualTo("512");
        assertThat(read(cpu.resolve("cpu.cfs_quota_us"))).isEqualTo("50000");
        assertThat(read(cpu.resolve("cpu.cfs_period_us"))).isEqualTo("100000");
        assertThat(read(cg.resolve("cpuset/rabbithole/c1/cpuset.cpus"))).isEqualTo("0");
        assertThat(read(cg.resolve("cpuset/rabbithole/c1/cpuset.mems"))).isEqualTo("0");
        assertThat(read(cg.resolve("pids/rabbithole/c1/pids.max"))).isEqualTo("32");

        m.set(new Cgroup.Resources(0, 0, 0, 0, 0, null, null, -1));
        assertThat(read(cg.resolve("pids/rabbithole/c1/pids.max"))).isEqualTo("max");
        assertThat(read(mem.resolve("memory.limit_in_bytes"))).as("0 leaves it").isEqualTo("67108864");
    }

    @Test
    void v1WithoutSwapAccountingDoesNotWriteMemsw() throws IOException {
        Path cg = root.resolve("sys/fs/cgroup");
        v1Kernel(cg, false);
        CgroupManager m = Cgroups.detect(new Cgroup("rabbithole/c1", Cgroup.Resources.NONE), root, HYBRID);
        m.set(LIMITS);
        Path mem = cg.resolve("memory/rabbithole/c1");
        assertThat(read(mem.resolve("memory.limit_in_bytes"))).isEqualTo("67108864");
        assertThat(mem.resolve("memory.memsw.limit_in_bytes")).doesNotExist();
    }

    @Test
    void v1StatsReadTheCounters() throws IOException {
        Path cg = root.resolve("sys/fs/cgroup");
        v1Kernel(cg, false);
        files(cg.resolve("memory/rabbithole/c1"), "memory.usage_in_bytes", "1234567\n");
        files(cg.resolve("cpu,cpuacct/rabbithole/c1"), "cpuacct.usage", "987654321\n");
        files(cg.resolve("pids/rabbithole/c1"), "pids.current", "3\n");
        CgroupStats s = Cgroups.detect(new Cgroup("rabbithole/c1", Cgroup.Resources.NONE), root, HYBRID).stats();
        assertThat(s).isEqualTo(new CgroupStats(1234567, 9223372036854771712L, 987654321, 3));
    }

    @Test
    void aFailedWriteNamesTheFileAndTheValue() throws IOException {
        Path cg = root.resolve("sys/fs/cgroup");
        v1Kernel(cg, false);
        Path limit = cg.resolve("memory/rabbithole/c1/memory.limit_in_bytes");
        Files.delete(limit);
        Files.createDirectory(limit);
        CgroupManager m = Cgroups.detect(new Cgroup("rabbithole/c1", Cgroup.Resources.NONE), root, HYBRID);
        assertThatThrownBy(() -> m.set(new Cgroup.Resources(5, 0, 0, 0, 0, null, null, 0)))
                .isInstanceOf(CgroupException.class)
                .hasMessageStartingWith("cannot set memory.limit_in_bytes to 5: ");
        assertThatCode(() -> m.set(Cgroup.Resources.NONE)).as("nothing to write").doesNotThrowAnyException();
        // a controller the host lacks
        V1Manager noPids = new V1Manager(new Cgroup("rabbithole/c1", Cgroup.Resources.NONE),
                java.util.Map.of("memory", cg.resolve("memory")));
        assertThatThrownBy(() -> noPids.set(new Cgroup.Resources(0, 0, 0, 0, 0, null, null, 10)))
                .hasMessageContaining("pids cgroup controller is not mounted");
    }

    /** What the kernel shows in a v2 tree: the root offers everything, "rabbithole" what the root enabled. */
    private Path v2Kernel() throws IOException {
        Path cg = root.resolve("sys/fs/cgroup");
        files(cg, "cgroup.controllers", "cpuset cpu io memory hugetlb pids rdma misc\n", "cgroup.subtree_control", "");
        files(cg.resolve("rabbithole"), "cgroup.controllers", "cpuset cpu memory pids\n", "cgroup.subtree_control", "");
        files(cg.resolve("rabbithole/c1"), "cgroup.controllers", "", "cgroup.subtree_control", "", "cgroup.procs", "",
                "memory.max", "max", "memory.swap.max", "max", "cpu.weight", "100", "cpu.max", "max 100000",
                "cpuset.cpus", "", "cpuset.mems", "", "pids.max", "max");
        return cg;
    }

    @Test
    void v1DeviceRulesAreWrittenInOrderDenyAllFirst() throws IOException {
        Path cg = root.resolve("sys/fs/cgroup");
        v1Kernel(cg, true);
        RecordingSyscalls sys = new RecordingSyscalls();
        CgroupManager m = Cgroups.detect(new Cgroup("rabbithole/c1", Cgroup.Resources.NONE), root, HYBRID, sys);
        m.set(new Cgroup.Resources(0, 0, 0, 0, 0, null, null, 0, List.of(DeviceRule.all(false),
                new DeviceRule('c', DeviceRule.WILDCARD, DeviceRule.WILDCARD, "m", true),
                new DeviceRule('c', 136, DeviceRule.WILDCARD, "rwm", true),
                new DeviceRule('c', 10, 229, "rw", false))));
        String dir = cg.resolve("devices/rabbithole/c1").toString();
        assertThat(sys.signatures()).containsExactly(
                "write(" + dir + "/devices.deny, a)",
                "write(" + dir + "/devices.allow, c *:* m)",
                "write(" + dir + "/devices.allow, c 136:* rwm)",
                "write(" + dir + "/devices.deny, c 10:229 rw)");
        RecordingSyscalls none = new RecordingSyscalls();
        Cgroups.detect(new Cgroup("rabbithole/c1", Cgroup.Resources.NONE), root, HYBRID, none).set(LIMITS);
        assertThat(none.signatures()).noneMatch(c -> c.contains("devices."));
    }

    @Test
    void v2DeviceRulesBecomeAProgramAttachedToTheCgroupDirectory() throws IOException {
        Path cg = v2Kernel().resolve("rabbithole/c1");
        RecordingSyscalls sys = new RecordingSyscalls();
        CgroupManager m = Cgroups.detect(new Cgroup("rabbithole/c1", Cgroup.Resources.NONE), root, UNIFIED, sys);
        List<DeviceRule> rules = List.of(DeviceRule.all(false), new DeviceRule('c', 1, 3, "rwm", true));
        m.set(new Cgroup.Resources(0, 0, 0, 0, 0, null, null, 0, rules));
        int insns = DeviceFilter.compile(rules).size();
        assertThat(sys.signatures()).containsExactly(
                "bpf(BPF_PROG_LOAD, {prog_type=BPF_PROG_TYPE_CGROUP_DEVICE, insn_cnt=" + insns + ", license=\"Apache\"})",
                "open(\"" + cg + "\", O_RDONLY|O_DIRECTORY|O_CLOEXEC)",
                "bpf(BPF_PROG_ATTACH, {target_fd=101, attach_bpf_fd=100, attach_type=BPF_CGROUP_DEVICE, "
                        + "attach_flags=BPF_F_ALLOW_MULTI})",
                "close(101)",
                "close(100)");
        assertThat(sys.calls().get(0).reason()).contains("cgroup v2 has no devices.allow");
    }

    @Test
    void v2ApplyEnablesControllersInEachAncestorAndJoins() throws IOException {
        Path cg = v2Kernel();
        CgroupManager m = Cgroups.detect(new Cgroup("rabbithole/c1", Cgroup.Resources.NONE), root, UNIFIED);
        m.apply(4242);
        assertThat(read(cg.resolve("cgroup.subtree_control"))).isEqualTo("+cpu +cpuset +memory +pids");
        assertThat(read(cg.resolve("rabbithole/cgroup.subtree_control"))).isEqualTo("+cpu +cpuset +memory +pids");
        assertThat(read(cg.resolve("rabbithole/c1/cgroup.subtree_control"))).as("leaf: no internal processes")
                .isEmpty();
        assertThat(read(cg.resolve("rabbithole/c1/cgroup.procs"))).isEqualTo("4242");
    }

    @Test
    void v2EnablesOnlyWhatTheParentOffers() throws IOException {
        Path cg = v2Kernel();
        Files.writeString(cg.resolve("rabbithole/cgroup.controllers"), "memory pids\n");
        Cgroups.detect(new Cgroup("rabbithole/c1", Cgroup.Resources.NONE), root, UNIFIED).apply(1);
        assertThat(read(cg.resolve("rabbithole/cgroup.subtree_control"))).isEqualTo("+memory +pids");
    }

    @Test
    void v2SetConvertsToTheUnifiedFiles() throws IOException {
        Path cg = v2Kernel().resolve("rabbithole/c1");
        CgroupManager m = Cgroups.detect(new Cgroup("rabbithole/c1", Cgroup.Resources.NONE), root, UNIFIED);
        m.set(LIMITS);
        assertThat(read(cg.resolve("memory.max"))).isEqualTo("67108864");
        assertThat(read(cg.resolve("memory.swap.max"))).as("memory+swap minus memory").isEqualTo("67108864");
        assertThat(read(cg.resolve("cpu.weight"))).isEqualTo(Long.toString(1 + ((512 - 2) * 9999) / 262142));
        assertThat(read(cg.resolve("cpu.max"))).isEqualTo("50000 100000");
        assertThat(read(cg.resolve("cpuset.cpus"))).isEqualTo("0");
        assertThat(read(cg.resolve("pids.max"))).isEqualTo("32");

        m.set(new Cgroup.Resources(-1, -1, 0, 0, 200_000, null, null, -1));
        assertThat(read(cg.resolve("memory.max"))).isEqualTo("max");
        assertThat(read(cg.resolve("memory.swap.max"))).isEqualTo("max");
        assertThat(read(cg.resolve("cpu.max"))).isEqualTo("max 200000");
        assertThat(read(cg.resolve("pids.max"))).isEqualTo("max");
    }

    @Test
    void oomKillCountIsReadFromOomControlOnV1() throws IOException {
        Path cg = root.resolve("sys/fs/cgroup");
        v1Kernel(cg, false);
        Cgroup c1 = new Cgroup("rabbithole/c1", Cgroup.Resources.NONE);
        assertThat(Cgroups.detect(c1, root, HYBRID).oomKillCount()).isZero();        // no file: no OOM kill
        files(cg.resolve("memory/rabbithole/c1"), "memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n");
        assertThat(Cgroups.detect(c1, root, HYBRID).oomKillCount()).isEqualTo(2);
    }

    @Test
    void oomKillCountIsReadFromMemoryEventsOnV2() throws IOException {
        Path cg = v2Kernel().resolve("rabbithole/c1");
        files(cg, "memory.events", "low 0\nhigh 0\nmax 7\noom 1\noom_kill 1\noom_group_kill 0\n");
        assertThat(Cgroups.detect(new Cgroup("rabbithole/c1", Cgroup.Resources.NONE), root, UNIFIED).oomKillCount())
                .isEqualTo(1);
    }

    @Test
    void sharesConvertToWeightAsRuncDoes() {
        assertThat(V2Manager.sharesToWeight(2)).isEqualTo(1);
        assertThat(V2Manager.sharesToWeight(1024)).isEqualTo(39);
        assertThat(V2Manager.sharesToWeight(262144)).isEqualTo(10000);
        assertThat(V2Manager.sharesToWeight(0)).isZero();
        assertThatThrownBy(() -> V2Manager.swapMax(0, 100)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> V2Manager.swapMax(200, 100)).hasMessageContaining("below");
        assertThat(V2Manager.swapMax(100, 100)).isEqualTo("0");
    }

    @Test
    void v2StatsReadCpuStatInMicroseconds() throws IOException {
        Path cg = v2Kernel().resolve("rabbithole/c1");
        files(cg, "memory.current", "4096\n", "pids.current", "2\n",
                "cpu.stat", "usage_usec 1500\nuser_usec 1000\nsystem_usec 500\n");
        CgroupStats s = Cgroups.detect(new Cgroup("rabbithole/c1", Cgroup.Resources.NONE), root, UNIFIED).stats();
        assertThat(s).isEqualTo(new CgroupStats(4096, Long.MAX_VALUE, 1_500_000, 2));
    }

    @Test
    void destroyOfACgroupThatIsGoneSucceeds() {
        CgroupManager m = Cgroups.detect(new Cgroup("rabbithole/never", Cgroup.Resources.NONE), root, HYBRID);
        m.destroy();
        Cgroups.detect(new Cgroup("rabbithole/never", Cgroup.Resources.NONE), root, UNIFIED).destroy();
    }
}
