package dev.rabbithole.stage3.dockerd;

import dev.rabbithole.stage2.e2e.ImageLayoutCases;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Stage 2's {@link ImageLayoutCases} (from stage 2's test jar) on stage 3: our dockerd, the containerd it starts, our
 * shim and our runc, one dockerd for the class. Images are dockerd's alone (stage 1's store, an OCI image layout);
 * the runtime only runs the loaded images. Needs root, containerd and the docker CLI; skipped with a reason otherwise.
 */
class ImageLayoutOnStage3IT extends ImageLayoutCases {

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
