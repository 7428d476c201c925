package dev.rabbithole.stage2.e2e;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code rabbithole stage2 daemon --exec-driver lxc}: the stage-2 daemon still runs stage 1's LXC driver, so
 * the two drivers can be compared on the same engine. Under LXC the workload is pid 2 (LXC's init is pid 1).
 */
class LxcDriverOnStage2IT {

    @TempDir
    static Path dir;
    static Stage2Daemon daemon;

    @BeforeAll
    static void startDaemon() throws Exception {
        assumeTrue(Stage2Daemon.isRoot(), "containers need root (run sudo ./rabbithole test)");
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/lxc-execute")), "lxc-execute missing: ./rabbithole setup installs lxc");
        daemon = new Stage2Daemon(dir, "lxc");
    }

    @AfterAll
    static void stopDaemon() throws Exception {
        if (daemon != null) {
            daemon.close();
        }
    }

    @Test
    void theLxcDriverRunsTheWorkloadAsPid2AndInfoSaysSo() throws Exception {
        var r = daemon.run("--rm", "busybox", "sh", "-c", "echo $$; exit 3");
        assertThat(r.exit()).as(r.toString()).isEqualTo(3);
        assertThat(r.out().trim()).as(r.toString()).isEqualTo("2");
        var info = daemon.client("info");
        assertThat(info.out()).as(info.toString()).contains("lxc");
    }

    @Test
    void aDeviceIsMadeByTheAutodevHookAndOnlyItOpens() throws Exception {
        assumeTrue(Files.exists(Path.of("/dev/loop-control")), "no /dev/loop-control on this host");
        boolean haveDocker;
        try {
            haveDocker = Stage2Daemon.exec(java.util.List.of("docker", "--version")).exit() == 0;
        } catch (java.io.IOException e) {
            haveDocker = false;
        }
        assumeTrue(haveDocker, "the docker CLI is not installed");
        var r = daemon.docker("run", "--rm", "--device", "/dev/loop-control:/dev/lc:r", "busybox", "sh", "-c",
                "ls -l /dev/lc; (exec 3</dev/lc && echo ro-opened) 2>&1; (exec 3>/dev/lc && echo written) 2>&1;"
                        + " mknod /tmp/fuse c 10 229; (exec 3</tmp/fuse && echo fuse-opened) 2>&1; true");
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.out()).as(r.toString()).contains("10, 237", "ro-opened", "Operation not permitted")
                .doesNotContain("written", "fuse-opened");
        var outside = daemon.docker("run", "--rm", "--device", "/dev/loop-control:/opt/lc", "busybox", "true");
        assertThat(outside.exit()).isEqualTo(125);
        assertThat(outside.err()).contains("the LXC driver creates device nodes under /dev only");
    }

    @Test
    void explainSaysLxcMadeTheCallsAndPointsToItsLog() throws Exception {
        var r = daemon.run("--rm", "--explain", "busybox", "true");
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.err()).as(r.toString()).contains("lxc-execute made the kernel calls").contains("lxc.log");
    }
}
