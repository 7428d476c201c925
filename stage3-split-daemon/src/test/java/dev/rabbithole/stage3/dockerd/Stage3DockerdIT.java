package dev.rabbithole.stage3.dockerd;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Our dockerd on Debian's containerd 1.6, with Debian's {@code containerd-shim-runc-v2} and runc (issue case 5d:
 * our OCI spec and rootfs are accepted by the real containerd and runc). The cases are {@link DockerdCases}'.
 * Needs root, containerd, runc and the docker CLI.
 */
class Stage3DockerdIT extends DockerdCases {

    @BeforeAll
    static void start() throws Exception {
        DockerdFixture.assumeCanRun();
        fx = new DockerdFixture();
        fx.startDebianContainerd();
        fx.startDockerd();
    }

    @AfterAll
    static void stop() throws Exception {
        if (fx != null) {
            System.out.println("dockerd's log:\n" + fx.log());
            fx.close();
        }
    }
}
