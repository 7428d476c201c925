package dev.rabbithole.stage3.dockerd;

import dev.rabbithole.stage2.e2e.CopyOnWriteCases;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Stage 2's {@link CopyOnWriteCases} (from stage 2's test jar) on stage 3: our dockerd, the containerd it starts, our
 * shim and our runc, one dockerd for the class: commit, diff, history, export and import are the shared daemon's,
 * over the rootfs stage 3 mounts. Needs root, containerd and the docker CLI; skipped with a reason otherwise.
 */
class CopyOnWriteOnStage3IT extends CopyOnWriteCases {

    private static DockerdFixture fx;

    @BeforeAll
    static void startDockerd() throws Exception {
        DockerdFixture.assumeCanRun();
        fx = new DockerdFixture();
        fx.ourStack = true;
        fx.startDockerd();
        cli = fx::docker;
        work = fx.dir;
    }

    @AfterAll
    static void stopDockerd() throws Exception {
        if (fx != null) {
            fx.close();
        }
    }
}
