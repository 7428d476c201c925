package dev.rabbithole.stage2.e2e;

import dev.rabbithole.testsupport.NetworkNamespace;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@link NetworkingCases} on stage 1 (LXC makes the veth from the {@code lxc.net.0.*} keys; the daemon owns the
 * bridge {@code rh-stage1}, the addresses and the nftables rules), one daemon for the class in a network namespace
 * of its own. Needs root, lxc, busybox-static, nft and the docker CLI; skipped with a reason otherwise.
 */
class NetworkingOnStage1IT extends NetworkingCases {

    static Stage1JarDaemon daemon;

    @BeforeAll
    static void startDaemon() throws Exception {
        assumeTrue(Stage1JarDaemon.isRoot(), "containers and network namespaces need root (run sudo ./rabbithole test)");
        assumeTrue(Files.isExecutable(Path.of("/bin/busybox")), "busybox-static missing: ./rabbithole setup installs it");
        assumeTrue(onPath("lxc-execute"), "lxc is not installed");
        assumeTrue(onPath("nft"), "nft is not installed: the daemon's rules need nftables");
        assumeTrue(onPath("docker"), "the docker CLI is not installed");
        ns = NetworkNamespace.create();
        daemon = new Stage1JarDaemon(ns.launcher());
        cli = daemon::docker;
        bridge = "rh-stage1";
        subnet = "10.201.1.";
        control = new DaemonControl() {
            @Override
            public void crashAndRestart() throws Exception {
                daemon.crash();
                daemon.start();
            }

            @Override
            public void stop() throws Exception {
                daemon.stop();
            }
        };
    }

    @AfterAll
    static void stopDaemon() throws Exception {
        try {
            if (daemon != null) {
                daemon.close();
            }
        } finally {
            if (ns != null) {
                ns.close();
            }
        }
    }
}
