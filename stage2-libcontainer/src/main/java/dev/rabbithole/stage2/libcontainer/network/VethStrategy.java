package dev.rabbithole.stage2.libcontainer.network;

import dev.rabbithole.stage2.libcontainer.configs.Network;
import dev.rabbithole.stage2.libcontainer.netlink.NetlinkException;
import dev.rabbithole.stage2.libcontainer.netlink.RtNetlink;
import dev.rabbithole.stage2.libcontainer.system.JnaSyscalls;
import dev.rabbithole.stage2.libcontainer.system.Syscalls;

import java.util.concurrent.ThreadLocalRandom;

/**
 * Old libcontainer's {@code veth} network strategy, all through rtnetlink ({@link RtNetlink}), from the parent:
 * on the host, a veth pair (the host end named as configured, the peer a temporary name), the host end enslaved
 * to the bridge and up, the peer moved into the init's network namespace ({@code IFLA_NET_NS_PID}); then, through
 * a socket opened in that namespace, the peer renamed ({@code eth0}), its MAC and MTU set, its address added, up,
 * loopback up, and the default route through the gateway. The init is waiting for its "go" meanwhile, so the
 * workload finds its network ready.
 *
 * <p>The pair goes with the container's namespace when its last process ends (the kernel deletes a veth whose peer's
 * namespace is destroyed). A failure part way deletes the host end, so a failed start leaves no veth.
 */
public final class VethStrategy {
    private VethStrategy() { }

    /**
     * Makes the container's interface, the peer moved by the init's pid ({@code IFLA_NET_NS_PID}): libcontainer's way.
     *
     * @param n        what to make
     * @param initPid  the init's host pid, in its new network namespace
     * @param recorder where the netlink requests are recorded for {@code run --explain}, or null
     * @throws NetlinkException a request the kernel refused (the message names it and the errno)
     */
    public static void create(Network n, long initPid, Syscalls recorder) {
        make(n, "/proc/" + initPid + "/ns/net", (host, peer) -> host
                .because("the peer into the init's new network namespace").moveToPid(peer, initPid), recorder);
    }

    /**
     * Makes the interface in a namespace named by path, the peer moved by a descriptor on it ({@code IFLA_NET_NS_FD}):
     * stage 3's dockerd, which makes the namespace before any container process exists.
     *
     * @param n             what to make
     * @param namespacePath an nsfs file, e.g. a bind mount under the daemon's exec root
     * @param recorder      where the requests are recorded, or null
     * @throws NetlinkException a request the kernel refused
     */
    public static void createIn(Network n, String namespacePath, Syscalls recorder) {
        make(n, namespacePath, (host, peer) -> {
            JnaSyscalls sys = new JnaSyscalls();
            int fd = sys.openNamespace(namespacePath);
            try {
                host.because("the peer into the container's network namespace").moveToFd(peer, fd);
            } finally {
                sys.close(fd);
            }
        }, recorder);
    }

    private interface Mover {
        void move(RtNetlink host, String peer);
    }

    // tag::veth-strategy[]
    private static void make(Network n, String namespacePath, Mover mover, Syscalls recorder) {
        String peer = "rhp" + String.format("%08x", ThreadLocalRandom.current().nextInt());
        boolean made = false;
        try (RtNetlink host = RtNetlink.open(recorder)) {
            host.because("a veth pair on the host; one end goes into the container").createVeth(n.hostInterface(),
                    peer, n.mtu());
            made = true;
            host.because("the host end joins the bridge").setMaster(n.hostInterface(), n.bridge());
            host.because("the host end up").up(n.hostInterface());
            mover.move(host, peer);
            try (RtNetlink ctr = RtNetlink.openIn(namespacePath, recorder)) {
                ctr.because("the container's end gets its name").rename(peer, n.name());
                if (n.macAddress() != null) {
                    ctr.because("its MAC, 02:42 and the IPv4 address, as Docker").setMac(n.name(), n.macAddress());
                }
                ctr.because("the container's address on the bridge's subnet").addAddress(n.name(), n.address());
                ctr.because("the container's end up").up(n.name());
                ctr.because("loopback up, for 127.0.0.1").up("lo");
                if (n.gateway() != null) {
                    ctr.because("the default route through the bridge").addDefaultRoute(n.name(), n.gateway());
                }
            }
        } catch (RuntimeException e) {
            if (made) {
                deleteQuietly(n.hostInterface());
            }
            throw e;
        }
    }
    // end::veth-strategy[]

    /**
     * Deletes a host end (and so its pair) when it is still there: after a failed start, or for a container whose
     * daemon died before the kernel removed it.
     *
     * @param hostInterface the host end's name
     */
    public static void deleteQuietly(String hostInterface) {
        try (RtNetlink host = RtNetlink.open(null)) {
            host.delete(hostInterface);
        } catch (RuntimeException ignored) {
            // ENODEV: gone with the namespace already
        }
    }
}
