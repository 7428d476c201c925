package dev.rabbithole.stage3.dockerd;

import dev.rabbithole.stage2.e2e.NetworkingCases;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * {@link NetworkingCases} on stage 3 with the whole stack ours: our dockerd makes the network namespace, its
 * containerd runs our shim and our runc, whose libcontainer joins the namespace by path on its spawning thread.
 */
class NetworkingOnStage3OurStackIT extends NetworkingCases {

    @BeforeAll
    static void startDockerd() throws Exception {
        NetworkingOnStage3IT.start(true);
    }

    @AfterAll
    static void stop() throws Exception {
        NetworkingOnStage3IT.stopAll();
    }
}
