package dev.rabbithole.stage2.netlink;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The rtnetlink encoding and decoding, without a socket (no root). */
class MessageTest {

    private static ByteBuffer le(byte[] b) {
        return ByteBuffer.wrap(b).order(ByteOrder.nativeOrder());
    }

    @Test
    void bridgeRequestHasTheHeaderIfinfomsgAndPaddedAttributes() {
        byte[] b = new Message(Rtm.RTM_NEWLINK, Rtm.NLM_F_REQUEST | Rtm.NLM_F_ACK | Rtm.NLM_F_CREATE | Rtm.NLM_F_EXCL, 7)
                .ifinfo(Rtm.AF_UNSPEC, 0, 0, 0)
                .attrString(Rtm.IFLA_IFNAME, "br0")
                .nest(Rtm.IFLA_LINKINFO).attrString(Rtm.IFLA_INFO_KIND, "bridge").end()
                .bytes();
        ByteBuffer m = le(b);
        // 16 header + 16 ifinfomsg + 8 ("br0\0" in 4+4) + 4 nest header + 12 (kind "bridge\0": 4+7, padded to 12)
        assertThat(b.length).isEqualTo(16 + 16 + 8 + 4 + 12);
        assertThat(m.getInt(0)).isEqualTo(b.length);
        assertThat(m.getShort(4)).isEqualTo((short) 16);
        assertThat(m.getShort(6)).isEqualTo((short) 0x605);
        assertThat(m.getInt(8)).isEqualTo(7);
        assertThat(m.getShort(32)).isEqualTo((short) 8);          // rta_len of IFLA_IFNAME: 4 + "br0\0"
        assertThat(m.getShort(34)).isEqualTo((short) Rtm.IFLA_IFNAME);
        assertThat(new String(b, 36, 3)).isEqualTo("br0");
        assertThat(m.getShort(40)).isEqualTo((short) 16);         // the nest: 4 + 12, inner padding included (nla_nest_end)
        assertThat(m.getShort(42)).isEqualTo((short) Rtm.IFLA_LINKINFO);
        assertThat(m.getShort(44)).isEqualTo((short) 11);
        assertThat(new String(b, 48, 6)).isEqualTo("bridge");
        assertThat(b[54]).isEqualTo((byte) 0);                      // NUL-terminated
        assertThat(b.length % 4).isZero();
    }

    @Test
    void vethPeerIsNestedWithItsOwnIfinfomsgAndDecodesBack() {
        byte[] b = new Message(Rtm.RTM_NEWLINK, Rtm.NLM_F_REQUEST, 1).ifinfo(0, 0, 0, 0)
                .attrString(Rtm.IFLA_IFNAME, "veth0").attrInt(Rtm.IFLA_MTU, 1400)
                .nest(Rtm.IFLA_LINKINFO).attrString(Rtm.IFLA_INFO_KIND, "veth").nest(Rtm.IFLA_INFO_DATA)
                .nest(Rtm.VETH_INFO_PEER).ifinfo(0, 0, 0, 0).attrString(Rtm.IFLA_IFNAME, "peer0").end().end().end()
                .bytes();
        Reply.Msg msg = Reply.split(b, b.length).get(0);
        Map<Integer, ByteBuffer> a = Reply.attrs(msg.payload(), 16);
        assertThat(Reply.string(a.get(Rtm.IFLA_IFNAME))).isEqualTo("veth0");
        assertThat(a.get(Rtm.IFLA_MTU).getInt(0)).isEqualTo(1400);
        Map<Integer, ByteBuffer> info = Reply.attrs(a.get(Rtm.IFLA_LINKINFO), 0);
        assertThat(Reply.string(info.get(Rtm.IFLA_INFO_KIND))).isEqualTo("veth");
        ByteBuffer peer = Reply.attrs(info.get(Rtm.IFLA_INFO_DATA), 0).get(Rtm.VETH_INFO_PEER);
        assertThat(peer.remaining()).isEqualTo(16 + 12);          // ifinfomsg + "peer0\0" padded
        assertThat(Reply.string(Reply.attrs(peer, 16).get(Rtm.IFLA_IFNAME))).isEqualTo("peer0");
    }

    @Test
    void addressAndRouteHeaders() {
        byte[] addr = new Message(Rtm.RTM_NEWADDR, 1, 2).ifaddr(Rtm.AF_INET, 24, 0, 5)
                .attr(Rtm.IFA_LOCAL, RtNetlink.ipv4("172.30.1.2")).bytes();
        assertThat(addr.length).isEqualTo(16 + 8 + 8);
        assertThat(addr[16]).isEqualTo((byte) Rtm.AF_INET);
        assertThat(addr[17]).isEqualTo((byte) 24);
        assertThat(le(addr).getInt(20)).isEqualTo(5);
        assertThat(new byte[] {addr[28], addr[29], addr[30], addr[31]}).containsExactly(172, 30, 1, 2);

        byte[] route = new Message(Rtm.RTM_NEWROUTE, 1, 3)
                .rtmsg(Rtm.AF_INET, 0, Rtm.RT_TABLE_MAIN, Rtm.RTPROT_BOOT, 0, Rtm.RTN_UNICAST).bytes();
        assertThat(route.length).isEqualTo(16 + 12);
        assertThat(route[20] & 0xff).isEqualTo(254);
        assertThat(route[21]).isEqualTo((byte) 3);
        assertThat(route[23]).isEqualTo((byte) 1);
    }

    @Test
    void broadcastMacAndNameChecks() {
        assertThat(RtNetlink.broadcast(RtNetlink.ipv4("172.30.1.2"), 24)).containsExactly(172, 30, 1, (byte) 255);
        assertThat(RtNetlink.broadcast(RtNetlink.ipv4("10.0.0.1"), 8)).containsExactly(10, (byte) 255, (byte) 255,
                (byte) 255);
        assertThat(RtNetlink.parseMac("02:42:ac:1e:01:02")).containsExactly(2, 0x42, 0xac, 0x1e, 1, 2);
        assertThatThrownBy(() -> RtNetlink.parseMac("02:42:ac")).hasMessageContaining("not a MAC address");
        assertThatThrownBy(() -> RtNetlink.ipv4("fe80::1")).hasMessageContaining("not an IPv4 address");
        assertThatThrownBy(() -> RtNetlink.checkName("a-name-of-16-byte")).hasMessageContaining("1 to 15 bytes");
        assertThat(RtNetlink.checkName("vethabcdef12345")).hasSize(15);
    }

    @Test
    void anErrorReplyCarriesTheErrnoAndItsName() {
        ByteBuffer b = ByteBuffer.allocate(36).order(ByteOrder.nativeOrder());
        b.putInt(36).putShort((short) Rtm.NLMSG_ERROR).putShort((short) 0).putInt(9).putInt(0);
        b.putInt(-17); // -EEXIST, then the request's header
        b.putInt(16).putShort((short) Rtm.RTM_NEWLINK).putShort((short) 0).putInt(9).putInt(0);
        Reply.Msg m = Reply.split(b.array(), 36).get(0);
        assertThat(m.type()).isEqualTo(Rtm.NLMSG_ERROR);
        assertThat(m.seq()).isEqualTo(9);
        assertThat(m.errno()).isEqualTo(17);
        assertThat(new NetlinkException("RTM_NEWLINK \"veth0\"", m.errno()))
                .hasMessage("RTM_NEWLINK \"veth0\": File exists (EEXIST)");
        assertThat(Errno.name(1)).isEqualTo("EPERM");
        assertThat(Errno.name(4095)).isEqualTo("errno 4095");
    }

    @Test
    void aTruncatedReplyIsRefused() {
        ByteBuffer b = ByteBuffer.allocate(20).order(ByteOrder.nativeOrder());
        b.putInt(64).putShort((short) Rtm.NLMSG_DONE);
        assertThatThrownBy(() -> Reply.split(b.array(), 20)).isInstanceOf(NetlinkException.class)
                .hasMessageContaining("does not fit");
    }

    @Test
    void aLinkReplyDecodes() {
        byte[] b = new Message(Rtm.RTM_NEWLINK, Rtm.NLM_F_MULTI, 1).ifinfo(0, 42, Rtm.IFF_UP, 0)
                .attrString(Rtm.IFLA_IFNAME, "rabbit1").attrInt(Rtm.IFLA_MTU, 1500).attrInt(Rtm.IFLA_MASTER, 3)
                .nest(Rtm.IFLA_LINKINFO).attrString(Rtm.IFLA_INFO_KIND, "bridge").end().bytes();
        Reply.Link l = Reply.link(Reply.split(b, b.length).get(0));
        assertThat(l).isEqualTo(new Reply.Link(42, "rabbit1", Rtm.IFF_UP, 1500, 3, "bridge"));
        assertThat(l.up()).isTrue();
    }

    @Test
    void aRouteReplyOfTheMainTableDecodes() {
        byte[] b = new Message(Rtm.RTM_NEWROUTE, Rtm.NLM_F_MULTI, 1)
                .rtmsg(Rtm.AF_INET, 16, Rtm.RT_TABLE_MAIN, 2, 253, Rtm.RTN_UNICAST)
                .attr(Rtm.RTA_DST, RtNetlink.ipv4("172.30.0.0")).bytes();
        assertThat(Reply.mainRoute(Reply.split(b, b.length).get(0))).isEqualTo("172.30.0.0/16");
        byte[] local = new Message(Rtm.RTM_NEWROUTE, Rtm.NLM_F_MULTI, 1)
                .rtmsg(Rtm.AF_INET, 32, 255, 2, 254, 2).bytes();
        assertThat(Reply.mainRoute(Reply.split(local, local.length).get(0))).isNull();
    }
}
