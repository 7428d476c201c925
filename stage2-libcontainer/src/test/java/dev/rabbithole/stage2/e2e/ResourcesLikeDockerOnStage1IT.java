package dev.rabbithole.stage2.e2e;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@link ResourcesLikeDockerCases} on stage 1 (its shaded jar: LXC makes the cgroups, the daemon freezes, updates
 * and reads LXC's {@code lxc.payload.ID} files), one daemon for the class. Needs root, lxc, busybox-static, the
 * docker CLI and stage 1's jar; skipped with a reason otherwise.
 */
class ResourcesLikeDockerOnStage1IT extends ResourcesLikeDockerCases {

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
    }

    @AfterAll
    static void stopDaemon() throws Exception {
        if (daemon != null) {
            daemon.close();
        }
    }
}
