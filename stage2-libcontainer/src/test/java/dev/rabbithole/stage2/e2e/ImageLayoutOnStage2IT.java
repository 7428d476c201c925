package dev.rabbithole.stage2.e2e;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@link ImageLayoutCases} on stage 2 (native driver): one daemon for the class. Stage 2's image store is stage 1's,
 * the same OCI image layout stage 4 keeps. Needs root, busybox-static and the docker CLI; skipped with a reason
 * otherwise.
 */
class ImageLayoutOnStage2IT extends ImageLayoutCases {

    static Stage2Daemon daemon;
    static Path dir;

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
        dir = Files.createTempDirectory("rh-layout2-");
        daemon = new Stage2Daemon(dir, "native");
        cli = daemon::docker;
    }

    @AfterAll
    static void stopDaemon() throws Exception {
        if (daemon != null) {
            daemon.close();
        }
        if (dir != null) {
            dev.rabbithole.testsupport.HostFiles.unmountUnder(dir);
            dev.rabbithole.testsupport.HostFiles.deleteRecursively(dir);
        }
    }
}
