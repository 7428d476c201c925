package dev.rabbithole.stage3.dockerd;

import dev.rabbithole.stage2.e2e.DockerBehaviourCases;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Stage 2's {@link DockerBehaviourCases} (from stage 2's test jar) on stage 3: our dockerd, the containerd it starts, our
 * shim and our runc (this module's {@code bin}), one dockerd for the class. Needs root, containerd and the docker
 * CLI; skipped with a reason otherwise.
 */
class DockerBehaviourOnStage3IT extends DockerBehaviourCases {

    private static DockerdFixture fx;

    @BeforeAll
    static void startDockerd() throws Exception {
        DockerdFixture.assumeCanRun();
        fx = new DockerdFixture();
        fx.ourStack = true;
        fx.startDockerd();
        cli = fx::docker;
    }

    @AfterAll
    static void stopDockerd() throws Exception {
        if (fx != null) {
            fx.close();
        }
    }
}
