package dev.rabbithole.stage2.e2e;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@link MountsLikeDockerCases} on stage 1 (the LXC driver: {@code lxc.mount.entry} lines, the targets resolved
 * inside the rootfs by the daemon), from stage 1's jar, one daemon for the class. Needs root, LXC, busybox-static
 * and the docker CLI; skipped with a reason otherwise.
 */
class MountsLikeDockerOnStage1IT extends MountsLikeDockerCases {

    @TempDir
    static Path dir;
    static Stage1JarDaemon daemon;

    @BeforeAll
    static void startDaemon() throws Exception {
        assumeTrue(Stage2Daemon.isRoot(), "containers need root (run sudo ./rabbithole test)");
        assumeTrue(Files.isExecutable(Path.of("/bin/busybox")), "busybox-static missing: ./rabbithole setup installs it");
        assumeTrue(MountsLikeDockerOnStage2IT.haveDocker(), "the docker CLI is not installed");
        assumeTrue(Files.isRegularFile(Stage1JarDaemon.JAR), "stage 1's jar " + Stage1JarDaemon.JAR + " is not built");
        daemon = new Stage1JarDaemon();
        prepare(daemon::docker, Files.createDirectories(dir.resolve("host")));
    }

    @AfterAll
    static void stopDaemon() throws Exception {
        if (daemon != null) {
            daemon.close();
        }
    }
}
