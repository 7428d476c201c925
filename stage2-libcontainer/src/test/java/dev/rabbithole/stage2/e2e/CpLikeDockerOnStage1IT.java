package dev.rabbithole.stage2.e2e;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@link CpLikeDockerCases} on stage 1 (its shaded jar's daemon, the LXC driver): one daemon for the class. Needs root,
 * busybox-static, lxc, stage 1's jar and the docker CLI; skipped with a reason otherwise.
 */
class CpLikeDockerOnStage1IT extends CpLikeDockerCases {

    static Stage1JarDaemon daemon;

    @BeforeAll
    static void startDaemon() throws Exception {
        assumeTrue(Stage2Daemon.isRoot(), "containers need root (run sudo ./rabbithole test)");
        assumeTrue(Files.isExecutable(Path.of("/bin/busybox")), "busybox-static missing: ./rabbithole setup installs it");
        assumeTrue(Files.isRegularFile(Stage1JarDaemon.JAR), "stage 1's jar " + Stage1JarDaemon.JAR + " is not built");
        boolean tools;
        try {
            tools = Stage2Daemon.exec(List.of("docker", "--version")).exit() == 0
                    && Stage2Daemon.exec(List.of("lxc-execute", "--version")).exit() == 0;
        } catch (java.io.IOException e) {
            tools = false;
        }
        assumeTrue(tools, "the docker CLI or lxc is not installed");
        daemon = new Stage1JarDaemon();
        cli = daemon::docker;
        host = daemon.host();
    }

    @AfterAll
    static void stopDaemon() throws Exception {
        if (daemon != null) {
            daemon.close();
        }
    }
}
