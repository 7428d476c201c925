package dev.rabbithole.stage3.dockerd;

import dev.rabbithole.stage2.e2e.RestartPolicyCases;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Stage 2's {@link RestartPolicyCases} (from stage 2's test jar) on stage 3: our dockerd, the containerd it starts,
 * our shim and our runc, one dockerd for the class. The daemon restart is a crash of dockerd (SIGKILL, no live
 * restore): the containers run on under their shims, the next dockerd's restore finds them and stops them (Docker
 * without {@code --live-restore}), then restarts those whose policy says so. Needs root, containerd and the docker
 * CLI; skipped with a reason otherwise.
 */
class RestartPolicyOnStage3IT extends RestartPolicyCases {

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

    @Override
    protected void restartDaemon() throws Exception {
        fx.killDockerd();
        fx.startDockerd();
    }
}
