package dev.rabbithole.stage2.execdriver;

import dev.rabbithole.stage1.execdriver.Network;
import dev.rabbithole.stage2.libcontainer.configs.ContainerConfig;
import dev.rabbithole.stage2.libcontainer.configs.NamespaceType;

import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

/**
 * The daemon's network choice ({@link Network}, Docker's {@code --network}) as libcontainer config, as the native
 * driver of Docker 1.x translated it: {@code none}, a new network namespace with loopback up (the init brings it
 * up); {@code host}, no network namespace; {@code bridge}, a new one and a veth libcontainer makes
 * ({@link dev.rabbithole.stage2.libcontainer.network.VethStrategy}); {@code container:NAME} and stage 3's
 * daemon-made namespaces, the namespace joined by path.
 */
public final class NetworkTemplate {
    private NetworkTemplate() { }

    /**
     * @param base    the config {@link DefaultTemplate#config} made (a new network namespace)
     * @param network the command's network, null for {@link Network#NONE}
     * @return the config with the network applied
     * @throws IllegalArgumentException a bridge without endpoint or a join without path
     */
    // tag::network-template[]
    public static ContainerConfig apply(ContainerConfig base, Network network) {
        if (network == null || network.mode() == Network.Mode.NONE) {
            return base;
        }
        Set<NamespaceType> ns = EnumSet.copyOf(base.namespaces());
        return switch (network.mode()) {
            case HOST -> {
                ns.remove(NamespaceType.NET);
                yield base.withNetwork(ns, null, null);
            }
            case JOIN -> {
                if (network.namespacePath() == null) {
                    throw new IllegalArgumentException("network mode JOIN without a namespace path");
                }
                yield base.withNetwork(ns, Map.of(NamespaceType.NET, network.namespacePath()), null);
            }
            case BRIDGE -> {
                Network.Endpoint e = network.endpoint();
                if (e == null) {
                    throw new IllegalArgumentException("network mode BRIDGE without an endpoint");
                }
                yield base.withNetwork(ns, null, new dev.rabbithole.stage2.libcontainer.configs.Network(e.bridge(),
                        e.hostInterface(), e.containerInterface() == null ? "eth0" : e.containerInterface(),
                        e.address(), e.gateway(), e.macAddress(), e.mtu()));
            }
            default -> base;
        };
    }
    // end::network-template[]
}
