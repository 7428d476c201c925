package dev.rabbithole.stage2.libcontainer.cgroups;

import dev.rabbithole.stage2.libcontainer.configs.Cgroup;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The host's cgroups for real: a {@code sleep} is moved into a new cgroup, limited, measured, and the cgroup removed. */
class CgroupV1RootTest {
    private final String parent = "rabbithole-test-" + UUID.randomUUID().toString().substring(0, 8);
    private CgroupManager manager;
    private Process sleep;

    @BeforeEach
    void rootOnACgroupV1Host() throws IOException {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root to create cgroups");
        assumeTrue(Files.exists(Path.of("/proc/self/mountinfo")), "needs Linux");
        manager = Cgroups.detect(new Cgroup(parent + "/c1", Cgroup.Resources.NONE));
        assumeTrue(manager.version() == 1, "this test checks cgroup v1 files; the host runs cgroup v2");
        sleep = new ProcessBuilder("sleep", "600").start();
    }

    @AfterEach
    void cleanUp() throws Exception {
        if (sleep != null) {
            sleep.destroyForcibly();
            sleep.waitFor(30, TimeUnit.SECONDS);
        }
        if (manager != null) {
            manager.destroy();
            for (Path dir : manager.paths().values()) {
                CgroupFiles.rmdir(dir.getParent());
                assertThat(dir.getParent()).doesNotExist();
            }
        }
    }

    @Test
    void dockersDeviceRulesGiveDockersDevicesListAndDenyOtherDevices() throws Exception {
        Process sh = new ProcessBuilder("sh", "-c", "read go; (: < /dev/loop-control) 2>&1 && echo loop-control-opened;"
                + " echo x > /dev/null && echo null-ok").redirectErrorStream(true).start();
        try {
            manager.apply(sh.pid());
            manager.set(new Cgroup.Resources(0, 0, 0, 0, 0, null, null, 0,
                    dev.rabbithole.stage2.libcontainer.cgroups.devices.DeviceFilterTest.DOCKER));
            // what Debian's dockerd 20.10 leaves in a container's devices.list (the kernel's order)
            assertThat(CgroupFiles.read(manager.paths().get("devices"), "devices.list").lines())
                    .containsExactlyInAnyOrder("b *:* m", "c *:* m", "c 1:3 rwm", "c 1:5 rwm", "c 1:7 rwm", "c 1:8 rwm",
                            "c 1:9 rwm", "c 10:200 rwm", "c 136:* rwm", "c 5:0 rwm", "c 5:1 rwm", "c 5:2 rwm");
            sh.getOutputStream().write("go\n".getBytes());
            sh.getOutputStream().flush();
            assertThat(sh.waitFor(30, TimeUnit.SECONDS)).isTrue();
            String out = new String(sh.getInputStream().readAllBytes());
            assertThat(out).contains("Operation not permitted", "null-ok").doesNotContain("loop-control-opened");
        } finally {
            sh.destroyForcibly();
            sh.waitFor(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void aSleepIsLimitedMeasuredAndTheCgroupRemoved() throws Exception {
        long pid = sleep.pid();
        manager.apply(pid);
        manager.set(new Cgroup.Resources(64L << 20, 0, 512, 50_000, 100_000, "0", null, 32));

        String procCgroup = Files.readString(Path.of("/proc/" + pid + "/cgroup"));
        assertThat(procCgroup).contains(":memory:/" + parent + "/c1\n", ":pids:/" + parent + "/c1\n",
                ":cpuset:/" + parent + "/c1\n");
        Path mem = manager.paths().get("memory");
        assertThat(CgroupFiles.read(mem, "memory.limit_in_bytes")).isEqualTo(Long.toString(64L << 20));
        assertThat(CgroupFiles.read(manager.paths().get("pids"), "pids.max")).isEqualTo("32");
        assertThat(CgroupFiles.read(manager.paths().get("cpu"), "cpu.cfs_quota_us")).isEqualTo("50000");
        assertThat(CgroupFiles.read(manager.paths().get("cpu"), "cpu.shares")).isEqualTo("512");
        assertThat(CgroupFiles.read(manager.paths().get("cpuset"), "cpuset.cpus")).isEqualTo("0");

        CgroupStats stats = manager.stats();
        assertThat(stats.memoryLimitBytes()).isEqualTo(64L << 20);
        assertThat(stats.pidsCurrent()).isEqualTo(1);
        assertThat(stats.memoryUsageBytes()).isNotNegative();
        assertThat(stats.cpuUsageNanos()).isNotNegative();

        assertThatThrownBy(() -> manager.set(new Cgroup.Resources(-5, 0, 0, 0, 0, null, null, 0)))
                .isInstanceOf(CgroupException.class)
                .hasMessageStartingWith("cannot set memory.limit_in_bytes to -5: Invalid argument");

        assertThatThrownBy(manager::destroy).isInstanceOf(CgroupException.class)
                .hasMessageContaining("busy").hasMessageContaining(Long.toString(pid));

        sleep.destroyForcibly();
        sleep.waitFor(30, TimeUnit.SECONDS);
        manager.destroy();
        for (Path dir : manager.paths().values()) {
            assertThat(dir).doesNotExist();
        }
        manager.destroy(); // idempotent
    }
}
