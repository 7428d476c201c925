package dev.rabbithole.stage2.e2e;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@link ResourcesLikeDockerCases} on stage 2 (native driver: libcontainer's cgroup managers freeze and set), one
 * daemon for the class. Needs root, busybox-static and the docker CLI; skipped with a reason otherwise.
 */
class ResourcesLikeDockerOnStage2IT extends ResourcesLikeDockerCases {

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
        cli = daemon::docker;
    }

    @AfterAll
    static void stopDaemon() throws Exception {
        if (daemon != null) {
            daemon.close();
        }
    }
}
