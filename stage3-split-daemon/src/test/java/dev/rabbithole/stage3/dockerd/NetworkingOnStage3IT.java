package dev.rabbithole.stage3.dockerd;

import dev.rabbithole.stage2.e2e.NetworkingCases;
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
 * {@link NetworkingCases} on stage 3: our dockerd makes each container's network namespace before the task
 * ({@link NetworkSandbox}: bind-mounted under its exec root, the veth made through rtnetlink) and names it by path in
 * the OCI spec; the containerd it supervises runs Debian's shim and Debian's runc, which join it. One dockerd for the
 * class, in a network namespace of the test's. Needs root, containerd, runc, nft and the docker CLI.
 */
class NetworkingOnStage3IT extends NetworkingCases {

    static DockerdFixture fx;

    @BeforeAll
    static void startDockerd() throws Exception {
        start(false);
    }

    /**
     * Starts dockerd in a new test namespace and sets the shared cases' fields.
     *
     * @param ourStack dockerd's defaults (our shim and our runc) instead of Debian's shim and runc
     */
    static void start(boolean ourStack) throws Exception {
        DockerdFixture.assumeCanRun();
        assumeTrue(DockerdMain.onPath("nft", System.getenv("PATH") + ":/usr/sbin"),
                "nft is not installed: the daemon's rules need nftables");
        ns = NetworkNamespace.create();
        fx = new DockerdFixture();
        fx.launcher = ns.launcher();
        fx.ourStack = ourStack;
        fx.startDockerd();
        cli = fx::docker;
        bridge = "rh-stage3";
        subnet = "10.201.3.";
        control = new DaemonControl() {
            @Override
            public void crashAndRestart() throws Exception {
                java.util.List<String> running = fx.docker("ps", "-q").out().lines().toList();
                fx.killDockerd();
                // the containerd the dead dockerd started lives on (as on a host); the new dockerd joins its mount
                // namespace (the launcher made a private one), so that runc sees the namespaces it bind-mounts
                String containerd = Files.readString(fx.execRoot.resolve("containerd/containerd.pid")).strip();
                fx.launcher = java.util.List.of("nsenter", "--net=/run/netns/" + ns.name,
                        "--mount=/proc/" + containerd + "/ns/mnt");
                fx.startDockerd();
                // stage 3's containers outlive a killed dockerd; without --live-restore the new one stops them
                // (SIGTERM, SIGKILL after 10 s): docker wait returns once the daemon has handled each exit
                for (String id : running) {
                    fx.docker("wait", id);
                }
                assertThat(fx.docker("ps", "-q").out()).isEmpty();
            }

            @Override
            public void stop() throws Exception {
                fx.stopDockerd();
            }
        };
    }

    /** Stage 3's own: the spec names the namespace dockerd made, by path, and the namespace goes with the task. */
    @Test
    @Order(0)
    public void theSpecNamesTheNamespaceDockerdMadeByPath() throws Exception {
        String id = fx.docker("run", "-d", "busybox", "sleep", "60").out().strip();
        try {
            Path file = NetworkSandbox.path(fx.execRoot, id);
            Path config;
            try (var files = Files.walk(fx.dataRoot)) {
                config = files.filter(p -> p.endsWith("config.json") && p.toString().contains(id)
                        && p.getParent().getFileName().toString().equals("containerd")).findFirst().orElseThrow();
            }
            var namespaces = new com.fasterxml.jackson.databind.ObjectMapper().readTree(config.toFile())
                    .at("/linux/namespaces");
            assertThat(namespaces.toString()).contains("{\"type\":\"network\",\"path\":\"" + file + "\"}");
            assertThat(file).exists();
            var inside = fx.docker("exec", id, "ip", "-o", "-4", "addr", "show", "eth0");
            assertThat(inside.out()).as(inside.toString()).contains("inet " + subnet);
        } finally {
            fx.docker("rm", "-f", id);
        }
        assertThat(NetworkSandbox.path(fx.execRoot, id)).doesNotExist();
    }

    @AfterAll
    static void stop() throws Exception {
        stopAll();
    }

    /** Stops dockerd and its processes, removes the test namespace. */
    static void stopAll() throws Exception {
        try {
            if (fx != null) {
                fx.close();
            }
        } finally {
            if (ns != null) {
                ns.close();
            }
        }
    }
}
