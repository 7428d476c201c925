package dev.rabbithole.stage3.dockerd;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rabbithole.stage1.errdefs.SystemException;
import dev.rabbithole.stage1.execdriver.Network;
import dev.rabbithole.stage2.libcontainer.configs.NamespaceType;
import dev.rabbithole.stage2.libcontainer.system.JnaSyscalls;
import dev.rabbithole.stage2.network.NetlinkHostLinks;
import dev.rabbithole.testsupport.JarDaemon;
import dev.rabbithole.testsupport.NetworkNamespace;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The network namespace stage 3's dockerd makes before the task ({@link NetworkSandbox}), for real: the daemon's side
 * runs on a thread in a namespace the test makes (with a bridge there), and the namespace's inside is looked at with
 * {@code nsenter --net=FILE}. After {@link NetworkSandbox#remove} no mount, file or veth is left.
 */
class NetworkSandboxRootTest {
    static final String ID = "feedface" + "0".repeat(56);
    @TempDir
    Path execRoot;
    NetworkNamespace ns;

    @BeforeEach
    void namespace() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root: unshare, mount, netlink changes");
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/nsenter")), "needs nsenter (util-linux) to look inside");
        assumeTrue(Files.isExecutable(Path.of("/usr/sbin/ip")) || Files.isExecutable(Path.of("/sbin/ip")),
                "needs iproute2's ip to make the test's namespace");
        ns = NetworkNamespace.create();
        in(() -> {
            new NetlinkHostLinks().ensureBridge("rhsbr0", "10.96.0.1/24", 1500);
            return null;
        });
    }

    @AfterEach
    void remove() throws Exception {
        if (ns != null) {
            in(() -> {
                NetworkSandbox.remove(execRoot, ID);
                return null;
            });
            ns.close();
        }
    }

    <T> T in(Callable<T> body) throws Exception {
        AtomicReference<Object> out = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                JnaSyscalls sys = new JnaSyscalls();
                int fd = sys.openNamespace("/run/netns/" + ns.name);
                sys.setns(fd, NamespaceType.NET.cloneFlag);
                sys.close(fd);
                out.set(body.call());
            } catch (Throwable e) {
                out.set(e);
            }
        });
        t.start();
        t.join();
        if (out.get() instanceof Exception e) {
            throw e;
        }
        @SuppressWarnings("unchecked") T v = (T) out.get();
        return v;
    }

    static JarDaemon.Result run(String... cmd) throws Exception {
        Path out = Files.createTempFile("sandbox-out", ".txt");
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            return new JarDaemon.Result(p.exitValue(), Files.readString(out), "");
        } finally {
            Files.deleteIfExists(out);
        }
    }

    static boolean mounted(Path file) throws Exception {
        return Files.readAllLines(Path.of("/proc/self/mountinfo")).stream().anyMatch(l -> l.contains(file.toString()));
    }

    @Test
    void aBridgeEndpointGetsANamespaceWithEth0AndTheRouteAndRemoveLeavesNothing() throws Exception {
        Network net = new Network(Network.Mode.BRIDGE, null, new Network.Endpoint("rhsbr0", "rhsveth0", "eth0",
                "10.96.0.2/24", "10.96.0.1", "02:42:0a:60:00:02", 1500));
        String path = in(() -> NetworkSandbox.create(execRoot, ID, net));
        assertThat(path).isEqualTo(execRoot.resolve("netns").resolve(ID).toString());
        assertThat(mounted(Path.of(path))).isTrue();
        String inside = run("nsenter", "--net=" + path, "ip", "addr").out();
        assertThat(inside).contains("inet 10.96.0.2/24", "02:42:0a:60:00:02", "inet 127.0.0.1/8");
        assertThat(run("nsenter", "--net=" + path, "ip", "route").out()).contains("default via 10.96.0.1 dev eth0");
        JarDaemon.Result ping = run("nsenter", "--net=" + path, "busybox", "ping", "-c", "1", "-W", "5", "10.96.0.1");
        assertThat(ping.exit()).as(ping.out()).isZero();
        assertThat(ns.exec("ip", "link", "show", "rhsveth0").out()).contains("master rhsbr0");

        in(() -> {
            NetworkSandbox.remove(execRoot, ID);
            NetworkSandbox.remove(execRoot, ID); // idempotent
            return null;
        });
        assertThat(mounted(Path.of(path))).isFalse();
        assertThat(Path.of(path)).doesNotExist();
        assertThat(ns.exec("ip", "link").out()).doesNotContain("rhsveth0");
    }

    @Test
    void noneHasLoopbackUpHostHasNoPathAndJoinKeepsItsPath() throws Exception {
        String path = in(() -> NetworkSandbox.create(execRoot, ID, Network.NONE));
        String links = run("nsenter", "--net=" + path, "ip", "addr").out();
        assertThat(links).contains("lo:", "inet 127.0.0.1/8").doesNotContain("eth0");
        assertThat(links).containsPattern("lo: <[A-Z,]*UP");
        assertThat(NetworkSandbox.create(execRoot, "other", Network.HOST)).isNull();
        assertThat(NetworkSandbox.create(execRoot, "other", new Network(Network.Mode.JOIN, path, null))).isEqualTo(path);
        assertThat(execRoot.resolve("netns").resolve("other")).doesNotExist();
    }

    @Test
    void aFailedVethLeavesNoNamespaceMountOrLink() throws Exception {
        Network net = new Network(Network.Mode.BRIDGE, null, new Network.Endpoint("rhnobridge", "rhsveth1", "eth0",
                "10.96.0.3/24", "10.96.0.1", null, 1500));
        assertThatThrownBy(() -> in(() -> NetworkSandbox.create(execRoot, ID, net))).isInstanceOf(SystemException.class)
                .hasMessageContaining("rhnobridge").hasMessageContaining("ENODEV");
        Path file = NetworkSandbox.path(execRoot, ID);
        assertThat(file).doesNotExist();
        assertThat(mounted(file)).isFalse();
        assertThat(ns.exec("ip", "link").out()).doesNotContain("rhsveth1");
    }

    @Test
    void theSpecNamesTheNamespaceByPathOrDropsItAndTheNetSysctlsForTheHost() {
        ObjectNode spec = new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode();
        ObjectNode linux = spec.putObject("linux");
        for (String t : List.of("mount", "network", "uts", "pid", "ipc")) {
            linux.withArray("namespaces").addObject().put("type", t);
        }
        linux.putObject("sysctl").put("net.ipv4.ip_unprivileged_port_start", "0").put("kernel.msgmax", "1");
        ObjectNode joined = spec.deepCopy();
        OciSpec.network(joined, "/run/x/netns/abc");
        assertThat(joined.at("/linux/namespaces/1").toString())
                .isEqualTo("{\"type\":\"network\",\"path\":\"/run/x/netns/abc\"}");
        assertThat(joined.at("/linux/sysctl").has("net.ipv4.ip_unprivileged_port_start")).isTrue();
        OciSpec.network(spec, null);
        List<String> types = new ArrayList<>();
        spec.at("/linux/namespaces").forEach(n -> types.add(n.get("type").asText()));
        assertThat(types).containsExactly("mount", "uts", "pid", "ipc");
        assertThat(spec.at("/linux/sysctl").toString()).isEqualTo("{\"kernel.msgmax\":\"1\"}");
    }
}
