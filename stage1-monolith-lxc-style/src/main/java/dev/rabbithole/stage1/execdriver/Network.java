package dev.rabbithole.stage1.execdriver;

/**
 * The network a container's process gets (Docker's {@code --network}), as the daemon decided it; how the
 * namespace and its interface are made is the exec driver's: LXC through {@code lxc.net.*} keys (stage 1),
 * libcontainer through rtnetlink (stage 2), a network namespace the daemon makes and the OCI spec names by path
 * (stage 3).
 *
 * @param mode          how the container's network namespace is chosen
 * @param namespacePath for {@link Mode#JOIN}: the network namespace to join ({@code /proc/PID/ns/net} of another
 *                      container's process, or a bind-mounted namespace under the daemon's exec root); else null
 * @param endpoint      for {@link Mode#BRIDGE}: the interface to make; else null
 */
public record Network(Mode mode, String namespacePath, Endpoint endpoint) {

    /** A new network namespace with loopback only: {@code --network none}, and every container before networking. */
    public static final Network NONE = new Network(Mode.NONE, null, null);

    /** The host's network namespace: {@code --network host}. */
    public static final Network HOST = new Network(Mode.HOST, null, null);

    /** How the container's network namespace is chosen. */
    public enum Mode {
        /** a new namespace with only loopback, up */
        NONE,
        /** no new namespace: the host's */
        HOST,
        /** a new namespace with loopback and one veth end, named as {@link Endpoint#containerInterface()} */
        BRIDGE,
        /** an existing namespace, joined by path ({@code --network container:NAME}, stage 3's daemon-made one) */
        JOIN
    }

    /**
     * One veth pair: the host end enslaved to a bridge, the other in the container's namespace.
     *
     * @param bridge             the host bridge the host end joins ({@code rabbit1}, ...)
     * @param hostInterface      the host end's name, at most 15 bytes ({@code vethXXXXXXX})
     * @param containerInterface the container end's name, {@code eth0}
     * @param address            the container's IPv4 address with prefix length ({@code 172.30.1.2/24})
     * @param gateway            the bridge's address, the container's default route ({@code 172.30.1.1})
     * @param macAddress         the container end's MAC, {@code 02:42:} then the address's four bytes, as Docker
     * @param mtu                bytes; 1500 unless the bridge's is smaller
     */
    public record Endpoint(String bridge, String hostInterface, String containerInterface, String address,
                           String gateway, String macAddress, int mtu) {
    }
}
