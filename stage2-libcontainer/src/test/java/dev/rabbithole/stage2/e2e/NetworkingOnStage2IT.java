package dev.rabbithole.stage2.e2e;

import dev.rabbithole.testsupport.NetworkNamespace;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@link NetworkingCases} on stage 2's native driver: libcontainer makes each veth itself through rtnetlink (no
 * {@code ip} command) and moves it into the init's new network namespace; the daemon owns the bridge
 * {@code rh-stage2} through {@code NetlinkHostLinks}, and the addresses and nftables rules. One daemon for the class,
 * in a network namespace of its own. Needs root, busybox-static, nft and the docker CLI; skipped with a reason
 * otherwise.
 */
class NetworkingOnStage2IT extends NetworkingCases {

    static Stage2Daemon daemon;
    static Path dataRoot;

    @BeforeAll
    static void startDaemon() throws Exception {
        assumeTrue(Stage1JarDaemon.isRoot(), "containers and network namespaces need root (run sudo ./rabbithole test)");
        assumeTrue(Files.isExecutable(Path.of("/bin/busybox")), "busybox-static missing: ./rabbithole setup installs it");
        assumeTrue(onPath("nft"), "nft is not installed: the daemon's rules need nftables");
        assumeTrue(onPath("docker"), "the docker CLI is not installed");
        ns = NetworkNamespace.create();
        dataRoot = Files.createTempDirectory("rh-stage2-net-");
        daemon = new Stage2Daemon(dataRoot, "native", ns.launcher());
        cli = daemon::docker;
        bridge = "rh-stage2";
        subnet = "10.201.2.";
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

    /** Stage 2's own: {@code run --explain} shows the netlink requests libcontainer made for the veth. */
    @Test
    @Order(0)
    public void explainShowsTheNetlinkCalls() throws Exception {
        var r = daemon.client("run", "-d", "--explain", "--name", "explained", "busybox", "sleep", "60");
        try {
            assertThat(r.exit()).as(r.toString()).isZero();
            assertThat(r.out() + r.err()).contains("RTM_NEWLINK", "kind veth", "RTM_SETLINK", "netns pid",
                    "RTM_NEWADDR", "RTM_NEWROUTE");
        } finally {
            daemon.docker("rm", "-f", "explained");
        }
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
            if (dataRoot != null) {
                dev.rabbithole.testsupport.HostFiles.deleteRecursively(dataRoot); // not a JUnit temporary directory
            }
        }
    }
}
