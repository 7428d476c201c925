package dev.rabbithole.stage3.dockerd;

import dev.rabbithole.stage2.e2e.SecurityLikeDockerCases;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Stage 2's {@link SecurityLikeDockerCases} (from stage 2's test jar) on stage 3: our dockerd, the containerd it starts, our
 * shim and our runc (this module's {@code bin}), one dockerd for the class. Needs root, containerd and the docker
 * CLI; skipped with a reason otherwise.
 */
class SecurityLikeDockerOnStage3IT extends SecurityLikeDockerCases {

    private static DockerdFixture fx;

    @BeforeAll
    static void startDockerd() throws Exception {
        DockerdFixture.assumeCanRun();
        fx = new DockerdFixture();
        fx.ourStack = true;
        fx.startDockerd();
        cli = fx::docker;
        java.nio.file.Path archive = fx.dir.resolve("groups.tar");
        dev.rabbithole.testsupport.GroupsImage.write(archive, dev.rabbithole.testsupport.GroupsImage.hostArch());
        var load = fx.docker("load", "-i", archive.toString());
        if (load.exit() != 0) {
            throw new IllegalStateException("docker load of the groups image: " + load);
        }
    }

    @AfterAll
    static void stopDockerd() throws Exception {
        if (fx != null) {
            fx.close();
        }
    }
}
