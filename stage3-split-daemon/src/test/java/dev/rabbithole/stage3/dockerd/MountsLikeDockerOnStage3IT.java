package dev.rabbithole.stage3.dockerd;

import dev.rabbithole.stage2.e2e.MountsLikeDockerCases;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import java.nio.file.Files;

/**
 * Stage 2's {@link MountsLikeDockerCases} (from stage 2's test jar) on stage 3: our dockerd writes the mounts and
 * {@code root.readonly} into the OCI spec, our runc hands them to libcontainer; one dockerd for the class, our
 * containerd, shim and runc. Needs root, containerd and the docker CLI; skipped with a reason otherwise.
 */
class MountsLikeDockerOnStage3IT extends MountsLikeDockerCases {

    private static DockerdFixture fx;

    @BeforeAll
    static void startDockerd() throws Exception {
        DockerdFixture.assumeCanRun();
        fx = new DockerdFixture();
        fx.ourStack = true;
        fx.startDockerd();
        prepare(fx::docker, Files.createDirectories(fx.dir.resolve("host")));
    }

    @AfterAll
    static void stopDockerd() throws Exception {
        if (fx != null) {
            fx.close();
        }
    }
}
