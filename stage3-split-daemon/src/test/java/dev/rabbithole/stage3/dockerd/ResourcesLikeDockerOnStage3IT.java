package dev.rabbithole.stage3.dockerd;

import dev.rabbithole.stage2.e2e.ResourcesLikeDockerCases;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Stage 2's {@link ResourcesLikeDockerCases} (from stage 2's test jar) on stage 3: our dockerd, the containerd it
 * starts, our shim and our runc ({@code Tasks.Pause/Resume/Update/Metrics/ListPids} down to {@code runc
 * pause/resume/update/events --stats/ps}), one dockerd for the class. Needs root, containerd and the docker CLI;
 * skipped with a reason otherwise.
 */
class ResourcesLikeDockerOnStage3IT extends ResourcesLikeDockerCases {

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
