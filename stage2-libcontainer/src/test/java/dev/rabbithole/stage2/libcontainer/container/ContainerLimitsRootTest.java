package dev.rabbithole.stage2.libcontainer.container;

import dev.rabbithole.stage2.libcontainer.TestConfigs;
import dev.rabbithole.stage2.libcontainer.cgroups.CgroupStats;
import dev.rabbithole.stage2.libcontainer.configs.Cgroup;
import dev.rabbithole.stage2.libcontainer.configs.ContainerConfig;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Cgroup limits enforced on real containers (root, the host's cgroups, v1 or v2: the cgroup v2 lane runs it in a
 * VM): memory, pids, CPU quota.
 */
class ContainerLimitsRootTest extends RootContainerTests {

    static Cgroup.Resources memory(long bytes) {
        return new Cgroup.Resources(bytes, bytes, 0, 0, 0, null, null, 0);
    }

    @Test
    void aProcessOverItsMemoryLimitIsOomKilledAndTheExitCodeIs137() throws Exception {
        // the shell keeps the command substitution's output: 100 MiB of 'a' in its own memory
        ContainerConfig c = TestConfigs.withResources(TestConfigs.config(id(), rootfs,
                TestConfigs.sh("x=$(head -c 100m /dev/zero | tr '\\0' a); echo survived ${#x}")), memory(32L << 20));
        LinuxContainer container = create(c);
        container.start();
        CompletableFuture<String> out = drain(container.process().getInputStream());
        int code = container.waitFor();
        Path memcg = cgroupDir(container, "memory");
        // the kill count: v1's memory.oom_control, v2's memory.events
        String oom = Files.readString(memcg.resolve(hostCgroupV2() ? "memory.events" : "memory.oom_control"));
        assertThat(out.get()).doesNotContain("survived");
        assertThat(code).isEqualTo(137);
        assertThat(Files.readString(memcg.resolve(memoryLimitFile())).trim()).isEqualTo(Long.toString(32L << 20));
        assertThat(oom).containsPattern("oom_kill [1-9]");
    }

    @Test
    void aForkLoopStopsAtThePidsLimit() throws Exception {
        ContainerConfig c = TestConfigs.withResources(TestConfigs.config(id(), rootfs,
                // busybox sh gives up at the first failed fork: the loop runs in a subshell, pid 1 goes on
                TestConfigs.sh("(for i in $(seq 50); do sleep 30 & done); echo forked; read x")),
                new Cgroup.Resources(0, 0, 0, 0, 0, null, null, 20));
        LinuxContainer container = create(c);
        container.start();
        CompletableFuture<String> err = drain(container.process().getErrorStream());
        BufferedReader out = new BufferedReader(new InputStreamReader(container.process().getInputStream(),
                StandardCharsets.UTF_8));
        assertThat(out.readLine()).isEqualTo("forked");
        CgroupStats stats = container.cgroup().stats();
        assertThat(stats.pidsCurrent()).isBetween(2L, 20L);
        Path pids = cgroupDir(container, "pids");
        assertThat(Files.readString(pids.resolve("pids.max")).trim()).isEqualTo("20");
        container.destroy(); // SIGKILL to pid 1 ends the sleeps with it
        assertThat(err.get()).contains("can't fork");
        assertThat(pids).doesNotExist();
    }

    @Test
    void limitsTheInitJvmCouldNotLiveUnderHoldForTheWorkload() throws Exception {
        // -m 6m and --pids-limit 2: the init JVM starts under the floors, the workload under exactly these
        ContainerConfig c = TestConfigs.withResources(TestConfigs.config(id(), rootfs, TestConfigs.sh("echo small")),
                new Cgroup.Resources(6L << 20, 6L << 20, 0, 0, 0, null, null, 2));
        Result r = run(c);
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        assertThat(r.stdout()).isEqualTo("small\n");
        Path memcg = cgroupDir(r.container(), "memory");
        Path pids = cgroupDir(r.container(), "pids");
        assertThat(Files.readString(memcg.resolve(memoryLimitFile())).trim()).isEqualTo(Long.toString(6L << 20));
        assertThat(Files.readString(pids.resolve("pids.max")).trim()).isEqualTo("2");
        List<String> calls = r.container().kernelCalls();
        int raised = indexOf(calls, "pids.max, 64)");
        int exact = indexOf(calls, "pids.max, 2)");
        int execve = indexOf(calls, "execve(");
        assertThat(raised).as(String.join("\n", calls)).isNotNegative().isLessThan(execve);
        assertThat(calls.get(raised)).contains("floor");
        // pids: written before the execve (lowering pids.max kills no task; the init starts none from here)
        assertThat(exact).as(String.join("\n", calls)).isGreaterThan(raised).isLessThan(execve);
        assertThat(calls.get(exact)).contains("configured", "before the init's execve");
        // memory: the init's usage does not fit under 6 MiB, so after the execve
        assertThat(calls.subList(execve, calls.size())).as(String.join("\n", calls))
                .anyMatch(l -> l.contains(memoryLimitFile()) && l.contains((6L << 20) + ")"));
        String peak = hostCgroupV2() ? "memory.peak" : "memory.max_usage_in_bytes";
        if (Files.exists(memcg.resolve(peak))) { // v2: since Linux 5.19
            System.out.printf("[libcontainer] init JVM peak memory: %d KiB (%s)%n",
                    Long.parseLong(Files.readString(memcg.resolve(peak)).trim()) >> 10, peak);
        }
    }

    @Test
    void limitsAboveTheFloorsAreWrittenOnceBeforeGo() throws Exception {
        ContainerConfig c = TestConfigs.withResources(TestConfigs.config(id(), rootfs, TestConfigs.sh("true")),
                new Cgroup.Resources(512L << 20, 512L << 20, 0, 0, 0, null, null, 100));
        Result r = run(c);
        assertThat(r.exitCode()).isZero();
        List<String> calls = r.container().kernelCalls();
        assertThat(calls.stream().filter(l -> l.contains("pids.max")).toList()).singleElement().asString()
                .contains("100").doesNotContain("floor");
        assertThat(indexOf(calls, "pids.max")).isLessThan(indexOf(calls, "execve("));
    }

    /** The memory limit's file: v1's memory.limit_in_bytes, v2's memory.max. */
    static String memoryLimitFile() {
        return hostCgroupV2() ? "memory.max" : "memory.limit_in_bytes";
    }

    private static int indexOf(List<String> lines, String part) {
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).contains(part)) {
                return i;
            }
        }
        return -1;
    }

    @Test
    void aCpuQuotaOfHalfACpuHoldsTheCpuTimeNearHalf() throws Exception {
        ContainerConfig c = TestConfigs.withResources(TestConfigs.config(id(), rootfs,
                TestConfigs.sh("echo spinning; while :; do :; done")),
                new Cgroup.Resources(0, 0, 0, 50_000, 100_000, null, null, 0));
        LinuxContainer container = create(c);
        container.start();
        BufferedReader out = new BufferedReader(new InputStreamReader(container.process().getInputStream(),
                StandardCharsets.UTF_8));
        assertThat(out.readLine()).isEqualTo("spinning");
        long cpu0 = container.cgroup().stats().cpuUsageNanos();
        long wall0 = System.nanoTime();
        Thread.sleep(2000);
        long cpu1 = container.cgroup().stats().cpuUsageNanos();
        long wall1 = System.nanoTime();
        container.destroy();
        double share = (double) (cpu1 - cpu0) / (wall1 - wall0);
        System.out.printf("[libcontainer] CPU quota 0.5: measured %.2f CPUs over %.1f s%n", share,
                (wall1 - wall0) / 1e9);
        // a property with a generous band (the machine is shared), not a timing assertion
        assertThat(share).isBetween(0.3, 0.7);
    }
}
