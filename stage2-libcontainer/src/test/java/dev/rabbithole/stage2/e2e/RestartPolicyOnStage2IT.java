package dev.rabbithole.stage2.e2e;

import dev.rabbithole.testsupport.JarDaemon;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@link RestartPolicyCases} on stage 2 (the native driver, libcontainer, from stage 2's jar): one daemon for the class; the
 * daemon restart is an administrator's stop (SIGTERM, which kills the containers), then a start. (Our client's
 * {@code wait --condition} is tested on stage 1: the client is the same jar code.) Needs root, busybox-static and the docker CLI; skipped with a reason otherwise.
 */
class RestartPolicyOnStage2IT extends RestartPolicyCases {

    @org.junit.jupiter.api.io.TempDir
    static Path dir;
    static Stage2Daemon daemon;

    @BeforeAll
    static void startDaemon() throws Exception {
        assumeTrue(JarDaemon.isRoot(), "containers need root (run sudo ./rabbithole test)");
        assumeTrue(Files.isExecutable(Path.of("/bin/busybox")), "busybox-static missing: ./rabbithole setup installs it");
        assumeTrue(Files.isRegularFile(Stage2Daemon.JAR), "stage 2's jar " + Stage2Daemon.JAR + " is not built");
        boolean haveDocker;
        try {
            haveDocker = JarDaemon.exec(List.of("docker", "--version")).exit() == 0;
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

    @Override
    protected void restartDaemon() throws Exception {
        daemon.stop();
        daemon.start();
    }
}
