package dev.rabbithole.labs.check;

import dev.rabbithole.labs.support.Spec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * The network side of the checkers (labs 06 and 12). The workplace rule they follow: test traffic goes only to
 * loopback or to addresses inside network namespaces the check created. So the veth's "host" end lives in a peer
 * namespace ({@code ip netns add rhlab-peer-NAME}), nothing of the container's network may appear in the root
 * network namespace, and the checkers ping only after {@link #rootLeftovers} and the workload's own namespace say
 * that no packet can reach the root namespace. Follows ip-netns(8), ip-address(8), ip-route(8) and nsenter(1).
 */
final class Net {
    private Net() {}

    /** Where ip-netns(8) keeps the named network namespaces. */
    static final Path NETNS = Path.of("/run/netns");

    /**
     * @param name a network namespace name
     * @return whether /run/netns/NAME exists
     */
    static boolean exists(String name) {
        return Files.exists(NETNS.resolve(name));
    }

    /**
     * Creates a named network namespace, replacing a leftover of the same name.
     *
     * @param name the name
     * @throws IOException when ip fails (the message holds its output)
     * @throws InterruptedException when interrupted
     */
    static void add(String name) throws IOException, InterruptedException {
        delete(name);
        Checker.Result r = Checker.sh("ip", "netns", "add", name);
        if (r.code() != 0) throw new IOException("ip netns add " + name + ": " + r.output().strip());
    }

    /**
     * Deletes a named network namespace if it exists, never throwing on ip's failure. The kernel deletes the veth
     * ends inside it with it (once no process holds it).
     *
     * @param name the name
     * @throws IOException when ip cannot start
     * @throws InterruptedException when interrupted
     */
    static void delete(String name) throws IOException, InterruptedException {
        if (exists(name)) Checker.sh("ip", "netns", "del", name);
    }

    /**
     * Removes what a container of this name may have left in the root network namespace by mistake: interfaces
     * with its veth names (the peer end and the container end).
     *
     * @param containerName the container's name
     * @throws IOException when ip cannot start
     * @throws InterruptedException when interrupted
     */
    static void deleteRootVeths(String containerName) throws IOException, InterruptedException {
        Spec s = new Spec();
        s.name = containerName;
        for (String dev : List.of(s.peerVeth(), s.containerVeth())) {
            if (Checker.sh("ip", "link", "show", "dev", dev).code() == 0) Checker.sh("ip", "link", "del", dev);
        }
    }

    /**
     * Looks for anything of a container's network in the root network namespace: an address in its subnet, a route
     * into its subnet, or an interface with its veth names.
     *
     * @param subnet        the container's subnet, "10.201.7.0/24"
     * @param containerName the container's name (for the veth names)
     * @return what was found, empty when the root namespace is clean
     * @throws IOException when ip cannot start
     * @throws InterruptedException when interrupted
     */
    static List<String> rootLeftovers(String subnet, String containerName) throws IOException, InterruptedException {
        List<String> found = new ArrayList<>();
        String addrs = Checker.sh("ip", "-o", "addr", "show", "to", subnet).output().strip();
        if (!addrs.isEmpty()) found.add("addresses in " + subnet + ": " + addrs.replaceAll("\\s+", " "));
        String routes = Checker.sh("ip", "route", "show", "root", subnet).output().strip();
        if (!routes.isEmpty()) found.add("routes into " + subnet + ": " + routes.replaceAll("\\s+", " "));
        Spec s = new Spec();
        s.name = containerName;
        for (String dev : List.of(s.peerVeth(), s.containerVeth())) {
            if (Checker.sh("ip", "link", "show", "dev", dev).code() == 0) found.add("the interface " + dev);
        }
        return found;
    }

    /**
     * Pings once from inside a process's network namespace (busybox ping, run by the host through nsenter).
     *
     * @param pid the process whose network namespace sends; the caller has made sure it is not the root one
     * @param ip  the address
     * @return whether a reply came
     * @throws IOException when nsenter cannot start
     * @throws InterruptedException when interrupted
     */
    static boolean pingFrom(long pid, String ip) throws IOException, InterruptedException {
        return Checker.sh("nsenter", "--target", Long.toString(pid), "--net", "busybox", "ping", "-c", "1", "-W", "3", ip).code() == 0;
    }

    /**
     * Pings once from inside a named network namespace.
     *
     * @param netns the namespace; the caller created it
     * @param ip    the address
     * @return whether a reply came
     * @throws IOException when ip cannot start
     * @throws InterruptedException when interrupted
     */
    static boolean pingFrom(String netns, String ip) throws IOException, InterruptedException {
        return Checker.sh("ip", "netns", "exec", netns, "busybox", "ping", "-c", "1", "-W", "3", ip).code() == 0;
    }

    /**
     * @param netns a named network namespace
     * @param dev   an interface
     * @return {@code ip -o addr show dev DEV} inside the namespace, empty when it fails
     * @throws IOException when ip cannot start
     * @throws InterruptedException when interrupted
     */
    static String addrIn(String netns, String dev) throws IOException, InterruptedException {
        Checker.Result r = Checker.sh("ip", "-n", netns, "-o", "addr", "show", "dev", dev);
        return r.code() == 0 ? r.output() : "";
    }

    /**
     * @param pid a process
     * @param dev an interface
     * @return {@code ip -o addr show dev DEV} inside the process's network namespace, empty when it fails
     * @throws IOException when nsenter cannot start
     * @throws InterruptedException when interrupted
     */
    static String addrIn(long pid, String dev) throws IOException, InterruptedException {
        Checker.Result r = Checker.sh("nsenter", "--target", Long.toString(pid), "--net", "ip", "-o", "addr", "show", "dev", dev);
        return r.code() == 0 ? r.output() : "";
    }

    /**
     * The root network namespace's firewall rules, to look for a lab's DNAT rule where it must not be.
     *
     * @return {@code nft list ruleset}, or when nft is missing {@code iptables -t nat -S}; empty when neither runs
     * @throws InterruptedException when interrupted
     */
    static String rootNatRules() throws InterruptedException {
        for (String[] cmd : new String[][] {{"nft", "list", "ruleset"}, {"iptables", "-t", "nat", "-S"}}) {
            try {
                Checker.Result r = Checker.sh(cmd);
                if (r.code() == 0) return r.output();
            } catch (IOException absent) {
                // try the next tool
            }
        }
        return "";
    }

    /**
     * Which nat hooks of a named network namespace hold a DNAT rule: read from {@code nft list ruleset} there (a chain
     * "type nat hook HOOK" holding "dnat to"; iptables-nft's rules show there too), else from
     * {@code iptables -t nat -S} there ("-A PREROUTING ... -j DNAT").
     *
     * @param netns the namespace; the caller created it
     * @return the hooks in lower case, "prerouting", "output", ...; empty when there is none or neither tool runs
     * @throws InterruptedException when interrupted
     */
    static Set<String> dnatHooks(String netns) throws InterruptedException {
        Set<String> hooks = new TreeSet<>();
        try {
            Checker.Result nft = Checker.sh("ip", "netns", "exec", netns, "nft", "list", "ruleset");
            if (nft.code() == 0) {
                String hook = null;
                for (String line : nft.output().split("\n")) {
                    String l = line.strip();
                    if (l.startsWith("chain ")) hook = null;
                    int at = l.indexOf("type nat hook ");
                    if (at >= 0) hook = l.substring(at + "type nat hook ".length()).split("[\\s;]")[0];
                    if (hook != null && l.contains("dnat to")) hooks.add(hook.toLowerCase(Locale.ROOT));
                }
                return hooks;
            }
        } catch (IOException absent) {
            // no nft: try iptables
        }
        try {
            Checker.Result ipt = Checker.sh("ip", "netns", "exec", netns, "iptables", "-t", "nat", "-S");
            for (String line : ipt.output().split("\n")) {
                String[] f = line.strip().split("\\s+");
                if (f.length > 1 && f[0].equals("-A") && line.contains("-j DNAT")) hooks.add(f[1].toLowerCase(Locale.ROOT));
            }
        } catch (IOException absent) {
            // neither tool: nothing known
        }
        return hooks;
    }
}
