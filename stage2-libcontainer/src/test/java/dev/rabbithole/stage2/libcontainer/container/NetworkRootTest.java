package dev.rabbithole.stage2.libcontainer.container;

import dev.rabbithole.stage2.execdriver.DockerProfiles;
import dev.rabbithole.stage2.libcontainer.TestConfigs;
import dev.rabbithole.stage2.libcontainer.configs.ContainerConfig;
import dev.rabbithole.stage2.libcontainer.configs.NamespaceType;
import dev.rabbithole.stage2.libcontainer.configs.Network;
import dev.rabbithole.stage2.libcontainer.configs.ProcessConfig;
import dev.rabbithole.stage2.netlink.Reply;
import dev.rabbithole.stage2.netlink.RtNetlink;
import dev.rabbithole.stage2.libcontainer.system.JnaSyscalls;
import dev.rabbithole.stage1.security.SeccompProfiles;
import dev.rabbithole.testsupport.NetworkNamespace;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Networking made by libcontainer, for real: the "host" is a network namespace the test makes ({@code ip netns add})
 * with a bridge in it, and the container is created from a thread that joined it (as a daemon started with
 * {@code ip netns exec} is). Checked from inside (busybox {@code ip addr}, {@code ip route}, ping of the bridge) and
 * from outside (no veth left after destroy or a failed start); a container without NET_ADMIN cannot touch links.
 */
class NetworkRootTest extends RootContainerTests {
    static final String BRIDGE = "rhbr1";
    NetworkNamespace ns;

    @BeforeEach
    void bridge() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/sbin/ip")) || Files.isExecutable(Path.of("/sbin/ip")),
                "needs iproute2's ip to make the test's namespace");
        ns = NetworkNamespace.create();
        try (RtNetlink h = RtNetlink.openIn(nsPath(), null)) {
            h.createBridge(BRIDGE, 1500);
            h.addAddress(BRIDGE, "10.98.0.1/24");
            h.up(BRIDGE);
        }
    }

    @AfterEach
    void removeNamespace() throws Exception {
        if (ns != null) {
            inNamespace(() -> {
                destroyAll();
                created.clear();
                return null;
            });
            ns.close();
        }
    }

    String nsPath() {
        return "/run/netns/" + ns.name;
    }

    /** Runs {@code body} on a thread in the test's namespace: there the parent's "host" side happens. */
    <T> T inNamespace(Callable<T> body) throws Exception {
        AtomicReference<Object> out = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                JnaSyscalls sys = new JnaSyscalls();
                int fd = sys.openNamespace(nsPath());
                sys.setns(fd, NamespaceType.NET.cloneFlag);
                sys.close(fd);
                out.set(body.call());
            } catch (Throwable e) {
                out.set(e);
            }
        }, "test-netns");
        t.start();
        t.join();
        if (out.get() instanceof Exception e) {
            throw e;
        }
        if (out.get() instanceof Error e) {
            throw e;
        }
        @SuppressWarnings("unchecked") T v = (T) out.get();
        return v;
    }

    static Network veth(String host, String address) {
        return new Network(BRIDGE, host, "eth0", address, "10.98.0.1", "02:42:0a:62:00:02", 1500);
    }

    ContainerConfig config(String script, Network n, boolean dockerCaps) {
        ContainerConfig c = TestConfigs.config(id(), rootfs, new ProcessConfig(List.of("sh", "-c", script),
                List.of("PATH=/bin"), "/", 0, 0, List.of()));
        if (dockerCaps) {
            c = TestConfigs.withSecurity(c, TestConfigs.dockerDefaultCaps(), DockerProfiles.toConfig(
                    SeccompProfiles.defaultFor(dev.rabbithole.stage1.security.Capabilities.DOCKER_DEFAULT)));
        }
        return c.withNetwork(c.namespaces(), null, n);
    }

    List<String> hostLinks() throws Exception {
        try (RtNetlink h = RtNetlink.openIn(nsPath(), null)) {
            return h.links().stream().map(Reply.Link::name).toList();
        }
    }

    @Test
    void theVethIsMadeWithTheAddressRouteAndMacAndGoesWithTheContainer() throws Exception {
        Result r = inNamespace(() -> run(config(String.join("; ", "busybox ip addr", "busybox ip route",
                "busybox ping -c 1 -W 5 10.98.0.1 >/dev/null && echo ping=ok"), veth("rhvethA", "10.98.0.2/24"), false)));
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        assertThat(r.stdout()).contains("eth0", "inet 10.98.0.2/24", "02:42:0a:62:00:02", "inet 127.0.0.1/8",
                "default via 10.98.0.1 dev eth0", "ping=ok");
        assertThat(r.stdout()).containsPattern("lo: <[A-Z,]*UP");
        assertThat(String.join("\n", r.container().kernelCalls())).contains("RTM_NEWLINK", "kind veth",
                "RTM_SETLINK", "master \"" + BRIDGE, "netns pid", "name \"eth0", "RTM_NEWADDR", "RTM_NEWROUTE");
        inNamespace(() -> {
            r.container().destroy();
            return null;
        });
        assertThat(hostLinks()).doesNotContain("rhvethA");
    }

    @Test
    void aFailedStartLeavesNoVeth() throws Exception {
        ContainerConfig c = config("true", new Network("rhnobridge", "rhvethB", "eth0", "10.98.0.3/24",
                "10.98.0.1", null, 1500), false);
        assertThatThrownBy(() -> inNamespace(() -> run(c))).hasMessageContaining("rhnobridge")
                .hasMessageContaining("ENODEV");
        assertThat(hostLinks()).doesNotContain("rhvethB");
        // and a failure after the move (a gateway off the subnet: ENETUNREACH) too
        ContainerConfig late = config("true", new Network(BRIDGE, "rhvethC", "eth0", "10.98.0.3/24",
                "10.97.0.1", null, 1500), false);
        assertThatThrownBy(() -> inNamespace(() -> run(late))).hasMessageContaining("RTM_NEWROUTE");
        assertThat(hostLinks()).doesNotContain("rhvethC");
    }

    @Test
    void withoutNetAdminTheWorkloadCannotTouchLinksAndSeesNoNetlinkOrNamespaceDescriptor() throws Exception {
        String script = String.join("; ",
                "busybox ip link add rhdummy type dummy 2>&1; echo add=$?",
                "busybox ip link del eth0 2>&1; echo del=$?",
                "busybox ip link set eth0 netns 1 2>&1; echo move=$?",
                "busybox ip link set eth0 down 2>&1; echo down=$?",
                "ls -l /proc/self/fd/ /proc/1/fd/",
                "busybox ip -o addr show eth0");
        Result r = inNamespace(() -> run(config(script, veth("rhvethD", "10.98.0.4/24"), true)));
        assertThat(r.stdout()).contains("add=2", "del=2", "move=2", "down=2");
        assertThat(r.stdout()).containsIgnoringCase("Operation not permitted");
        assertThat(r.stdout()).doesNotContain("socket:[", "net:[");
        assertThat(r.stdout()).contains("inet 10.98.0.4/24"); // eth0 still there, still its address
    }

    @Test
    void hostModeSeesTheHostsLinksAndJoinSeesTheOtherContainersAddress() throws Exception {
        ContainerConfig base = config("busybox ip link", null, false);
        Set<NamespaceType> noNet = EnumSet.copyOf(base.namespaces());
        noNet.remove(NamespaceType.NET);
        Result host = inNamespace(() -> run(base.withNetwork(noNet, null, null)));
        assertThat(host.stdout()).contains(BRIDGE);

        LinuxContainer first = inNamespace(() -> {
            LinuxContainer c = create(config("sleep 60", veth("rhvethE", "10.98.0.5/24"), false));
            c.start();
            return c;
        });
        ContainerConfig joiner = config("busybox ip addr show eth0", null, false);
        Result joined = inNamespace(() -> run(joiner.withNetwork(joiner.namespaces(),
                Map.of(NamespaceType.NET, "/proc/" + first.pid() + "/ns/net"), null)));
        assertThat(joined.stdout()).contains("inet 10.98.0.5/24");
        assertThat(String.join("\n", joined.container().kernelCalls())).contains("setns(");
        inNamespace(() -> {
            first.destroy();
            return null;
        });
        await().untilAsserted(() -> assertThat(hostLinks()).doesNotContain("rhvethE"));
    }

    @Test
    void aNamespacePathThatCannotBeJoinedIsRefusedByName() {
        ContainerConfig c = config("true", null, false);
        assertThatThrownBy(() -> create(c.withNetwork(c.namespaces(), Map.of(NamespaceType.MOUNT, "/proc/1/ns/mnt"),
                null))).hasMessageContaining("joining a mnt namespace by path is not supported");
        assertThatThrownBy(() -> create(c.withNetwork(c.namespaces(), Map.of(NamespaceType.NET, "/no/such/ns"),
                null))).hasMessageContaining("/no/such/ns");
    }
}
