package dev.rabbithole.stage3.dockerd;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Our dockerd on our containerd ({@code rabbithole stage3 containerd}) with Debian's {@code containerd-shim-runc-v2}
 * and runc. The cases are {@link DockerdCases}'. Needs root, containerd's runc shim, runc and the docker CLI.
 */
class Stage3DockerdOurContainerdIT extends DockerdCases {

    @BeforeAll
    static void start() throws Exception {
        DockerdFixture.assumeCanRun();
        fx = new DockerdFixture();
        fx.startOurContainerd();
        fx.startDockerd();
    }

    @AfterAll
    static void stop() throws Exception {
        if (fx != null) {
            System.out.println("dockerd's log:\n" + fx.log());
            System.out.println("containerd's log:\n" + DockerdFixture.read(fx.dir.resolve("containerd.log")));
            fx.close();
        }
    }
}
