package dev.rabbithole.stage2.e2e;

import dev.rabbithole.testsupport.DebianDockerd;
import dev.rabbithole.testsupport.JarDaemon;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@link CopyOnWriteCases} on Debian's dockerd 20.10 with the same busybox layer: the oracle, showing that what
 * the cases expect of our stages is what Docker does. Needs root, dockerd and the docker CLI; skipped otherwise.
 */
class CopyOnWriteOnDockerdIT extends CopyOnWriteCases {

    static DebianDockerd dockerd;

    @BeforeAll
    static void startDockerd() throws Exception {
        assumeTrue(JarDaemon.isRoot(), "dockerd needs root (run sudo ./rabbithole test)");
        assumeTrue(DebianDockerd.find().isPresent(), "dockerd is not installed (Debian's docker.io)");
        assumeTrue(Files.isExecutable(Path.of("/bin/busybox")), "busybox-static missing: ./rabbithole setup installs it");
        dockerd = DifferentialRun.startDocker();
        cli = args -> {
            List<String> cmd = new ArrayList<>(List.of("docker", "-H", dockerd.host()));
            cmd.addAll(List.of(args));
            return JarDaemon.exec(cmd);
        };
        work = dockerd.dir;
    }

    @AfterAll
    static void stopDockerd() throws Exception {
        if (dockerd != null) {
            dockerd.close();
        }
    }
}
