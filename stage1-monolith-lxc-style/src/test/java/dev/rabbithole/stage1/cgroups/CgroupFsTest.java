package dev.rabbithole.stage1.cgroups;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link CgroupFs} against fake cgroup v1 and v2 directories: what it writes and how it reads the counters. */
class CgroupFsTest {

    @TempDir
    Path root;

    private static void files(Path dir, String... nameValue) throws IOException {
        Files.createDirectories(dir);
        for (int i = 0; i < nameValue.length; i += 2) {
            Files.writeString(dir.resolve(nameValue[i]), nameValue[i + 1]);
        }
    }

    private static String read(Path p) throws IOException {
        return Files.readString(p).strip();
    }

    private Map<String, Path> v1() throws IOException {
        Path mem = root.resolve("memory/c");
        Path cpu = root.resolve("cpu/c");
        Path acct = root.resolve("cpuacct/c");
        Path pids = root.resolve("pids/c");
        Path freezer = root.resolve("freezer/c");
        Path blkio = root.resolve("blkio/c");
        files(mem, "memory.limit_in_bytes", "9223372036854771712\n", "memory.memsw.limit_in_bytes", "9223372036854771712\n",
                "memory.usage_in_bytes", "1048576\n", "memory.max_usage_in_bytes", "2097152\n", "memory.failcnt", "0\n",
                "memory.stat", "cache 4096\nrss 8192\ntotal_inactive_file 4096\n", "cgroup.procs", "10\n12\n");
        files(mem.resolve("sub"), "cgroup.procs", "11\n");
        files(cpu, "cpu.shares", "1024\n", "cpu.cfs_quota_us", "-1\n", "cpu.cfs_period_us", "100000\n",
                "cpu.stat", "nr_periods 5\nnr_throttled 2\nthrottled_time 3000\n");
        files(acct, "cpuacct.usage", "130021775\n", "cpuacct.usage_percpu", "76292679 53729096 \n",
                "cpuacct.stat", "user 4\nsystem 8\n");
        files(pids, "pids.max", "max\n", "pids.current", "3\n");
        files(freezer, "freezer.state", "THAWED\n");
        files(blkio, "blkio.throttle.io_service_bytes_recursive", "8:0 Read 4096\n8:0 Write 0\nTotal 4096\n",
                "blkio.throttle.io_serviced_recursive", "8:0 Read 1\nTotal 1\n");
        return Map.of("memory", mem, "cpu", cpu, "cpuacct", acct, "pids", pids, "freezer", freezer, "blkio", blkio);
    }

    @Test
    void v1FreezeAndThawWriteFreezerState() throws IOException {
        Map<String, Path> p = v1();
        CgroupFs.freeze(p, true);
        assertThat(read(p.get("freezer").resolve("freezer.state"))).isEqualTo("FROZEN");
        assertThat(CgroupFs.frozen(p)).isTrue();
        CgroupFs.freeze(p, false);
        assertThat(read(p.get("freezer").resolve("freezer.state"))).isEqualTo("THAWED");
        assertThat(CgroupFs.frozen(p)).isFalse();
    }

    @Test
    void v1UpdateRaisesMemswBeforeMemoryAndWritesEachLimit() throws IOException {
        Map<String, Path> p = v1();
        Files.writeString(p.get("memory").resolve("memory.memsw.limit_in_bytes"), "33554432");
        CgroupFs.update(p, new ResourceUpdate(64L << 20, 128L << 20, 512, 50_000, 100_000, 20));
        assertThat(read(p.get("memory").resolve("memory.limit_in_bytes"))).isEqualTo("67108864");
        assertThat(read(p.get("memory").resolve("memory.memsw.limit_in_bytes"))).isEqualTo("134217728");
        assertThat(read(p.get("cpu").resolve("cpu.shares"))).isEqualTo("512");
        assertThat(read(p.get("cpu").resolve("cpu.cfs_quota_us"))).isEqualTo("50000");
        assertThat(read(p.get("cpu").resolve("cpu.cfs_period_us"))).isEqualTo("100000");
        assertThat(read(p.get("pids").resolve("pids.max"))).isEqualTo("20");
        CgroupFs.update(p, new ResourceUpdate(0, 0, 0, 0, 0, -1));
        assertThat(read(p.get("pids").resolve("pids.max"))).isEqualTo("max");
        assertThat(read(p.get("memory").resolve("memory.limit_in_bytes"))).as("0 leaves it").isEqualTo("67108864");
    }

    @Test
    void v1StatsReadTheCountersInTheirUnits() throws IOException {
        ResourceStats s = CgroupFs.stats(v1());
        assertThat(s.cpu().totalNanos()).isEqualTo(130021775);
        assertThat(s.cpu().perCpuNanos()).containsExactly(76292679L, 53729096L);
        assertThat(s.cpu().userNanos()).as("USER_HZ ticks in ns").isEqualTo(40_000_000);
        assertThat(s.cpu().kernelNanos()).isEqualTo(80_000_000);
        assertThat(s.cpu().throttledPeriods()).isEqualTo(2);
        assertThat(s.memory().usageBytes()).isEqualTo(1048576);
        assertThat(s.memory().maxUsageBytes()).isEqualTo(2097152);
        assertThat(s.memory().limitBytes()).isEqualTo(9223372036854771712L);
        assertThat(s.memory().stats()).containsEntry("cache", 4096L).containsEntry("total_inactive_file", 4096L);
        assertThat(s.pids()).isEqualTo(new ResourceStats.Pids(3, 0));
        assertThat(s.blkio().serviceBytes()).containsExactly(new ResourceStats.BlkioEntry(8, 0, "Read", 4096),
                new ResourceStats.BlkioEntry(8, 0, "Write", 0));
        assertThat(s.blkio().serviced()).hasSize(1);
    }

    @Test
    void pidsAreEveryProcessOfTheCgroupAndItsChildren() throws IOException {
        assertThat(CgroupFs.pids(v1())).containsExactly(10L, 11L, 12L);
    }

    @Test
    void v2WritesTheUnifiedFilesAndReadsCpuStatInMicroseconds() throws IOException {
        Path cg = root.resolve("unified/c");
        files(cg, "memory.max", "max\n", "memory.swap.max", "max\n", "cpu.weight", "100\n", "cpu.max", "max 100000\n",
                "pids.max", "max\n", "cgroup.freeze", "0\n", "cgroup.events", "populated 1\nfrozen 1\n",
                "cpu.stat", "usage_usec 1500\nuser_usec 1000\nsystem_usec 500\nnr_periods 0\nnr_throttled 0\nthrottled_usec 0\n",
                "memory.current", "4096\n", "memory.stat", "anon 4096\nfile 0\n", "pids.current", "2\n",
                "io.stat", "8:0 rbytes=512 wbytes=1024 rios=1 wios=2 dbytes=0 dios=0\n", "cgroup.procs", "7\n");
        Map<String, Path> p = Map.of(CgroupFs.UNIFIED, cg);
        CgroupFs.update(p, new ResourceUpdate(64L << 20, 128L << 20, 1024, 50_000, 0, 20));
        assertThat(read(cg.resolve("memory.max"))).isEqualTo("67108864");
        assertThat(read(cg.resolve("memory.swap.max"))).as("swap alone").isEqualTo("67108864");
        assertThat(read(cg.resolve("cpu.weight"))).isEqualTo("39");
        assertThat(read(cg.resolve("cpu.max"))).isEqualTo("50000 100000");
        assertThat(read(cg.resolve("pids.max"))).isEqualTo("20");
        CgroupFs.freeze(p, true);                                 // cgroup.events already says frozen 1
        assertThat(read(cg.resolve("cgroup.freeze"))).isEqualTo("1");
        ResourceStats s = CgroupFs.stats(p);
        assertThat(s.cpu().totalNanos()).isEqualTo(1_500_000);
        assertThat(s.cpu().userNanos()).isEqualTo(1_000_000);
        assertThat(s.memory().usageBytes()).isEqualTo(4096);
        assertThat(s.memory().limitBytes()).isEqualTo(67108864);
        assertThat(s.pids()).isEqualTo(new ResourceStats.Pids(2, 20));
        assertThat(s.blkio().serviceBytes()).containsExactly(new ResourceStats.BlkioEntry(8, 0, "Read", 512),
                new ResourceStats.BlkioEntry(8, 0, "Write", 1024));
        assertThat(CgroupFs.pids(p)).isEqualTo(List.of(7L));
    }
}
