package dev.rabbithole.stage2.network;

import dev.rabbithole.stage1.errdefs.SystemException;
import dev.rabbithole.stage2.libcontainer.TestConfigs;
import dev.rabbithole.stage2.libcontainer.configs.NamespaceType;
import dev.rabbithole.stage2.libcontainer.system.JnaSyscalls;
import dev.rabbithole.testsupport.NetworkNamespace;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** {@link NetlinkHostLinks} in a network namespace the test makes, called from a thread that joined it. */
class NetlinkHostLinksRootTest {
    NetworkNamespace ns;
    final NetlinkHostLinks links = new NetlinkHostLinks();

    @BeforeEach
    void namespace() throws Exception {
        assumeTrue(TestConfigs.isRoot(), "needs root: ip netns add, link changes");
        assumeTrue(Files.isExecutable(Path.of("/usr/sbin/ip")) || Files.isExecutable(Path.of("/sbin/ip")),
                "needs iproute2's ip to make the test's namespace");
        ns = NetworkNamespace.create();
    }

    @AfterEach
    void remove() throws Exception {
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

    @Test
    void bridgeIsMadeOnceWithItsAddressUpAndItsRouteThenDeleted() throws Exception {
        in(() -> {
            links.ensureBridge("rhtbr0", "10.97.3.1/24", 1500);
            links.ensureBridge("rhtbr0", "10.97.3.1/24", 1500); // idempotent
            return null;
        });
        String ip = ns.exec("ip", "addr", "show", "rhtbr0").out();
        assertThat(ip).contains("inet 10.97.3.1/24 brd 10.97.3.255").contains(",UP");
        assertThat(ns.exec("ip", "-d", "link", "show", "rhtbr0").out()).contains("bridge");
        assertThat(in(() -> links.exists("rhtbr0"))).isTrue();
        assertThat(in(() -> links.exists("rhtbr9"))).isFalse();
        assertThat(in(() -> links.names("rhtbr"))).containsExactly("rhtbr0");
        assertThat(in(links::routes)).contains("10.97.3.0/24");
        assertThat(links.exists("rhtbr0")).as("not in the test JVM's own namespace").isFalse();

        ns.exec("ip", "link", "add", "rhtv0", "type", "veth", "peer", "name", "rhtv1");
        assertThat(in(() -> links.names("rhtv"))).containsExactly("rhtv0", "rhtv1");
        in(() -> {
            links.delete("rhtv1"); // a pair goes through either end
            links.delete("rhtv1"); // gone is success
            links.delete("rhtbr0");
            return null;
        });
        assertThat(ns.exec("ip", "link").out()).doesNotContain("rhtv0", "rhtbr0");
    }

    @Test
    void badInputAndRefusalsAreSystemErrorsNamingTheRequest() throws Exception {
        assertThatThrownBy(() -> in(() -> {
            links.ensureBridge("a-name-that-is-far-too-long", "10.97.4.1/24", 1500);
            return null;
        })).isInstanceOf(SystemException.class).hasMessageContaining("1 to 15 bytes");
        assertThatThrownBy(() -> in(() -> {
            links.ensureBridge("rhtbr1", "10.97.4.1/33", 1500);
            return null;
        })).isInstanceOf(SystemException.class).hasMessageContaining("prefix length");
        assertThat(ns.exec("ip", "link").out()).as("nothing half-made").doesNotContain("rhtbr1");
        ns.exec("ip", "link", "add", "rhtv2", "type", "veth", "peer", "name", "rhtv3");
        assertThatThrownBy(() -> in(() -> {
            links.ensureBridge("rhtv2", "10.97.5.1/24", 1500);
            return null;
        })).isInstanceOf(SystemException.class).hasMessage("link rhtv2 exists and is not a bridge (its kind: veth)");
        assertThat(ns.exec("ip", "addr", "show", "rhtv2").out()).doesNotContain("10.97.5.1");
        assertThatThrownBy(() -> in(() -> {
            links.ensureBridge("rhtbr2", "300.1.1.1/8", 0);
            return null;
        })).isInstanceOf(SystemException.class).hasMessageContaining("not an IPv4 address");
    }
}
