package dev.rabbithole.stage1.network;

import java.util.List;

/**
 * The daemon's hand on the host's network links: its bridge and the host ends of veth pairs it must remove. Stage 1
 * runs iproute2's {@code ip} as Docker 0.x did; stage 2 and later speak rtnetlink (rtnetlink(7)) themselves, as
 * libcontainer's netlink package did. Every method is idempotent where it says so, so that a daemon restarted after
 * a {@code kill -9} can remove what the dead one left.
 */
public interface HostLinks {

    /**
     * Makes a bridge (or keeps the one there), gives it the address and brings it up.
     *
     * @param name    the bridge's name, at most 15 bytes ({@code IFNAMSIZ - 1})
     * @param address its IPv4 address with prefix length, e.g. {@code 172.30.1.1/24}
     * @param mtu     bytes
     * @throws dev.rabbithole.stage1.errdefs.SystemException the kernel refused (the message says which call and why)
     */
    void ensureBridge(String name, String address, int mtu);

    /**
     * Deletes a link (a bridge, or a veth pair through either end). A link that is not there is success.
     *
     * @param name the link's name
     */
    void delete(String name);

    /**
     * @param name a link's name
     * @return true when the host has a link of that name
     */
    boolean exists(String name);

    /**
     * @param prefix a name prefix, e.g. the daemon's veth prefix
     * @return the names of the host's links that start with it
     */
    List<String> names(String prefix);

    /**
     * Makes a veth pair whose host end joins a bridge and whose other end is made inside the network namespace of a
     * running process ({@code /proc/PID/ns/net}), named, addressed and up there, without a default route: the second
     * and later interfaces of {@code docker network connect} (Engine API {@code POST /networks/{id}/connect}). A
     * failure part way deletes the host end (and so the pair). Remove it with {@link #delete} of the host end.
     *
     * @param bridge   the host bridge the host end joins
     * @param hostEnd  the host end's name, at most 15 bytes
     * @param pid      a host pid in the target network namespace (the container's init)
     * @param ifname   the name inside, e.g. {@code eth1}
     * @param address  IPv4 address with prefix length, e.g. {@code 10.202.1.2/24}
     * @param mac      the inside end's MAC, {@code 02:42:..}
     * @param mtu      bytes for both ends
     * @throws dev.rabbithole.stage1.errdefs.SystemException the kernel (or the program) refused
     */
    void addVethInto(String bridge, String hostEnd, long pid, String ifname, String address, String mac, int mtu);

    /** @return the IPv4 routes of the host's main table as {@code ADDRESS/PREFIX} (to refuse overlapping subnets) */
    List<String> routes();
}
