package dev.rabbithole.stage2.e2e;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@link CopyOnWriteCases} on stage 1 (LXC), from stage 1's jar: one daemon for the class. Needs root, LXC,
 * busybox-static and the docker CLI; skipped with a reason otherwise.
 */
class CopyOnWriteOnStage1IT extends CopyOnWriteCases {

    static Stage1JarDaemon daemon;

    @BeforeAll
    static void startDaemon() throws Exception {
        assumeTrue(Stage1JarDaemon.isRoot(), "containers need root (run sudo ./rabbithole test)");
        assumeTrue(Files.isExecutable(Path.of("/bin/busybox")), "busybox-static missing: ./rabbithole setup installs it");
        assumeTrue(Files.isRegularFile(Stage1JarDaemon.JAR), "stage 1's jar is not built: " + Stage1JarDaemon.JAR);
        boolean haveDocker;
        try {
            haveDocker = Stage1JarDaemon.exec(List.of("docker", "--version")).exit() == 0;
        } catch (java.io.IOException e) {
            haveDocker = false;
        }
        assumeTrue(haveDocker, "the docker CLI is not installed");
        daemon = new Stage1JarDaemon();
        cli = daemon::docker;
        work = daemon.dir;
    }

    @AfterAll
    static void stopDaemon() throws Exception {
        if (daemon != null) {
            daemon.close();
        }
    }
}
