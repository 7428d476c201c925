package dev.rabbithole.stage2.e2e;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Issue 7, items 8 to 10 on stage 2 (the daemon is stage 1's, the exec driver native): a failed start stays
 * {@code Created} with Docker's exit code, {@code save} writes an archive that {@code load} reads back, and
 * {@code images -q busybox} lists busybox only. The expected values are what Docker 20.10 printed.
 */
class ParityOnStage2IT {

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

    @Test
    void aFailedStartStaysCreatedWithDockersExitCode() throws Exception {
        var missing = daemon.docker("run", "--name", "s2-missing", "busybox", "/nonexistent");
        assertThat(missing.exit()).as(missing.toString()).isEqualTo(127);
        var denied = daemon.docker("run", "--name", "s2-denied", "busybox", "/etc/passwd");
        assertThat(denied.exit()).as(denied.toString()).isEqualTo(126);
        var state = daemon.docker("inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}", "s2-missing",
                "s2-denied");
        assertThat(state.out()).as(state.toString()).isEqualTo("created 127\ncreated 126\n");
        var ps = daemon.docker("ps", "-a", "--filter", "name=s2-");
        assertThat(ps.out()).as(ps.toString()).contains("Created").doesNotContain("Exited");
        assertThat(daemon.docker("rm", "s2-missing", "s2-denied").exit()).isZero();
    }

    @Test
    void saveAndLoadRoundTripAndImagesFilter() throws Exception {
        var id = daemon.docker("inspect", "--format", "{{.Id}}", "busybox");
        assertThat(id.exit()).as(id.toString()).isZero();
        var listed = daemon.docker("images", "-q", "busybox");
        assertThat(listed.out()).as(listed.toString()).isEqualTo(id.out().substring(7, 19) + "\n");
        Path tar = dir.resolve("busybox.tar");
        var save = daemon.docker("save", "-o", tar.toString(), "busybox");
        assertThat(save.exit()).as(save.toString()).isZero();
        assertThat(daemon.docker("rmi", "busybox").exit()).isZero();
        var load = daemon.docker("load", "-i", tar.toString());
        assertThat(load.out()).as(load.toString()).contains("Loaded image: busybox:latest");
        assertThat(daemon.docker("inspect", "--format", "{{.Id}}", "busybox").out()).isEqualTo(id.out());
    }
}
