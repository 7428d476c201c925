package dev.rabbithole.stage2.network;

import dev.rabbithole.stage1.errdefs.SystemException;
import dev.rabbithole.stage1.network.HostLinks;
import dev.rabbithole.stage1.network.IpCommandLinks;
import dev.rabbithole.stage2.libcontainer.TestConfigs;
import dev.rabbithole.stage2.libcontainer.configs.NamespaceType;
import dev.rabbithole.stage2.libcontainer.system.JnaSyscalls;
import dev.rabbithole.testsupport.JarDaemon;
import dev.rabbithole.testsupport.NetworkNamespace;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@link HostLinks#addVethInto} of both implementations ({@code ip} and rtnetlink): the daemon's side runs in a
 * namespace the test makes, the target is a process in a namespace of its own ({@code unshare -n sleep}), as a
 * running container's init.
 */
class AddVethIntoRootTest {
    NetworkNamespace ns;
    Process target;

    @BeforeEach
    void namespaces() throws Exception {
        assumeTrue(TestConfigs.isRoot(), "needs root: ip netns add, link changes");
        assumeTrue(Files.isExecutable(Path.of("/usr/sbin/ip")) || Files.isExecutable(Path.of("/sbin/ip")),
                "needs iproute2's ip");
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/unshare")) && Files.isExecutable(Path.of("/usr/bin/nsenter")),
                "needs util-linux's unshare and nsenter");
        ns = NetworkNamespace.create();
        target = new ProcessBuilder("unshare", "-n", "sleep", "120").start();
        String self = Files.readSymbolicLink(Path.of("/proc/self/ns/net")).toString();
        await().atMost(Duration.ofSeconds(10)).until(() ->
                !Files.readSymbolicLink(Path.of("/proc/" + target.pid() + "/ns/net")).toString().equals(self));
    }

    @AfterEach
    void remove() throws Exception {
        if (target != null) {
            target.destroyForcibly().waitFor();
        }
        if (ns != null) {
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

    JarDaemon.Result inTarget(String... ip) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of("nsenter", "--net=/proc/" + target.pid() + "/ns/net", "ip"));
        cmd.addAll(List.of(ip));
        return JarDaemon.exec(cmd);
    }

    @ParameterizedTest
    @ValueSource(strings = {"ip", "netlink"})
    void aSecondInterfaceIsMadeInThePidsNamespaceAndDeletedThroughItsHostEnd(String kind) throws Exception {
        HostLinks links = kind.equals("ip") ? new IpCommandLinks() : new NetlinkHostLinks();
        in(() -> {
            links.ensureBridge("rhtbr5", "10.97.6.1/24", 1500);
            links.addVethInto("rhtbr5", "rhtve5", target.pid(), "eth1", "10.97.6.3/24", "02:42:0a:61:06:03", 1500);
            return null;
        });
        String addr = inTarget("addr", "show", "eth1").out();
        assertThat(addr).contains("inet 10.97.6.3/24 brd 10.97.6.255 scope global eth1")
                .contains("link/ether 02:42:0a:61:06:03").contains(",UP");
        assertThat(inTarget("route").out()).as("no default route: that stays on the first network")
                .doesNotContain("default");
        assertThat(ns.exec("ip", "link", "show", "rhtve5").out()).contains("master rhtbr5");
        assertThat(ns.exec("busybox", "ping", "-c1", "-W5", "10.97.6.3").exit()).isZero();

        // bad input: refused, nothing half-made on either side
        assertThatThrownBy(() -> in(() -> {
            links.addVethInto("rhtbr5", "rhtve6", target.pid(), "eth2", "10.97.6.4/33", "02:42:0a:61:06:04", 1500);
            return null;
        })).isInstanceOf(SystemException.class);
        assertThat(ns.exec("ip", "link").out()).doesNotContain("rhtve6");
        assertThat(inTarget("link").out()).doesNotContain("eth2");

        in(() -> {
            links.delete("rhtve5");
            return null;
        });
        assertThat(inTarget("link").out()).doesNotContain("eth1");
        assertThat(ns.exec("ip", "link").out()).doesNotContain("rhtve5");
    }
}
