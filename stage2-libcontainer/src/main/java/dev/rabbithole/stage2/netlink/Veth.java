package dev.rabbithole.stage2.netlink;

import java.util.concurrent.ThreadLocalRandom;

/**
 * A container's veth pair made through rtnetlink, the way old libcontainer's {@code veth} strategy and libnetwork's
 * bridge driver made it: on the host a pair (the host end as named, the peer a temporary name), the host end
 * enslaved to the bridge and up, the peer moved into the container's network namespace; then, through a socket
 * opened in that namespace, the peer renamed ({@code eth0}), its MAC set, its address added, up, loopback up, and the
 * default route through the gateway. A failure part way deletes the host end (and so the pair).
 */
public final class Veth {
    private Veth() { }

    /**
     * What to make.
     *
     * @param bridge        the host bridge, e.g. {@code rh-stage2}
     * @param hostInterface the host end's name, at most 15 bytes
     * @param name          the container end's name, {@code eth0}
     * @param address       IPv4 address with prefix length, e.g. {@code 10.201.2.2/24}
     * @param gateway       the default route's gateway, or null for none
     * @param macAddress    the container end's MAC, or null for the kernel's
     * @param mtu           bytes for both ends, 0 for the default
     */
    public record Spec(String bridge, String hostInterface, String name, String address, String gateway,
                       String macAddress, int mtu) {
    }

    /**
     * Makes the pair, the peer moved by the pid of a process in the target namespace ({@code IFLA_NET_NS_PID}):
     * libcontainer's way, the init's pid.
     *
     * @param s        what to make
     * @param pid      a host pid in the container's new network namespace
     * @param recorder where the requests are recorded, or null
     * @throws NetlinkException a request the kernel refused (the message names it and the errno)
     */
    public static void createForPid(Spec s, long pid, Recorder recorder) {
        make(s, "/proc/" + pid + "/ns/net", (host, peer) -> host
                .because("the peer into the init's new network namespace").moveToPid(peer, pid), recorder);
    }

    /**
     * Makes the pair, the peer moved by a descriptor on a namespace file ({@code IFLA_NET_NS_FD}): stage 3's
     * dockerd, whose namespace exists before any container process.
     *
     * @param s             what to make
     * @param namespacePath an nsfs file, e.g. a bind mount under the daemon's exec root
     * @param recorder      where the requests are recorded, or null
     * @throws NetlinkException a request the kernel refused
     */
    public static void createIn(Spec s, String namespacePath, Recorder recorder) {
        make(s, namespacePath, (host, peer) -> {
            int fd = RtNetlink.openNamespace(namespacePath);
            try {
                host.because("the peer into the container's network namespace").moveToFd(peer, fd);
            } finally {
                RtNetlink.closeQuietly(fd);
            }
        }, recorder);
    }

    private interface Mover {
        void move(RtNetlink host, String peer);
    }

    // tag::veth-strategy[]
    private static void make(Spec n, String namespacePath, Mover mover, Recorder recorder) {
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
     * Deletes a host end (and so its pair) when it is still there.
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
