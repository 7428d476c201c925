package dev.rabbithole.stage2.libcontainer.configs;

/**
 * One network interface libcontainer makes for a container, as old libcontainer's {@code configs.Network} with its
 * {@code veth} strategy: a veth pair made on the host, the host end enslaved to a bridge and up, the peer moved
 * into the container's new network namespace, renamed, given its MAC, MTU and address, up, with the default route
 * through the gateway.
 *
 * @param bridge        the host bridge the host end joins, e.g. {@code rabbit1}
 * @param hostInterface the host end's name, at most 15 bytes, e.g. {@code veth1a2b3c4}
 * @param name          the container end's name in the container, e.g. {@code eth0}
 * @param address       IPv4 address with prefix length, e.g. {@code 172.30.1.2/24}
 * @param gateway       the default route's gateway, e.g. {@code 172.30.1.1}; null for no default route
 * @param macAddress    the container end's MAC, e.g. {@code 02:42:ac:1e:01:02}; null for the kernel's random one
 * @param mtu           bytes for both ends; 0 for the kernel's default
 */
public record Network(String bridge, String hostInterface, String name, String address, String gateway,
                      String macAddress, int mtu) {
}
