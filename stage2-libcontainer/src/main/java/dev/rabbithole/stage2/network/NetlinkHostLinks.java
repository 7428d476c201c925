package dev.rabbithole.stage2.network;

import dev.rabbithole.stage1.errdefs.SystemException;
import dev.rabbithole.stage1.network.HostLinks;
import dev.rabbithole.stage2.netlink.NetlinkException;
import dev.rabbithole.stage2.netlink.Reply;
import dev.rabbithole.stage2.netlink.RtNetlink;
import dev.rabbithole.stage2.netlink.Veth;

import java.util.List;
import java.util.function.Function;

/**
 * The daemon's hand on the host's links through rtnetlink (rtnetlink(7)) over JNA, as Docker 1.x's daemon used
 * libcontainer's netlink package for its bridge: no {@code ip} command. Each call opens a {@code NETLINK_ROUTE}
 * socket in the calling thread's network namespace (the daemon's), makes its requests and closes it.
 */
public final class NetlinkHostLinks implements HostLinks {
    private static final int EEXIST = 17;
    private static final int ENODEV = 19;

    /** Links in the network namespace of whichever thread calls. */
    public NetlinkHostLinks() {
    }

    /**
     * {@inheritDoc} A bridge that exists keeps its other addresses; the address is added unless it is there already.
     *
     * @throws SystemException the kernel refused, e.g. {@code RTM_NEWADDR ...: Permission denied (EACCES)}, or a
     *                         link of that name exists and is no bridge
     */
    @Override
    public void ensureBridge(String name, String address, int mtu) {
        with(n -> {
            RtNetlink.checkCidr(address); // bad input: refused before anything is made
            try {
                n.createBridge(name, mtu);
            } catch (NetlinkException e) {
                if (e.errno() != EEXIST) {
                    throw e;
                }
                String kind = n.links().stream().filter(l -> l.name().equals(name)).map(Reply.Link::kind)
                        .findFirst().orElse(null);
                if (!"bridge".equals(kind)) {
                    throw new SystemException("link " + name + " exists and is not a bridge (its kind: " + kind + ")");
                }
            }
            try {
                n.addAddress(name, address);
            } catch (NetlinkException e) {
                if (e.errno() != EEXIST) {
                    throw e;
                }
            }
            n.up(name);
            return null;
        });
    }

    /** {@inheritDoc} @throws SystemException the kernel refused for another reason than ENODEV */
    @Override
    public void delete(String name) {
        with(n -> {
            try {
                n.delete(name);
            } catch (NetlinkException e) {
                if (e.errno() != ENODEV) {
                    throw e;
                }
            }
            return null;
        });
    }

    @Override
    public boolean exists(String name) {
        return with(n -> n.links().stream().anyMatch(l -> l.name().equals(name)));
    }

    @Override
    public List<String> names(String prefix) {
        return with(n -> n.links().stream().map(Reply.Link::name).filter(s -> s.startsWith(prefix)).sorted().toList());
    }

    /**
     * {@inheritDoc} Through {@link Veth#createForPid}: the pair on the host, the peer moved by
     * {@code IFLA_NET_NS_PID}, then a socket opened in the pid's namespace renames, addresses and brings it up.
     */
    @Override
    public void addVethInto(String bridge, String hostEnd, long pid, String ifname, String address, String mac,
                            int mtu) {
        try {
            RtNetlink.checkCidr(address);
            Veth.createForPid(new Veth.Spec(bridge, hostEnd, ifname, address, null, mac, mtu), pid, null);
        } catch (NetlinkException | IllegalArgumentException e) {
            throw new SystemException(e.getMessage(), e);
        }
    }

    @Override
    public List<String> routes() {
        return with(RtNetlink::routes);
    }

    private static <T> T with(Function<RtNetlink, T> body) {
        try (RtNetlink n = RtNetlink.open(null)) {
            return body.apply(n);
        } catch (NetlinkException | IllegalArgumentException e) {
            throw new SystemException(e.getMessage(), e);
        }
    }
}
