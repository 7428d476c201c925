package dev.rabbithole.stage2.netlink;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Decoding of what the kernel sends back on a {@code NETLINK_ROUTE} socket: a datagram holds one or more messages,
 * each a {@code struct nlmsghdr} and its payload, aligned to 4 bytes (netlink(7)); an {@code NLMSG_ERROR} payload
 * starts with a negative errno (0 for an acknowledgement); a link's payload is an {@code ifinfomsg} and attributes,
 * a route's an {@code rtmsg} and attributes (rtnetlink(7)).
 */
public final class Reply {
    private Reply() { }

    /**
     * One message of a datagram.
     *
     * @param type    nlmsg_type, e.g. {@link Rtm#NLMSG_ERROR}
     * @param flags   nlmsg_flags
     * @param seq     nlmsg_seq, the request's
     * @param payload what follows the header
     */
    public record Msg(int type, int flags, int seq, ByteBuffer payload) {
        /** @return for an {@code NLMSG_ERROR}: the positive errno, 0 for an acknowledgement */
        public int errno() {
            return -payload.getInt(0);
        }
    }

    /**
     * A link as an {@code RTM_NEWLINK} reply describes it.
     *
     * @param index  ifindex
     * @param name   IFLA_IFNAME
     * @param flags  ifi_flags ({@link Rtm#IFF_UP}, ...)
     * @param mtu    IFLA_MTU, bytes
     * @param master IFLA_MASTER's index, 0 for none
     * @param kind   IFLA_INFO_KIND ({@code bridge}, {@code veth}), null for a device without one
     */
    public record Link(int index, String name, int flags, int mtu, int master, String kind) {
        /** @return whether IFF_UP is set */
        public boolean up() {
            return (flags & Rtm.IFF_UP) != 0;
        }
    }

    /**
     * Splits a datagram into its messages.
     *
     * @param datagram the bytes {@code recv} returned
     * @param length   how many of them are valid
     * @return the messages in order
     * @throws NetlinkException a header whose length does not fit
     */
    public static List<Msg> split(byte[] datagram, int length) {
        ByteBuffer b = ByteBuffer.wrap(datagram, 0, length).order(ByteOrder.nativeOrder());
        List<Msg> out = new ArrayList<>();
        int pos = 0;
        while (pos + Message.HEADER <= length) {
            int len = b.getInt(pos);
            if (len < Message.HEADER || pos + len > length) {
                throw new NetlinkException("netlink: a reply message of " + len + " bytes at offset " + pos
                        + " does not fit the " + length + " received");
            }
            ByteBuffer payload = ByteBuffer.wrap(datagram, pos + Message.HEADER, len - Message.HEADER).slice()
                    .order(ByteOrder.nativeOrder());
            out.add(new Msg(b.getShort(pos + 4) & 0xffff, b.getShort(pos + 6) & 0xffff, b.getInt(pos + 8), payload));
            pos += (len + 3) & ~3;
        }
        return out;
    }

    /**
     * The attributes of a payload from {@code offset}: type to value (the last of a type wins).
     *
     * @param payload a message's payload
     * @param offset  where the attributes start (after the family header)
     * @return each attribute's value as a buffer of its own
     */
    public static Map<Integer, ByteBuffer> attrs(ByteBuffer payload, int offset) {
        Map<Integer, ByteBuffer> out = new HashMap<>();
        int pos = offset;
        int limit = payload.limit();
        while (pos + 4 <= limit) {
            int len = payload.getShort(pos) & 0xffff;
            int type = payload.getShort(pos + 2) & 0x3fff; // without NLA_F_NESTED and NLA_F_NET_BYTEORDER
            if (len < 4 || pos + len > limit) {
                break;
            }
            out.put(type, payload.duplicate().position(pos + 4).limit(pos + len).slice().order(ByteOrder.nativeOrder()));
            pos += (len + 3) & ~3;
        }
        return out;
    }

    /** @param v a NUL-terminated string attribute @return the string */
    public static String string(ByteBuffer v) {
        byte[] b = new byte[v.remaining()];
        v.duplicate().get(b);
        int n = 0;
        while (n < b.length && b[n] != 0) {
            n++;
        }
        return new String(b, 0, n, StandardCharsets.UTF_8);
    }

    /**
     * @param m an {@code RTM_NEWLINK} message
     * @return the link it describes
     */
    public static Link link(Msg m) {
        ByteBuffer p = m.payload();
        Map<Integer, ByteBuffer> a = attrs(p, 16);
        String kind = null;
        ByteBuffer info = a.get(Rtm.IFLA_LINKINFO);
        if (info != null) {
            ByteBuffer k = attrs(info, 0).get(Rtm.IFLA_INFO_KIND);
            kind = k == null ? null : string(k);
        }
        return new Link(p.getInt(4), a.containsKey(Rtm.IFLA_IFNAME) ? string(a.get(Rtm.IFLA_IFNAME)) : "",
                p.getInt(8), a.containsKey(Rtm.IFLA_MTU) ? a.get(Rtm.IFLA_MTU).getInt(0) : 0,
                a.containsKey(Rtm.IFLA_MASTER) ? a.get(Rtm.IFLA_MASTER).getInt(0) : 0, kind);
    }

    /**
     * @param m an {@code RTM_NEWROUTE} message
     * @return its IPv4 destination as {@code ADDRESS/PREFIX} ({@code 0.0.0.0/0} for a default route) when it is
     *         an IPv4 unicast route of the main table, else null
     */
    public static String mainRoute(Msg m) {
        ByteBuffer p = m.payload();
        int family = p.get(0) & 0xff;
        int dstLen = p.get(1) & 0xff;
        int table = p.get(4) & 0xff;
        int type = p.get(7) & 0xff;
        Map<Integer, ByteBuffer> a = attrs(p, 12);
        if (a.containsKey(Rtm.RTA_TABLE)) {
            table = a.get(Rtm.RTA_TABLE).getInt(0);
        }
        if (family != Rtm.AF_INET || table != Rtm.RT_TABLE_MAIN || type != Rtm.RTN_UNICAST) {
            return null;
        }
        ByteBuffer dst = a.get(Rtm.RTA_DST);
        String address = "0.0.0.0";
        if (dst != null && dst.remaining() == 4) {
            address = (dst.get(0) & 0xff) + "." + (dst.get(1) & 0xff) + "." + (dst.get(2) & 0xff) + "."
                    + (dst.get(3) & 0xff);
        }
        return address + "/" + dstLen;
    }
}
