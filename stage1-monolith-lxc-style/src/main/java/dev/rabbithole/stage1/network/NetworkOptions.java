package dev.rabbithole.stage1.network;

import dev.rabbithole.stage1.Stage;

/**
 * How a stage's daemon networks its containers: dockerd's {@code --bridge} and {@code --bip}, and the daemon's hand
 * on the host's links. A stage's {@code daemon} command sets it with {@link #use} before it starts the daemon;
 * until then (unit tests, daemons made in-process) networking is off and containers get loopback only, as before
 * networking existed.
 *
 * <p>This is the hook through which a stage gives the shared daemon another {@link HostLinks}: stage 1 passes
 * {@link IpCommandLinks} (iproute2's {@code ip}, as Docker 0.x), stages 2 and 3 their rtnetlink implementation:
 * <pre>
 * NetworkOptions.use(NetworkOptions.of(bridgeFlag, bipFlag, new NetlinkHostLinks()));
 * </pre>
 *
 * @param bridge the default bridge's name ({@link #NONE}: no default bridge, containers default to
 *               {@code --network none}, as dockerd's {@code --bridge=none})
 * @param bip    the default bridge's address with prefix length, e.g. {@code 10.201.1.1/24}
 * @param links  how the daemon makes and removes bridges and veth ends
 */
public record NetworkOptions(String bridge, String bip, HostLinks links) {

    /** dockerd's {@code --bridge=none}: no default bridge. */
    public static final String NONE = "none";

    /** Networking off: what a daemon gets unless its stage's main says otherwise. */
    public static final NetworkOptions DISABLED = new NetworkOptions(NONE, null, null);

    private static volatile NetworkOptions current = DISABLED;

    /** @return whether the daemon makes a default bridge */
    public boolean enabled() {
        return !NONE.equals(bridge) && links != null;
    }

    /**
     * The options of a stage's daemon command, its defaults filled in.
     *
     * @param bridge {@code --bridge} or null for {@link #defaultBridge}
     * @param bip    {@code --bip} or null for {@link #defaultBip}
     * @param links  the stage's {@link HostLinks}
     * @return the options
     * @throws dev.rabbithole.stage1.errdefs.InvalidParameterException a bip that is not {@code A.B.C.D/N} with N of
     *         8 to 30, or a bridge name longer than 15 bytes
     */
    public static NetworkOptions of(String bridge, String bip, HostLinks links) {
        String b = bridge == null || bridge.isEmpty() ? defaultBridge(Stage.current().number()) : bridge;
        String ip = bip == null || bip.isEmpty() ? defaultBip(Stage.current().number()) : bip;
        if (!NONE.equals(b)) {
            if (b.length() > 15 || !b.matches("[A-Za-z0-9_.-]+")) {
                throw new dev.rabbithole.stage1.errdefs.InvalidParameterException(
                        "invalid --bridge " + b + ": an interface name of at most 15 letters, digits, '_', '.', '-'");
            }
            Ipv4 cidr = Ipv4.parseCidr(ip);
            if (cidr.prefix() < 8 || cidr.prefix() > 30 || cidr.address() == cidr.network().address()) {
                throw new dev.rabbithole.stage1.errdefs.InvalidParameterException("invalid --bip " + ip
                        + ": the bridge's own address with a prefix of 8 to 30 (e.g. 10.201.1.1/24)");
            }
        }
        return new NetworkOptions(b, ip, links);
    }

    // tag::defaults[]
    /**
     * @param stage 1, 2, 3, ...
     * @return {@code rh-stageN}: one bridge per stage, never Docker's {@code docker0}
     */
    public static String defaultBridge(int stage) {
        return "rh-stage" + stage;
    }

    /**
     * @param stage 1, 2, 3, ...
     * @return {@code 10.201.N.1/24}: outside docker0's 172.17.0.0/16 and Docker's default pools
     *         (172.17-31.0.0/16, 192.168.0.0/16), a different /24 per stage
     */
    public static String defaultBip(int stage) {
        return "10.201." + stage + ".1/24";
    }

    /**
     * @param stage 1, 2, 3, ...
     * @return where {@code docker network create} without {@code --subnet} takes /24s from: {@code 10.(210+N).0.0/16}
     */
    public static String userPool(int stage) {
        return "10." + (210 + stage) + ".0.0/16";
    }
    // end::defaults[]

    /** @return the options the next daemon of this process gets */
    public static NetworkOptions current() {
        return current;
    }

    /**
     * Sets the options of the daemon this process starts next (a stage's daemon command, before it starts it).
     *
     * @param options the options; null for {@link #DISABLED}
     */
    public static void use(NetworkOptions options) {
        current = options == null ? DISABLED : options;
    }
}
