package dev.rabbithole.stage3.dockerd;

import dev.rabbithole.stage2.e2e.CpLikeDockerCases;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Stage 2's {@link CpLikeDockerCases} (from stage 2's test jar) on stage 3: our dockerd, the containerd it starts, our
 * shim and our runc, one dockerd for the class. {@code docker cp} is dockerd's alone: it works on the rootfs dockerd
 * mounted, whatever runs the container. Needs root, containerd and the docker CLI; skipped with a reason otherwise.
 */
class CpLikeDockerOnStage3IT extends CpLikeDockerCases {

    private static DockerdFixture fx;

    @BeforeAll
    static void startDockerd() throws Exception {
        DockerdFixture.assumeCanRun();
        fx = new DockerdFixture();
        fx.ourStack = true;
        fx.startDockerd();
        cli = fx::docker;
        host = fx.host();
    }

    @AfterAll
    static void stopDockerd() throws Exception {
        if (fx != null) {
            fx.close();
        }
    }
}
