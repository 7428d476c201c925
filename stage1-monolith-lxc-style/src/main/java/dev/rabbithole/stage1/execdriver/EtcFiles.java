package dev.rabbithole.stage1.execdriver;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The three files Docker's daemon writes for every container and bind-mounts over the image's:
 * {@code /etc/hostname}, {@code /etc/hosts} and {@code /etc/resolv.conf}. Both exec drivers use them (LXC through
 * {@code lxc.mount.entry}, the native driver through libcontainer's bind mounts), so a container sees the same
 * files on stage 1 and stage 2.
 *
 * <ul>
 * <li>hostname(5): the container's hostname and a newline.</li>
 * <li>hosts(5): Docker's default lines (localhost on 127.0.0.1 and ::1, the IPv6 multicast names), then the
 *     container's hostname on 127.0.1.1. Docker puts the hostname on the container's bridge address; a
 *     rabbithole container has only loopback, so the hostname resolves there (as Debian's own /etc/hosts does).</li>
 * <li>resolv.conf(5): the host's, without its loopback nameservers ({@code 127.0.0.0/8}, {@code ::1}), which
 *     would point into the container's own network namespace; when none is left, Google's public servers,
 *     Docker's fallback ({@code 8.8.8.8}, {@code 8.8.4.4}). Docker's rule, libnetwork's {@code FilterResolvDNS}.</li>
 * </ul>
 */
public final class EtcFiles {
    private EtcFiles() { }

    /** The file names written by {@link #write}, in the directory given: {@code hostname}, {@code hosts}, {@code resolv.conf}. */
    public static final List<String> NAMES = List.of("hostname", "hosts", "resolv.conf");

    /** The host's resolver configuration, which {@link #resolvConf(String)} filters. */
    public static final Path HOST_RESOLV_CONF = Path.of("/etc/resolv.conf");

    /**
     * A file the daemon leaves in a state directory whose {@code hostname}, {@code hosts} and {@code resolv.conf} it
     * wrote itself (networking: the container's address, its peers, {@code --add-host}, {@code --dns}); {@link #write}
     * then keeps them, so that the daemon can rewrite them in place later.
     */
    public static final String DAEMON_MARKER = ".etc-by-daemon";

    /** The nameservers a container gets when the host has only loopback ones (Docker's defaults). */
    public static final List<String> FALLBACK_NAMESERVERS = List.of("8.8.8.8", "8.8.4.4");

    // tag::etc-files[]
    /**
     * @param hostname the container's hostname
     * @return the text of /etc/hosts
     */
    public static String hosts(String hostname) {
        return "127.0.0.1\tlocalhost\n"
                + "::1\tlocalhost ip6-localhost ip6-loopback\n"
                + "fe00::0\tip6-localnet\n"
                + "ff00::0\tip6-mcastprefix\n"
                + "ff02::1\tip6-allnodes\n"
                + "ff02::2\tip6-allrouters\n"
                + "127.0.1.1\t" + hostname + "\n";
    }

    /**
     * The container's resolv.conf from the host's: every line kept but {@code nameserver} lines with a loopback
     * address; if no nameserver is left, {@link #FALLBACK_NAMESERVERS} are appended.
     *
     * @param host the host's resolv.conf text (empty when it has none)
     * @return the container's resolv.conf text, ending in a newline
     */
    public static String resolvConf(String host) {
        List<String> kept = new ArrayList<>();
        boolean nameserver = false;
        for (String line : host.split("\n", -1)) {
            String[] f = line.trim().split("\\s+");
            if (f.length >= 2 && f[0].equals("nameserver")) {
                if (isLoopback(f[1])) {
                    continue;
                }
                nameserver = true;
            }
            kept.add(line);
        }
        while (!kept.isEmpty() && kept.get(kept.size() - 1).isBlank()) {
            kept.remove(kept.size() - 1);
        }
        if (!nameserver) {
            FALLBACK_NAMESERVERS.forEach(ns -> kept.add("nameserver " + ns));
        }
        return String.join("\n", kept) + "\n";
    }
    // end::etc-files[]

    /** @return whether a nameserver address is loopback: 127.0.0.0/8 or ::1 (with or without a zone) */
    static boolean isLoopback(String address) {
        String a = address.contains("%") ? address.substring(0, address.indexOf('%')) : address;
        return a.startsWith("127.") || a.equals("::1") || a.equals("0:0:0:0:0:0:0:1");
    }

    /**
     * Writes {@code hostname}, {@code hosts} and {@code resolv.conf} for a container into a directory of the host
     * (created if missing), each replaced atomically (temporary file, rename); unless the daemon wrote them for this
     * start ({@link #DAEMON_MARKER} in the directory).
     *
     * @param dir      the directory, e.g. the exec driver's state directory
     * @param hostname the container's hostname
     * @param hostResolvConf the host's resolv.conf; a missing or unreadable one counts as empty
     * @throws IOException when the directory or a file cannot be written
     */
    public static void write(Path dir, String hostname, Path hostResolvConf) throws IOException {
        Files.createDirectories(dir);
        if (Files.exists(dir.resolve(DAEMON_MARKER))) {
            return;                                 // the daemon's networking wrote them for this start
        }
        String host;
        try {
            host = Files.isReadable(hostResolvConf) ? Files.readString(hostResolvConf) : "";
        } catch (IOException e) {
            host = "";
        }
        writeFile(dir.resolve("hostname"), hostname + "\n");
        writeFile(dir.resolve("hosts"), hosts(hostname));
        writeFile(dir.resolve("resolv.conf"), resolvConf(host));
    }

    private static void writeFile(Path target, String text) throws IOException {
        dev.rabbithole.stage1.AtomicFiles.writeString(target, text);
    }
}
