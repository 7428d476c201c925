package dev.rabbithole.stage1.network;

import dev.rabbithole.stage1.errdefs.InvalidParameterException;

/**
 * IPv4 addresses and subnets as the daemon's IPAM needs them: an address is an {@code int} in network byte order
 * read as an unsigned number ({@code 10.201.1.2} is {@code 0x0AC90102}), a subnet an address and a prefix length
 * (RFC 4632 CIDR notation, {@code 10.201.1.0/24}).
 *
 * @param address the address (for a subnet: its first address, host bits zero)
 * @param prefix  the prefix length, 0 to 32
 */
public record Ipv4(int address, int prefix) {

    /**
     * Parses {@code A.B.C.D/N}.
     *
     * @param cidr e.g. {@code 10.201.1.1/24}
     * @return the address as written (host bits kept) and the prefix
     * @throws InvalidParameterException {@code invalid CIDR address: CIDR}, Go's net.ParseCIDR wording
     */
    public static Ipv4 parseCidr(String cidr) {
        int slash = cidr == null ? -1 : cidr.indexOf('/');
        if (slash < 0) {
            throw new InvalidParameterException("invalid CIDR address: " + cidr);
        }
        try {
            int prefix = Integer.parseInt(cidr.substring(slash + 1));
            if (prefix < 0 || prefix > 32 || !cidr.substring(slash + 1).matches("[0-9]+")) {
                throw new InvalidParameterException("invalid CIDR address: " + cidr);
            }
            return new Ipv4(parse(cidr.substring(0, slash)), prefix);
        } catch (NumberFormatException e) {
            throw new InvalidParameterException("invalid CIDR address: " + cidr);
        }
    }

    /**
     * @param dotted {@code A.B.C.D}, each part 0 to 255
     * @return the address
     * @throws InvalidParameterException not an IPv4 address
     */
    public static int parse(String dotted) {
        String[] p = dotted == null ? new String[0] : dotted.split("\\.", -1);
        if (p.length != 4) {
            throw new InvalidParameterException("invalid IP address: " + dotted);
        }
        int a = 0;
        for (String s : p) {
            if (!s.matches("[0-9]{1,3}") || Integer.parseInt(s) > 255) {
                throw new InvalidParameterException("invalid IP address: " + dotted);
            }
            a = (a << 8) | Integer.parseInt(s);
        }
        return a;
    }

    /** @return whether {@code dotted} is an IPv4 address */
    public static boolean isAddress(String dotted) {
        try {
            parse(dotted);
            return true;
        } catch (InvalidParameterException e) {
            return false;
        }
    }

    /** @return {@code A.B.C.D} */
    public static String format(int address) {
        return ((address >>> 24) & 255) + "." + ((address >>> 16) & 255) + "." + ((address >>> 8) & 255) + "."
                + (address & 255);
    }

    /** @return the netmask of a prefix length as an address ({@code /24} is {@code 0xFFFFFF00}) */
    public static int mask(int prefix) {
        return prefix == 0 ? 0 : -1 << (32 - prefix);
    }

    /** @return this subnet with the host bits cleared */
    public Ipv4 network() {
        return new Ipv4(address & mask(prefix), prefix);
    }

    /** @return the number of addresses in the subnet ({@code 2^(32-prefix)}) */
    public long size() {
        return 1L << (32 - prefix);
    }

    /** @return whether an address lies in this subnet */
    public boolean contains(int a) {
        return (a & mask(prefix)) == (address & mask(prefix));
    }

    /** @return whether two subnets share an address */
    public boolean overlaps(Ipv4 other) {
        int p = Math.min(prefix, other.prefix);
        return (address & mask(p)) == (other.address & mask(p));
    }

    /** @return {@code A.B.C.D/N} of the address as held (host bits kept) */
    @Override
    public String toString() {
        return format(address) + "/" + prefix;
    }

    /**
     * Docker's MAC for a container address: {@code 02:42:} then the address's four bytes in hex (a locally
     * administered unicast address; moby's {@code netutils.GenerateMACFromIP}).
     *
     * @param a the container's IPv4 address
     * @return e.g. {@code 02:42:0a:c9:01:02}
     */
    public static String mac(int a) {
        return String.format("02:42:%02x:%02x:%02x:%02x", (a >>> 24) & 255, (a >>> 16) & 255, (a >>> 8) & 255, a & 255);
    }
}
