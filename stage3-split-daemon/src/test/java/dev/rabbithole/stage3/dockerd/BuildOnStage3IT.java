package dev.rabbithole.stage3.dockerd;

import dev.rabbithole.stage2.e2e.BuildCases;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Stage 2's {@link BuildCases} (from stage 2's test jar) on stage 3: our dockerd runs each RUN step through the
 * containerd it starts, our shim and our runc (this module's {@code bin}); one dockerd for the class. Needs root,
 * containerd and the docker CLI; skipped with a reason otherwise.
 */
class BuildOnStage3IT extends BuildCases {

    private static DockerdFixture fx;

    @BeforeAll
    static void startDockerd() throws Exception {
        DockerdFixture.assumeCanRun();
        fx = new DockerdFixture();
        fx.ourStack = true;
        fx.startDockerd();
        host = fx.host();
    }

    @AfterAll
    static void stopDockerd() throws Exception {
        if (fx != null) {
            fx.close();
        }
    }
}
