package dev.rabbithole.stage2.e2e;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@link BuildCases} on stage 2 (the native exec driver: RUN steps through libcontainer): one daemon for the class. Needs root,
 * busybox-static and the docker CLI; skipped with a reason otherwise.
 */
class BuildOnStage2IT extends BuildCases {

    static Stage2Daemon daemon;
    @org.junit.jupiter.api.io.TempDir
    static Path dir;

    @BeforeAll
    static void startDaemon() throws Exception {
        assumeTrue(Stage2Daemon.isRoot(), "containers need root (run sudo ./rabbithole test)");
        assumeTrue(Files.isExecutable(Path.of("/bin/busybox")), "busybox-static missing: ./rabbithole setup installs it");
        assumeTrue(Files.isRegularFile(Stage2Daemon.JAR), "stage 2's jar " + Stage2Daemon.JAR + " is not built");
        boolean haveDocker;
        try {
            haveDocker = Stage2Daemon.exec(List.of(DOCKER, "--version")).exit() == 0;
        } catch (java.io.IOException e) {
            haveDocker = false;
        }
        assumeTrue(haveDocker, "the docker CLI is not installed");
        daemon = new Stage2Daemon(dir, "native");
        host = daemon.host();
    }

    @AfterAll
    static void stopDaemon() throws Exception {
        if (daemon != null) {
            daemon.close();
        }
    }
}
