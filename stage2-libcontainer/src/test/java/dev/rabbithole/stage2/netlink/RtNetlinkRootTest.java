package dev.rabbithole.stage2.netlink;

import dev.rabbithole.stage2.libcontainer.TestConfigs;
import dev.rabbithole.stage2.libcontainer.system.JnaSyscalls;
import dev.rabbithole.testsupport.JarDaemon;
import dev.rabbithole.testsupport.NetworkNamespace;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * rtnetlink for real, inside two network namespaces the test makes ({@code ip netns add}): a bridge with an address,
 * a veth pair whose host end joins it, the peer moved into the second namespace by descriptor, renamed, given a MAC,
 * an address, up, a default route; then a ping across, the dumps, the errors, and the delete. {@code ip} only checks.
 */
class RtNetlinkRootTest {
    NetworkNamespace host;
    NetworkNamespace box;

    @BeforeEach
    void namespaces() throws Exception {
        assumeTrue(TestConfigs.isRoot(), "needs root: ip netns add, netlink requests that change links");
        assumeTrue(Files.isExecutable(Path.of("/usr/sbin/ip")) || Files.isExecutable(Path.of("/sbin/ip")),
                "needs iproute2's ip to make the test's namespaces");
        host = NetworkNamespace.create();
        box = NetworkNamespace.create();
    }

    @AfterEach
    void remove() throws Exception {
        if (box != null) {
            box.close();
        }
        if (host != null) {
            host.close();
        }
    }

    private static String path(NetworkNamespace ns) {
        return "/run/netns/" + ns.name;
    }

    @Test
    void bridgeVethMoveAddressRouteAndPing() throws Exception {
        java.util.List<String> recorded = new java.util.concurrent.CopyOnWriteArrayList<>();
        Recorder rec = (reason, call, args) -> recorded.add(call + "(" + String.join(", ", args) + ")");
        try (RtNetlink h = RtNetlink.openIn(path(host), rec)) {
            h.createBridge("rhbr0", 1500);
            h.addAddress("rhbr0", "10.99.0.1/24");
            h.up("rhbr0");
            h.createVeth("rhv0", "rhv0p", 1400);
            h.setMaster("rhv0", "rhbr0");
            h.up("rhv0");
            int fd = new JnaSyscalls().openNamespace(path(box));
            try {
                h.moveToFd("rhv0p", fd);
            } finally {
                new JnaSyscalls().close(fd);
            }
            assertThat(h.links()).extracting(Reply.Link::name).contains("lo", "rhbr0", "rhv0").doesNotContain("rhv0p");
            Reply.Link veth = h.links().stream().filter(l -> l.name().equals("rhv0")).findFirst().orElseThrow();
            assertThat(veth.master()).isEqualTo(h.index("rhbr0"));
            assertThat(veth.kind()).isEqualTo("veth");
            assertThat(veth.mtu()).isEqualTo(1400);
            assertThat(h.routes()).contains("10.99.0.0/24");

            assertThatThrownBy(() -> h.createBridge("rhbr0", 0)).isInstanceOf(NetlinkException.class)
                    .hasMessageContaining("RTM_NEWLINK").hasMessageContaining("File exists (EEXIST)");
            assertThatThrownBy(() -> h.up("nosuchlink")).isInstanceOf(NetlinkException.class)
                    .hasMessageContaining("No such device (ENODEV)");
        }
        try (RtNetlink b = RtNetlink.openIn(path(box), rec)) {
            b.rename("rhv0p", "eth0");
            b.setMac("eth0", "02:42:0a:63:00:02");
            b.addAddress("eth0", "10.99.0.2/24");
            b.up("eth0");
            b.addDefaultRoute("eth0", "10.99.0.1");
            assertThat(b.routes()).contains("0.0.0.0/0", "10.99.0.0/24");
            assertThatThrownBy(() -> b.addDefaultRoute("eth0", "10.99.0.1")).isInstanceOf(NetlinkException.class)
                    .hasMessageContaining("EEXIST");
        }
        JarDaemon.Result addr = box.exec("ip", "addr", "show", "eth0");
        assertThat(addr.out()).contains("inet 10.99.0.2/24 brd 10.99.0.255").contains("02:42:0a:63:00:02")
                .contains("mtu 1400").contains("UP");
        assertThat(box.exec("ip", "route").out()).contains("default via 10.99.0.1 dev eth0");
        JarDaemon.Result ping = box.exec("busybox", "ping", "-c", "1", "-W", "5", "10.99.0.1");
        assertThat(ping.exit()).as(ping.toString()).isZero();
        // every change was recorded, in order, for run --explain
        assertThat(recorded).anySatisfy(s -> assertThat(s).contains("RTM_NEWLINK").contains("kind veth"))
                .anySatisfy(s -> assertThat(s).contains("RTM_SETLINK").contains("netns fd"))
                .anySatisfy(s -> assertThat(s).contains("RTM_NEWROUTE").contains("default via 10.99.0.1"));

        try (RtNetlink h = RtNetlink.openIn(path(host), null)) {
            h.delete("rhv0");
            assertThat(h.links()).extracting(Reply.Link::name).doesNotContain("rhv0");
            assertThatThrownBy(() -> h.delete("rhv0")).hasMessageContaining("ENODEV");
            h.delete("rhbr0");
        }
        assertThat(box.exec("ip", "link").out()).doesNotContain("eth0"); // the pair went with either end
    }

    @Test
    void aSocketInAMissingNamespaceIsRefusedByName() {
        assertThatThrownBy(() -> RtNetlink.openIn("/run/netns/rh-no-such-namespace", null))
                .isInstanceOf(NetlinkException.class).hasMessageContaining("rh-no-such-namespace")
                .hasMessageContaining("ENOENT");
    }
}
