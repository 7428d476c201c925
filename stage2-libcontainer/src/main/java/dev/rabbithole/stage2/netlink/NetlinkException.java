package dev.rabbithole.stage2.netlink;

/**
 * A netlink request the kernel refused (an {@code NLMSG_ERROR} with a negative errno, netlink(7)), or a socket call
 * that failed. The message names the request, the link or address it was about, and the errno by text and name:
 * {@code RTM_NEWLINK "veth1a2b": File exists (EEXIST)}.
 */
public class NetlinkException extends RuntimeException {
    private final int errno;

    /**
     * @param request what was asked, e.g. {@code RTM_NEWLINK "veth1a2b"}
     * @param errno   the positive errno value
     */
    public NetlinkException(String request, int errno) {
        super(request + ": " + Errno.text(errno) + " (" + Errno.name(errno) + ")");
        this.errno = errno;
    }

    /** @param message a protocol error (a short or malformed reply) */
    public NetlinkException(String message) {
        super(message);
        this.errno = 0;
    }

    /** @return the positive errno value, 0 for a protocol error */
    public int errno() {
        return errno;
    }
}
