package dev.rabbithole.stage2.netlink;

/**
 * The numbers of the rtnetlink protocol this package speaks: message types, header flags, attribute types
 * (linux/netlink.h, linux/rtnetlink.h, linux/if_link.h, linux/if_addr.h, linux/veth.h; rtnetlink(7)).
 */
public final class Rtm {
    private Rtm() { }

    /** socket(2) domain and protocol: {@code AF_NETLINK}, {@code NETLINK_ROUTE}. */
    public static final int AF_NETLINK = 16;
    /** netlink(7): the routing family. */
    public static final int NETLINK_ROUTE = 0;
    /** address families */
    public static final int AF_UNSPEC = 0;
    /** IPv4 */
    public static final int AF_INET = 2;

    /** message types: nlmsghdr.nlmsg_type */
    public static final int NLMSG_NOOP = 1;
    /** an error or, with error 0, an acknowledgement */
    public static final int NLMSG_ERROR = 2;
    /** the end of a dump */
    public static final int NLMSG_DONE = 3;
    /** create a link (or, without NLM_F_CREATE, change one) */
    public static final int RTM_NEWLINK = 16;
    /** delete a link */
    public static final int RTM_DELLINK = 17;
    /** get one link or dump all */
    public static final int RTM_GETLINK = 18;
    /** change a link */
    public static final int RTM_SETLINK = 19;
    /** add an address */
    public static final int RTM_NEWADDR = 20;
    /** add a route */
    public static final int RTM_NEWROUTE = 24;
    /** dump routes */
    public static final int RTM_GETROUTE = 26;

    /** header flags: a request */
    public static final int NLM_F_REQUEST = 0x1;
    /** part of a multipart reply */
    public static final int NLM_F_MULTI = 0x2;
    /** ask for an acknowledgement */
    public static final int NLM_F_ACK = 0x4;
    /** dump (NLM_F_ROOT | NLM_F_MATCH) */
    public static final int NLM_F_DUMP = 0x300;
    /** fail when the object exists */
    public static final int NLM_F_EXCL = 0x200;
    /** create the object */
    public static final int NLM_F_CREATE = 0x400;

    /** link attributes (IFLA_*) */
    public static final int IFLA_ADDRESS = 1;
    /** the interface name, NUL-terminated */
    public static final int IFLA_IFNAME = 3;
    /** u32 bytes */
    public static final int IFLA_MTU = 4;
    /** u32 index of the master (bridge) */
    public static final int IFLA_MASTER = 10;
    /** nested: kind and kind-specific data */
    public static final int IFLA_LINKINFO = 18;
    /** u32 pid whose network namespace the link moves to */
    public static final int IFLA_NET_NS_PID = 19;
    /** u32 fd of a network namespace the link moves to */
    public static final int IFLA_NET_NS_FD = 28;
    /** in IFLA_LINKINFO: the kind, a string ({@code bridge}, {@code veth}) */
    public static final int IFLA_INFO_KIND = 1;
    /** in IFLA_LINKINFO: nested kind-specific data */
    public static final int IFLA_INFO_DATA = 2;
    /** in a veth's IFLA_INFO_DATA: the peer, an ifinfomsg followed by its attributes */
    public static final int VETH_INFO_PEER = 1;
    /** ifinfomsg.ifi_flags bit: the link is up */
    public static final int IFF_UP = 0x1;

    /** address attributes (IFA_*) */
    public static final int IFA_ADDRESS = 1;
    /** the local address */
    public static final int IFA_LOCAL = 2;
    /** the broadcast address */
    public static final int IFA_BROADCAST = 4;

    /** route attributes (RTA_*) */
    public static final int RTA_DST = 1;
    /** u32 output interface index */
    public static final int RTA_OIF = 4;
    /** the gateway's address */
    public static final int RTA_GATEWAY = 5;
    /** u32 routing table */
    public static final int RTA_TABLE = 15;
    /** rtmsg.rtm_table: main */
    public static final int RT_TABLE_MAIN = 254;
    /** rtmsg.rtm_protocol: boot (what {@code ip route add} uses) */
    public static final int RTPROT_BOOT = 3;
    /** rtmsg.rtm_scope: universe */
    public static final int RT_SCOPE_UNIVERSE = 0;
    /** rtmsg.rtm_type: unicast */
    public static final int RTN_UNICAST = 1;

    /** @param type a message type @return its name, e.g. {@code RTM_NEWLINK} */
    public static String name(int type) {
        return switch (type) {
            case NLMSG_NOOP -> "NLMSG_NOOP";
            case NLMSG_ERROR -> "NLMSG_ERROR";
            case NLMSG_DONE -> "NLMSG_DONE";
            case RTM_NEWLINK -> "RTM_NEWLINK";
            case RTM_DELLINK -> "RTM_DELLINK";
            case RTM_GETLINK -> "RTM_GETLINK";
            case RTM_SETLINK -> "RTM_SETLINK";
            case RTM_NEWADDR -> "RTM_NEWADDR";
            case RTM_NEWROUTE -> "RTM_NEWROUTE";
            case RTM_GETROUTE -> "RTM_GETROUTE";
            default -> "type " + type;
        };
    }
}
