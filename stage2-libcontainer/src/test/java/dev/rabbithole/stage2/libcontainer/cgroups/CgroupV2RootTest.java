package dev.rabbithole.stage2.libcontainer.cgroups;

import dev.rabbithole.stage2.libcontainer.configs.Cgroup;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * libcontainer's {@link V2Manager} against a real cgroup v2 kernel (a pure v2 host, or the cgroup v2 test lane's
 * VM): limits written and read back, controllers enabled in the parents' {@code cgroup.subtree_control}, a real
 * OOM kill counted in {@code memory.events}, a fork stopped by {@code pids.max}, and nothing left after
 * {@link CgroupManager#destroy()}. Skips on a cgroup v1 or hybrid host (the lane runs it there). Source: the
 * kernel's Documentation/admin-guide/cgroup-v2.rst.
 */
class CgroupV2RootTest {
    private static final Path MOUNT = Path.of("/sys/fs/cgroup");
    private final String parent = "rabbithole-v2test-" + UUID.randomUUID().toString().substring(0, 8);
    private CgroupManager manager;
    private Path dir;
    private final List<Process> processes = new ArrayList<>();

    @BeforeEach
    void rootOnAPureCgroupV2Host() throws IOException {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root to create cgroups");
        assumeTrue(Files.isDirectory(MOUNT) && isCgroup2(MOUNT), "/sys/fs/cgroup is not a cgroup2 mount on this host "
                + "(cgroup v1 or hybrid): the cgroup v2 lane runs this test in a VM (./rabbithole test-v2)");
        manager = Cgroups.detect(new Cgroup(parent + "/c1", Cgroup.Resources.NONE));
        assertThat(manager.version()).as("a pure cgroup v2 host gets the v2 manager").isEqualTo(2);
        dir = manager.paths().get("unified");
        assertThat(dir).isEqualTo(MOUNT.resolve(parent).resolve("c1"));
    }

    /** cgroup2's magic in statfs is what stat -f reports as cgroup2fs; the mount table says the same. */
    private static boolean isCgroup2(Path mount) throws IOException {
        return Files.readAllLines(Path.of("/proc/self/mountinfo")).stream()
                .map(l -> l.split(" - ", 2))
                .anyMatch(p -> p.length == 2 && p[0].split(" ")[4].equals(mount.toString())
                        && p[1].startsWith("cgroup2 "));
    }

    @AfterEach
    void cleanUp() throws Exception {
        if (dir != null && Files.exists(dir.resolve("cgroup.kill"))) {
            Files.writeString(dir.resolve("cgroup.kill"), "1");
        }
        for (Process p : processes) {
            p.destroyForcibly();
            p.waitFor(30, TimeUnit.SECONDS);
        }
        if (dir != null && Files.isDirectory(dir)) {
            await().atMost(Duration.ofSeconds(30)).until(() -> CgroupFiles.read(dir, "cgroup.procs").isEmpty());
        }
        if (manager != null) {
            manager.destroy();
            CgroupFiles.rmdir(MOUNT.resolve(parent));
        }
    }

    /** {@code sh -c "read go; SCRIPT"}: waits on stdin until it is in its cgroup. */
    private Process waitingShell(String script) throws IOException {
        Process p = new ProcessBuilder("sh", "-c", "read go; " + script).start();
        processes.add(p);
        return p;
    }

    private static void go(Process p) throws IOException {
        OutputStream in = p.getOutputStream();
        in.write("go\n".getBytes(StandardCharsets.UTF_8));
        in.flush();
    }

    /** A flat-keyed file ({@code memory.events}, {@code pids.events}): the value of one key. */
    private static long key(Path dir, String file, String key) {
        return Arrays.stream(CgroupFiles.read(dir, file).split("\n")).map(l -> l.trim().split("\\s+"))
                .filter(f -> f.length == 2 && f[0].equals(key)).mapToLong(f -> Long.parseLong(f[1])).findFirst()
                .orElseThrow(() -> new AssertionError("no " + key + " in " + dir.resolve(file)));
    }

    @Test
    void limitsAreWrittenToTheV2FilesAndReadBack() throws Exception {
        Process sh = waitingShell("true");
        manager.apply(sh.pid());
        manager.set(new Cgroup.Resources(64L << 20, 64L << 20, 512, 50_000, 100_000, "0", "0", 32));

        assertThat(Files.readString(Path.of("/proc/" + sh.pid() + "/cgroup"))).isEqualTo("0::/" + parent + "/c1\n");
        for (Path level : List.of(MOUNT, MOUNT.resolve(parent))) {
            assertThat(CgroupFiles.read(level, "cgroup.subtree_control").split(" "))
                    .as("controllers handed down by %s", level).contains("cpu", "cpuset", "memory", "pids");
        }
        assertThat(CgroupFiles.read(dir, "memory.max")).isEqualTo(Long.toString(64L << 20));
        assertThat(CgroupFiles.read(dir, "memory.swap.max")).isEqualTo("0");
        assertThat(CgroupFiles.read(dir, "cpu.max")).isEqualTo("50000 100000");
        assertThat(CgroupFiles.read(dir, "cpu.weight")).isEqualTo(Long.toString(V2Manager.sharesToWeight(512)));
        assertThat(CgroupFiles.read(dir, "cpuset.cpus")).isEqualTo("0");
        assertThat(CgroupFiles.read(dir, "cpuset.mems")).isEqualTo("0");
        assertThat(CgroupFiles.read(dir, "pids.max")).isEqualTo("32");

        CgroupStats stats = manager.stats();
        assertThat(stats.memoryLimitBytes()).isEqualTo(64L << 20);
        assertThat(stats.pidsCurrent()).isEqualTo(1);
        assertThat(stats.memoryUsageBytes()).isNotNegative(); // v2 does not move charges: 0 is possible
        assertThat(stats.cpuUsageNanos()).isNotNegative();

        // unlimited again: the kernel's "max"
        manager.set(new Cgroup.Resources(-1, -1, 0, -1, 100_000, null, null, -1));
        assertThat(CgroupFiles.read(dir, "memory.max")).isEqualTo("max");
        assertThat(CgroupFiles.read(dir, "memory.swap.max")).isEqualTo("max");
        assertThat(CgroupFiles.read(dir, "cpu.max")).isEqualTo("max 100000");
        assertThat(CgroupFiles.read(dir, "pids.max")).isEqualTo("max");
    }

    @Test
    void aBadValueIsRefusedByTheKernelWithTheFileAndValueNamed() throws Exception {
        Process sh = waitingShell("true");
        manager.apply(sh.pid());
        assertThatThrownBy(() -> manager.set(new Cgroup.Resources(0, 0, 0, 0, 0, "4095", null, 0)))
                .isInstanceOf(CgroupException.class)
                .hasMessageStartingWith("cannot set cpuset.cpus to 4095: ");
        assertThatThrownBy(() -> manager.set(new Cgroup.Resources(0, 0, 0, 1, 100_000, null, null, 0)))
                .isInstanceOf(CgroupException.class)
                .hasMessageStartingWith("cannot set cpu.max to 1 100000: Invalid argument");
    }

    @Test
    void aProcessOverMemoryMaxIsOomKilledAndMemoryEventsCountsIt() throws Exception {
        // the shell keeps the command substitution's output: 100 MiB of 'a' in its own memory
        Process sh = waitingShell("x=$(head -c 100m /dev/zero | tr '\\0' a); echo survived ${#x}");
        manager.apply(sh.pid());
        manager.set(new Cgroup.Resources(32L << 20, 32L << 20, 0, 0, 0, null, null, 0));
        assertThat(key(dir, "memory.events", "oom_kill")).isZero();
        go(sh);
        assertThat(sh.waitFor(120, TimeUnit.SECONDS)).as("the shell ends (killed)").isTrue();
        String out = new String(sh.getInputStream().readAllBytes(), StandardCharsets.UTF_8);

        String events = CgroupFiles.read(dir, "memory.events");
        System.out.printf("[v2] memory.events after an OOM kill under memory.max=32M:%n%s%n", events);
        assertThat(out).doesNotContain("survived 104857600");
        assertThat(key(dir, "memory.events", "oom_kill")).as(events).isGreaterThanOrEqualTo(1);
        // what the native driver reads for State.OOMKilled before it removes the cgroup
        assertThat(manager.oomKillCount()).as(events).isGreaterThanOrEqualTo(1);
        assertThat(key(dir, "memory.events", "max")).as(events).isPositive();
        assertThat(sh.exitValue()).as("SIGKILL: 128 + 9").isEqualTo(137);
        String peak = CgroupFiles.readIfExists(dir, "memory.peak"); // since Linux 5.19
        if (!peak.isEmpty()) {
            assertThat(Long.parseLong(peak)).isLessThanOrEqualTo(32L << 20);
        }
    }

    @Test
    void pidsMaxStopsAFork() throws Exception {
        Process sh = waitingShell("for i in 1 2 3 4 5 6 7 8; do sleep 60 & done; echo forked; wait");
        manager.apply(sh.pid());
        manager.set(new Cgroup.Resources(0, 0, 0, 0, 0, null, null, 4));
        go(sh);
        await().atMost(Duration.ofSeconds(60)).until(() -> key(dir, "pids.events", "max") >= 1);
        assertThat(manager.stats().pidsCurrent()).isLessThanOrEqualTo(4);
        assertThat(CgroupFiles.read(dir, "pids.max")).isEqualTo("4");
    }

    @Test
    void destroyRemovesTheCgroupAndItsEmptyParentOnlyOnceItIsEmpty() throws Exception {
        Process sh = waitingShell("sleep 600");
        manager.apply(sh.pid());
        assertThatThrownBy(manager::destroy).isInstanceOf(CgroupException.class)
                .hasMessageContaining("busy").hasMessageContaining(Long.toString(sh.pid()));
        assertThat(dir).isDirectory();

        sh.destroyForcibly();
        sh.waitFor(30, TimeUnit.SECONDS);
        await().atMost(Duration.ofSeconds(30)).until(() -> CgroupFiles.read(dir, "cgroup.procs").isEmpty());
        manager.destroy();
        assertThat(dir).doesNotExist();
        assertThat(MOUNT.resolve(parent)).doesNotExist();
        manager.destroy(); // idempotent
    }
}
