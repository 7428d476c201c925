package dev.rabbithole.stage2.netlink;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A {@code NETLINK_ROUTE} socket (netlink(7), rtnetlink(7)) and the requests libcontainer makes on it: links
 * (bridge, veth pair), their state, master, MTU, MAC, name and network namespace, addresses and routes; each
 * request asks for an acknowledgement and an error carries the errno's name. The socket belongs to the network
 * namespace its opener was in at {@link #open()} time ({@link #openIn} opens one in another namespace), and is
 * close-on-exec. What {@code ip link add}, {@code ip link set}, {@code ip addr add} and {@code ip route add} send,
 * without running them.
 *
 * <p>Each request is recorded, before it is sent, on the given {@link Recorder} as a {@code sendmsg} with the
 * reason set by {@link #because}: {@code run --explain} shows them. Not thread-safe: one request at a time.
 */
public final class RtNetlink implements AutoCloseable {
    private static final int SOCK_RAW = 3;
    private static final int SOCK_CLOEXEC = 02000000;
    private static final int O_RDONLY = 0;
    private static final int O_CLOEXEC = 02000000;
    /** CLONE_NEWNET, for setns(2) */
    private static final int CLONE_NEWNET = 0x40000000;
    private static final int RECV_BUFFER = 65536;

    /** glibc, direct mapping. */
    private static final class Libc {
        static {
            Native.register(Libc.class, NativeLibrary.getInstance("c"));
        }

        static native int socket(int domain, int type, int protocol) throws LastErrorException;
        static native long send(int fd, byte[] buf, long len, int flags) throws LastErrorException;
        static native long recv(int fd, byte[] buf, long len, int flags) throws LastErrorException;
        static native int close(int fd) throws LastErrorException;
        static native int open(String path, int flags) throws LastErrorException;
        static native int setns(int fd, int nstype) throws LastErrorException;
    }

    private final int fd;
    private final Recorder recorder;
    private final String where;
    private int seq = (int) (System.nanoTime() & 0x7fffffff);
    private String reason = "";

    private RtNetlink(int fd, Recorder recorder, String where) {
        this.fd = fd;
        this.recorder = recorder;
        this.where = where;
    }

    /**
     * Opens a socket in the calling thread's network namespace.
     *
     * @param recorder where requests are recorded, or null
     * @return the socket
     * @throws NetlinkException socket(2) failed
     */
    public static RtNetlink open(Recorder recorder) {
        try {
            return new RtNetlink(Libc.socket(Rtm.AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, Rtm.NETLINK_ROUTE), recorder, "");
        } catch (LastErrorException e) {
            throw new NetlinkException("socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE)", e.getErrorCode());
        }
    }

    /**
     * Opens a socket in another network namespace: a short-lived thread joins it (setns(2), that thread only),
     * opens the socket and ends; the socket stays bound to that namespace (netlink(7): a socket's namespace is
     * its creator's).
     *
     * @param namespacePath {@code /proc/PID/ns/net} or a bind-mounted nsfs file
     * @param recorder      where requests are recorded, or null
     * @return the socket
     * @throws NetlinkException the namespace cannot be opened or joined, or socket(2) failed
     */
    public static RtNetlink openIn(String namespacePath, Recorder recorder) {
        AtomicReference<Object> result = new AtomicReference<>();
        Thread t = new Thread(() -> {
            int ns;
            try {
                ns = Libc.open(namespacePath, O_RDONLY | O_CLOEXEC);
            } catch (LastErrorException e) {
                result.set(new NetlinkException("open(\"" + namespacePath + "\")", e.getErrorCode()));
                return;
            }
            try {
                Libc.setns(ns, CLONE_NEWNET);
                result.set(Libc.socket(Rtm.AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, Rtm.NETLINK_ROUTE));
            } catch (LastErrorException e) {
                result.set(new NetlinkException("setns(\"" + namespacePath + "\", CLONE_NEWNET) and socket",
                        e.getErrorCode()));
            } finally {
                Libc.close(ns);
            }
            // this thread ends here: it is never back in the host's namespace, and nothing else runs on it
        }, "netns-socket");
        t.setDaemon(true);
        t.start();
        try {
            t.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new NetlinkException("interrupted while opening a netlink socket in " + namespacePath);
        }
        Object r = result.get();
        if (r instanceof NetlinkException ne) {
            throw ne;
        }
        if (recorder != null) {
            recorder.record("a netlink socket in the container's network namespace (a thread's setns, then socket)",
                    "socket", "AF_NETLINK", "SOCK_RAW|SOCK_CLOEXEC", "NETLINK_ROUTE", "in " + namespacePath);
        }
        return new RtNetlink((Integer) r, recorder, namespacePath);
    }

    /**
     * Sets the reason the next request is recorded with.
     *
     * @param why one line, e.g. {@code the host end joins the bridge}
     * @return this
     */
    public RtNetlink because(String why) {
        reason = why == null ? "" : why;
        return this;
    }

    // ---------------------------------------------------------------- links

    /**
     * Creates a bridge ({@code ip link add NAME type bridge}), down.
     *
     * @param name at most 15 bytes
     * @param mtu  bytes, 0 for the kernel's default
     * @throws NetlinkException e.g. EEXIST
     */
    // tag::netlink-bridge[]
    public void createBridge(String name, int mtu) {
        Message m = new Message(Rtm.RTM_NEWLINK, create(), ++seq).ifinfo(Rtm.AF_UNSPEC, 0, 0, 0)
                .attrString(Rtm.IFLA_IFNAME, checkName(name));
        if (mtu > 0) {
            m.attrInt(Rtm.IFLA_MTU, mtu);
        }
        m.nest(Rtm.IFLA_LINKINFO).attrString(Rtm.IFLA_INFO_KIND, "bridge").end();
        request(m, "RTM_NEWLINK", "{ifname \"" + name + "\", kind bridge}");
    }
    // end::netlink-bridge[]

    /**
     * Creates a veth pair ({@code ip link add NAME mtu MTU type veth peer name PEER}), both ends down, in this
     * socket's namespace.
     *
     * @param name one end's name, at most 15 bytes
     * @param peer the other end's name
     * @param mtu  bytes for both ends, 0 for the default
     * @throws NetlinkException e.g. EEXIST
     */
    // tag::netlink-veth[]
    public void createVeth(String name, String peer, int mtu) {
        Message m = new Message(Rtm.RTM_NEWLINK, create(), ++seq).ifinfo(Rtm.AF_UNSPEC, 0, 0, 0)
                .attrString(Rtm.IFLA_IFNAME, checkName(name));
        if (mtu > 0) {
            m.attrInt(Rtm.IFLA_MTU, mtu);
        }
        m.nest(Rtm.IFLA_LINKINFO).attrString(Rtm.IFLA_INFO_KIND, "veth")
                .nest(Rtm.IFLA_INFO_DATA)
                .nest(Rtm.VETH_INFO_PEER).ifinfo(Rtm.AF_UNSPEC, 0, 0, 0).attrString(Rtm.IFLA_IFNAME, checkName(peer));
        if (mtu > 0) {
            m.attrInt(Rtm.IFLA_MTU, mtu);
        }
        m.end().end().end();
        request(m, "RTM_NEWLINK", "{ifname \"" + name + "\", kind veth, peer \"" + peer + "\"}");
    }
    // end::netlink-veth[]

    /**
     * @param name a link's name
     * @return its index
     * @throws NetlinkException ENODEV when there is no such link
     */
    public int index(String name) {
        Message m = new Message(Rtm.RTM_GETLINK, Rtm.NLM_F_REQUEST, ++seq).ifinfo(Rtm.AF_UNSPEC, 0, 0, 0)
                .attrString(Rtm.IFLA_IFNAME, checkName(name));
        List<Reply.Msg> r = exchange(m.bytes(), "RTM_GETLINK \"" + name + "\"", false);
        for (Reply.Msg msg : r) {
            if (msg.type() == Rtm.RTM_NEWLINK) {
                return Reply.link(msg).index();
            }
        }
        throw new NetlinkException("RTM_GETLINK \"" + name + "\": no link in the reply");
    }

    /** @return every link of this socket's namespace ({@code RTM_GETLINK} dump) */
    public List<Reply.Link> links() {
        Message m = new Message(Rtm.RTM_GETLINK, Rtm.NLM_F_REQUEST | Rtm.NLM_F_DUMP, ++seq)
                .ifinfo(Rtm.AF_UNSPEC, 0, 0, 0);
        List<Reply.Link> out = new ArrayList<>();
        for (Reply.Msg msg : exchange(m.bytes(), "RTM_GETLINK dump", true)) {
            if (msg.type() == Rtm.RTM_NEWLINK) {
                out.add(Reply.link(msg));
            }
        }
        return out;
    }

    /** Brings a link up ({@code ip link set NAME up}). @param name the link @throws NetlinkException ENODEV */
    public void up(String name) {
        setLink(name, new Message(Rtm.RTM_SETLINK, ack(), ++seq).ifinfo(Rtm.AF_UNSPEC, index(name), Rtm.IFF_UP,
                Rtm.IFF_UP), "up");
    }

    /**
     * Enslaves a link to a bridge ({@code ip link set NAME master BRIDGE}).
     *
     * @param name   the link
     * @param bridge the bridge
     * @throws NetlinkException ENODEV
     */
    public void setMaster(String name, String bridge) {
        int master = index(bridge);
        setLink(name, linkMessage(name).attrInt(Rtm.IFLA_MASTER, master), "master \"" + bridge + "\"");
    }

    /** Sets a link's MTU. @param name the link @param mtu bytes @throws NetlinkException EINVAL */
    public void setMtu(String name, int mtu) {
        setLink(name, linkMessage(name).attrInt(Rtm.IFLA_MTU, mtu), "mtu " + mtu);
    }

    /**
     * Sets a link's MAC address ({@code ip link set NAME address MAC}).
     *
     * @param name the link
     * @param mac  six bytes as {@code 02:42:ac:11:00:02}
     * @throws IllegalArgumentException a malformed MAC
     */
    public void setMac(String name, String mac) {
        setLink(name, linkMessage(name).attr(Rtm.IFLA_ADDRESS, parseMac(mac)), "address " + mac);
    }

    /** Renames a link ({@code ip link set OLD name NEW}); it must be down. @param name old @param newName new */
    public void rename(String name, String newName) {
        setLink(name, linkMessage(name).attrString(Rtm.IFLA_IFNAME, checkName(newName)), "name \"" + newName + "\"");
    }

    /**
     * Moves a link into the network namespace of a process ({@code ip link set NAME netns PID}).
     *
     * @param name the link, in this socket's namespace
     * @param pid  a process in the target namespace (host pid)
     */
    // tag::netlink-move[]
    public void moveToPid(String name, long pid) {
        setLink(name, linkMessage(name).attrInt(Rtm.IFLA_NET_NS_PID, (int) pid), "netns pid " + pid);
    }
    // end::netlink-move[]

    /**
     * Moves a link into the network namespace an open descriptor refers to ({@code ip link set NAME netns PATH}).
     *
     * @param name the link
     * @param nsFd an open descriptor on {@code /proc/PID/ns/net} or an nsfs bind mount
     */
    public void moveToFd(String name, int nsFd) {
        setLink(name, linkMessage(name).attrInt(Rtm.IFLA_NET_NS_FD, nsFd), "netns fd " + nsFd);
    }

    /**
     * Deletes a link ({@code ip link del NAME}); a veth pair goes with either end.
     *
     * @param name the link
     * @throws NetlinkException ENODEV when it is not there
     */
    public void delete(String name) {
        Message m = new Message(Rtm.RTM_DELLINK, ack(), ++seq).ifinfo(Rtm.AF_UNSPEC, 0, 0, 0)
                .attrString(Rtm.IFLA_IFNAME, checkName(name));
        request(m, "RTM_DELLINK", "{ifname \"" + name + "\"}");
    }

    // ---------------------------------------------------------------- addresses and routes

    /**
     * Adds an IPv4 address with its broadcast address ({@code ip addr add CIDR brd + dev NAME}).
     *
     * @param name the link
     * @param cidr {@code 172.30.1.2/24}
     * @throws IllegalArgumentException a malformed address
     * @throws NetlinkException e.g. EEXIST
     */
    // tag::netlink-addr[]
    public void addAddress(String name, String cidr) {
        int prefix = checkCidr(cidr);
        byte[] addr = ipv4(cidr.substring(0, cidr.indexOf('/')));
        byte[] brd = broadcast(addr, prefix);
        Message m = new Message(Rtm.RTM_NEWADDR, create(), ++seq)
                .ifaddr(Rtm.AF_INET, prefix, Rtm.RT_SCOPE_UNIVERSE, index(name))
                .attr(Rtm.IFA_LOCAL, addr).attr(Rtm.IFA_ADDRESS, addr).attr(Rtm.IFA_BROADCAST, brd);
        request(m, "RTM_NEWADDR", "{dev \"" + name + "\", " + cidr + "}");
    }
    // end::netlink-addr[]

    /**
     * Adds the default IPv4 route through a gateway ({@code ip route add default via GATEWAY dev NAME}).
     *
     * @param name    the link the gateway is reached on
     * @param gateway {@code 172.30.1.1}
     * @throws NetlinkException ENETUNREACH when the gateway is not on a subnet of the link, EEXIST
     */
    // tag::netlink-route[]
    public void addDefaultRoute(String name, String gateway) {
        Message m = new Message(Rtm.RTM_NEWROUTE, create(), ++seq)
                .rtmsg(Rtm.AF_INET, 0, Rtm.RT_TABLE_MAIN, Rtm.RTPROT_BOOT, Rtm.RT_SCOPE_UNIVERSE, Rtm.RTN_UNICAST)
                .attr(Rtm.RTA_GATEWAY, ipv4(gateway)).attrInt(Rtm.RTA_OIF, index(name));
        request(m, "RTM_NEWROUTE", "{default via " + gateway + " dev \"" + name + "\"}");
    }
    // end::netlink-route[]

    /** @return the IPv4 unicast routes of the main table as {@code ADDRESS/PREFIX} ({@code RTM_GETROUTE} dump) */
    public List<String> routes() {
        Message m = new Message(Rtm.RTM_GETROUTE, Rtm.NLM_F_REQUEST | Rtm.NLM_F_DUMP, ++seq)
                .rtmsg(Rtm.AF_INET, 0, 0, 0, 0, 0);
        List<String> out = new ArrayList<>();
        for (Reply.Msg msg : exchange(m.bytes(), "RTM_GETROUTE dump", true)) {
            if (msg.type() == Rtm.RTM_NEWROUTE) {
                String r = Reply.mainRoute(msg);
                if (r != null) {
                    out.add(r);
                }
            }
        }
        return out;
    }

    /** open(2) of a namespace file, close-on-exec. @param path the file @return the descriptor */
    static int openNamespace(String path) {
        try {
            return Libc.open(path, O_RDONLY | O_CLOEXEC);
        } catch (LastErrorException e) {
            throw new NetlinkException("open(\"" + path + "\")", e.getErrorCode());
        }
    }

    /** close(2), errors ignored. @param fd a descriptor */
    static void closeQuietly(int fd) {
        try {
            Libc.close(fd);
        } catch (LastErrorException ignored) {
            // EBADF
        }
    }

    /** Closes the socket. */
    @Override
    public void close() {
        try {
            Libc.close(fd);
        } catch (LastErrorException ignored) {
            // EBADF: closed already
        }
    }

    // ---------------------------------------------------------------- encoding helpers (package-visible for tests)

    /**
     * @param dotted {@code a.b.c.d}, each part 0 to 255 in decimal (parsed here: no name lookup)
     * @return the four bytes, network order
     * @throws IllegalArgumentException anything else
     */
    static byte[] ipv4(String dotted) {
        String[] parts = dotted == null ? new String[0] : dotted.trim().split("\\.", -1);
        if (parts.length != 4) {
            throw new IllegalArgumentException("not an IPv4 address: " + dotted);
        }
        byte[] out = new byte[4];
        for (int i = 0; i < 4; i++) {
            if (!parts[i].matches("[0-9]{1,3}") || Integer.parseInt(parts[i]) > 255) {
                throw new IllegalArgumentException("not an IPv4 address: " + dotted);
            }
            out[i] = (byte) Integer.parseInt(parts[i]);
        }
        return out;
    }

    /** @param addr four bytes @param prefix bits @return the subnet's broadcast address */
    static byte[] broadcast(byte[] addr, int prefix) {
        int a = ((addr[0] & 0xff) << 24) | ((addr[1] & 0xff) << 16) | ((addr[2] & 0xff) << 8) | (addr[3] & 0xff);
        int host = prefix == 32 ? 0 : (int) ((1L << (32 - prefix)) - 1);
        int b = a | host;
        return new byte[] {(byte) (b >>> 24), (byte) (b >>> 16), (byte) (b >>> 8), (byte) b};
    }

    /**
     * Checks an IPv4 address with prefix length.
     *
     * @param cidr e.g. {@code 172.30.1.1/24}
     * @return the prefix length, bits
     * @throws IllegalArgumentException it is not {@code a.b.c.d/0..32}
     */
    public static int checkCidr(String cidr) {
        int slash = cidr == null ? -1 : cidr.indexOf('/');
        if (slash < 0 || !cidr.substring(slash + 1).matches("[0-9]{1,2}")) {
            throw new IllegalArgumentException("not ADDRESS/PREFIX: " + cidr);
        }
        ipv4(cidr.substring(0, slash));
        int prefix = Integer.parseInt(cidr.substring(slash + 1));
        if (prefix > 32) {
            throw new IllegalArgumentException("prefix length out of 0..32: " + cidr);
        }
        return prefix;
    }

    /** @param mac {@code 02:42:ac:11:00:02} @return its six bytes */
    static byte[] parseMac(String mac) {
        String[] parts = mac.split(":");
        if (parts.length != 6) {
            throw new IllegalArgumentException("not a MAC address (six hex bytes with colons): " + mac);
        }
        byte[] out = new byte[6];
        for (int i = 0; i < 6; i++) {
            if (!parts[i].matches("[0-9a-fA-F]{1,2}")) {
                throw new IllegalArgumentException("not a MAC address (six hex bytes with colons): " + mac);
            }
            out[i] = (byte) Integer.parseInt(parts[i], 16);
        }
        return out;
    }

    /** @param name an interface name @return it, when it fits IFNAMSIZ (15 bytes and the NUL) */
    static String checkName(String name) {
        int n = name == null ? 0 : name.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
        if (n == 0 || n > 15 || name.contains("/") || name.contains(" ")) {
            throw new IllegalArgumentException("not an interface name (1 to 15 bytes, no '/' or space): " + name);
        }
        return name;
    }

    private static int ack() {
        return Rtm.NLM_F_REQUEST | Rtm.NLM_F_ACK;
    }

    private static int create() {
        return Rtm.NLM_F_REQUEST | Rtm.NLM_F_ACK | Rtm.NLM_F_CREATE | Rtm.NLM_F_EXCL;
    }

    private Message linkMessage(String name) {
        return new Message(Rtm.RTM_SETLINK, ack(), ++seq).ifinfo(Rtm.AF_UNSPEC, index(name), 0, 0);
    }

    private void setLink(String name, Message m, String what) {
        request(m, "RTM_SETLINK", "{dev \"" + name + "\", " + what + "}");
    }

    private void request(Message m, String type, String description) {
        if (recorder != null) {
            recorder.record(reason, "sendmsg", "NETLINK_ROUTE", type, description);
        }
        reason = "";
        exchange(m.bytes(), type + " " + description + (where.isEmpty() ? "" : " in " + where), false);
    }

    /**
     * Sends one request and reads its replies: up to the acknowledgement, the one answer of a GET, or
     * {@code NLMSG_DONE} of a dump.
     */
    private List<Reply.Msg> exchange(byte[] request, String what, boolean dump) {
        int mySeq = java.nio.ByteBuffer.wrap(request).order(java.nio.ByteOrder.nativeOrder()).getInt(8);
        try {
            Libc.send(fd, request, request.length, 0);
        } catch (LastErrorException e) {
            throw new NetlinkException(what + " (send)", e.getErrorCode());
        }
        List<Reply.Msg> out = new ArrayList<>();
        while (true) {
            byte[] buf = new byte[RECV_BUFFER]; // a new one each time: the messages returned point into it
            int n;
            try {
                n = (int) Libc.recv(fd, buf, buf.length, 0);
            } catch (LastErrorException e) {
                throw new NetlinkException(what + " (recv)", e.getErrorCode());
            }
            for (Reply.Msg msg : Reply.split(buf, n)) {
                if (msg.seq() != mySeq) {
                    continue; // a late reply to an earlier request
                }
                if (msg.type() == Rtm.NLMSG_ERROR) {
                    int errno = msg.errno();
                    if (errno != 0) {
                        throw new NetlinkException(what, errno);
                    }
                    return out;
                }
                if (msg.type() == Rtm.NLMSG_DONE) {
                    return out;
                }
                out.add(msg);
                if (!dump && (msg.flags() & Rtm.NLM_F_MULTI) == 0 && msg.type() != Rtm.NLMSG_NOOP) {
                    return out; // the one answer of a GET without NLM_F_ACK
                }
            }
        }
    }
}
