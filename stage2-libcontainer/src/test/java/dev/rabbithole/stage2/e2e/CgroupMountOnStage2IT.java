package dev.rabbithole.stage2.e2e;

import dev.rabbithole.testsupport.HostLeaks;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Stage 2's /sys/fs/cgroup, through the docker CLI, against what Debian's dockerd 20.10 with runc shows on the
 * same cgroup v1 host: each v1 hierarchy a directory with the container's own cgroup at its root, read-only
 * ({@code ls /sys/fs/cgroup}, the limit file, mountinfo); the writes a container could use to change its
 * limits or escape through a release agent fail; nothing of the container is left on the host after
 * {@code rm}. Needs root, busybox-static and the docker CLI; skipped with a reason otherwise.
 */
class CgroupMountOnStage2IT {

    @TempDir
    static Path dir;
    static Stage2Daemon daemon;

    @BeforeAll
    static void startDaemon() throws Exception {
        assumeTrue(Stage2Daemon.isRoot(), "containers need root (run sudo ./rabbithole test)");
        assumeTrue(Files.isExecutable(Path.of("/bin/busybox")), "busybox-static missing: ./rabbithole setup installs it");
        boolean haveDocker;
        try {
            haveDocker = Stage2Daemon.exec(List.of("docker", "--version")).exit() == 0;
        } catch (java.io.IOException e) {
            haveDocker = false;
        }
        assumeTrue(haveDocker, "the docker CLI is not installed");
        daemon = new Stage2Daemon(dir, "native");
    }

    @AfterAll
    static void stopDaemon() throws Exception {
        if (daemon != null) {
            daemon.close();
        }
    }

    static boolean v1() {
        return Files.isDirectory(Path.of("/sys/fs/cgroup/memory"));
    }

    @Test
    void theContainerSeesItsOwnLimitAtTheRootOfEachHierarchy() throws Exception {
        String file = v1() ? "/sys/fs/cgroup/memory/memory.limit_in_bytes" : "/sys/fs/cgroup/memory.max";
        var r = daemon.docker("run", "--rm", "-m", "64m", "busybox", "sh", "-c",
                "cat " + file + "; ls /sys/fs/cgroup; grep ' /sys/fs/cgroup' /proc/self/mountinfo");
        assertThat(r.exit()).as(r.toString()).isZero();
        List<String> lines = r.out().lines().toList();
        assertThat(lines.get(0)).isEqualTo("67108864");
        if (v1()) {
            // as Docker: the host's v1 hierarchies (not a hybrid host's cgroup2), each bound read-only on a tmpfs
            assertThat(lines).contains("memory", "pids", "devices", "freezer").doesNotContain("unified");
            assertThat(lines).anyMatch(l -> l.contains(" /sys/fs/cgroup rw,nosuid,nodev,noexec") && l.contains(" - tmpfs "));
            assertThat(lines).filteredOn(l -> l.contains(" - cgroup "))
                    .isNotEmpty()
                    .allMatch(l -> l.contains(" ro,nosuid,nodev,noexec"), "read-only, nosuid, nodev, noexec");
        } else {
            assertThat(lines).anyMatch(l -> l.contains(" /sys/fs/cgroup ro,nosuid,nodev,noexec") && l.contains(" - cgroup2 "));
        }
    }

    // tag::cgroup-ro-test[]
    @Test
    void writesToTheCgroupFilesFailFromInside() throws Exception {
        String script = v1()
                ? "for f in memory/memory.limit_in_bytes memory/release_agent memory/notify_on_release "
                  + "pids/pids.max; do echo 1 > /sys/fs/cgroup/$f && echo WROTE $f; done; "
                  + "mkdir /sys/fs/cgroup/memory/escape && echo MADE; "
                  + "mount -o remount,rw /sys/fs/cgroup/memory && echo REMOUNTED; "
                  + "umount /sys/fs/cgroup/memory && echo UNMOUNTED; "
                  + "mount -t cgroup -o memory cgroup /mnt && echo MOUNTED; "
                  + "cat /sys/fs/cgroup/memory/memory.limit_in_bytes"
                : "for f in memory.max pids.max cgroup.procs; do echo 1 > /sys/fs/cgroup/$f && echo WROTE $f; done; "
                  + "mkdir /sys/fs/cgroup/escape && echo MADE; "
                  + "mount -o remount,rw /sys/fs/cgroup && echo REMOUNTED; "
                  + "umount /sys/fs/cgroup && echo UNMOUNTED; "
                  + "mount -t cgroup2 cgroup /mnt && echo MOUNTED; "
                  + "cat /sys/fs/cgroup/memory.max";
        var r = daemon.docker("run", "--rm", "-m", "64m", "--pids-limit", "50", "busybox", "sh", "-c", script);
        assertThat(r.out()).as(r.toString())
                .doesNotContain("WROTE", "MADE", "REMOUNTED", "UNMOUNTED", "MOUNTED")
                .endsWith("67108864\n");
        assertThat(r.err()).contains("Read-only file system");
    }
    // end::cgroup-ro-test[]

    @Test
    void nothingIsLeftOnTheHostAfterRm() throws Exception {
        var run = daemon.docker("run", "-d", "--name", "cgleak", "-m", "64m", "busybox", "sleep", "60");
        assertThat(run.exit()).as(run.toString()).isZero();
        String id = run.out().trim();
        assertThat(HostLeaks.cgroups(id)).isNotEmpty();
        assertThat(daemon.docker("rm", "-f", "cgleak").exit()).isZero();
        await().atMost(java.time.Duration.ofSeconds(20)).untilAsserted(() -> {
            assertThat(HostLeaks.mounts(id)).isEmpty();
            assertThat(HostLeaks.cgroups(id)).isEmpty();
            assertThat(HostLeaks.processes(id)).isEmpty();
        });
    }
}
