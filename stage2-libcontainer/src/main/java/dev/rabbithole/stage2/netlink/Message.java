package dev.rabbithole.stage2.netlink;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;

/**
 * One netlink request being built: the 16-byte {@code struct nlmsghdr} (length, type, flags, sequence, port id),
 * a family header ({@code ifinfomsg}, 16 bytes; {@code ifaddrmsg}, 8; {@code rtmsg}, 12), then route attributes
 * ({@code struct rtattr}: u16 length, u16 type, the value, padded to 4 bytes), nested ones included (netlink(7),
 * rtnetlink(7), linux/netlink.h NLMSG_ALIGN and RTA_ALIGN). Integers are in the host's byte order, addresses in
 * network order. {@link #bytes()} fills in the lengths.
 */
public final class Message {
    /** sizeof(struct nlmsghdr), bytes */
    public static final int HEADER = 16;

    private ByteBuffer buf = ByteBuffer.allocate(256).order(ByteOrder.nativeOrder());
    private final Deque<Integer> open = new ArrayDeque<>();

    /**
     * @param type  the message type, e.g. {@link Rtm#RTM_NEWLINK}
     * @param flags header flags, e.g. {@code NLM_F_REQUEST | NLM_F_ACK}
     * @param seq   the sequence number the reply carries back
     */
    public Message(int type, int flags, int seq) {
        buf.putInt(0).putShort((short) type).putShort((short) flags).putInt(seq).putInt(0);
    }

    /**
     * Appends a {@code struct ifinfomsg}.
     *
     * @param family {@link Rtm#AF_UNSPEC} for links
     * @param index  the link's index, 0 for none (a new link, or one named by {@link Rtm#IFLA_IFNAME})
     * @param flags  ifi_flags to set
     * @param change ifi_change: which flag bits {@code flags} changes
     * @return this
     */
    public Message ifinfo(int family, int index, int flags, int change) {
        ensure(16);
        buf.put((byte) family).put((byte) 0).putShort((short) 0).putInt(index).putInt(flags).putInt(change);
        return this;
    }

    /**
     * Appends a {@code struct ifaddrmsg}.
     *
     * @param family    {@link Rtm#AF_INET}
     * @param prefixLen the prefix length, bits
     * @param scope     {@link Rtm#RT_SCOPE_UNIVERSE}
     * @param index     the link's index
     * @return this
     */
    public Message ifaddr(int family, int prefixLen, int scope, int index) {
        ensure(8);
        buf.put((byte) family).put((byte) prefixLen).put((byte) 0).put((byte) scope).putInt(index);
        return this;
    }

    /**
     * Appends a {@code struct rtmsg}.
     *
     * @param family   {@link Rtm#AF_INET}
     * @param dstLen   the destination's prefix length, bits (0: the default route)
     * @param table    {@link Rtm#RT_TABLE_MAIN}
     * @param protocol {@link Rtm#RTPROT_BOOT}
     * @param scope    {@link Rtm#RT_SCOPE_UNIVERSE}
     * @param type     {@link Rtm#RTN_UNICAST}
     * @return this
     */
    public Message rtmsg(int family, int dstLen, int table, int protocol, int scope, int type) {
        ensure(12);
        buf.put((byte) family).put((byte) dstLen).put((byte) 0).put((byte) 0).put((byte) table)
                .put((byte) protocol).put((byte) scope).put((byte) type).putInt(0);
        return this;
    }

    /** Appends an attribute with raw bytes. @param type attribute type @param value its value @return this */
    public Message attr(int type, byte[] value) {
        ensure(4 + value.length + 3);
        buf.putShort((short) (4 + value.length)).putShort((short) type).put(value);
        pad();
        return this;
    }

    /** Appends a u32 attribute (host order). @param type attribute type @param value the value @return this */
    public Message attrInt(int type, int value) {
        return attr(type, ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(value).array());
    }

    /** Appends a NUL-terminated string attribute. @param type attribute type @param value the string @return this */
    public Message attrString(int type, String value) {
        byte[] b = value.getBytes(StandardCharsets.UTF_8);
        return attr(type, Arrays.copyOf(b, b.length + 1));
    }

    /** Opens a nested attribute; {@link #end()} closes it. @param type attribute type @return this */
    public Message nest(int type) {
        ensure(4);
        open.push(buf.position());
        buf.putShort((short) 0).putShort((short) type);
        return this;
    }

    /** Closes the innermost {@link #nest}. @return this */
    public Message end() {
        int start = open.pop();
        buf.putShort(start, (short) (buf.position() - start));
        pad();
        return this;
    }

    /** @return the message with its length filled in; nests must be closed */
    public byte[] bytes() {
        if (!open.isEmpty()) {
            throw new IllegalStateException("an attribute nest is not closed");
        }
        buf.putInt(0, buf.position());
        return Arrays.copyOf(buf.array(), buf.position());
    }

    private void pad() {
        while (buf.position() % 4 != 0) {
            buf.put((byte) 0);
        }
    }

    private void ensure(int more) {
        if (buf.remaining() < more + 4) {
            ByteBuffer bigger = ByteBuffer.allocate(Math.max(buf.capacity() * 2, buf.position() + more + 64))
                    .order(ByteOrder.nativeOrder());
            buf.flip();
            bigger.put(buf);
            buf = bigger;
        }
    }
}
