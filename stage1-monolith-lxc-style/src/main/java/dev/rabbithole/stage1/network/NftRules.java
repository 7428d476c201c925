package dev.rabbithole.stage1.network;

import dev.rabbithole.stage1.errdefs.SystemException;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The daemon's NAT and filter rules, in one nftables table of its own per stage ({@code ip rabbithole-stage1}),
 * rebuilt whole and atomically ({@code nft -f -}: one transaction) from the daemon's state after every change, so
 * that cleaning up is deleting that one table and a daemon restarted after a {@code kill -9} drops whatever the
 * dead one left by writing the table anew. nft(8) syntax; the chains mirror what Docker puts into iptables:
 *
 * <pre>
 * prerouting, output (nat)  to a local address: jump publish
 * publish                   [ip daddr HOSTIP] tcp|udp dport HOSTPORT dnat to CONTAINER:PORT   (-p)
 * postrouting (nat)         from a bridge's subnet out another interface: masquerade          (outbound NAT)
 *                           from 127.0.0.0/8 out a bridge: masquerade (published ports on 127.0.0.1, with
 *                           route_localnet on the bridge, as dockerd without its userland proxy)
 *                           from a bridge's subnet, DNATed back into it: masquerade (hairpin)
 * forward (filter)          between two of our bridges: drop; to a bridge, established or DNATed: accept;
 *                           from a bridge: accept
 * </pre>
 */
final class NftRules {

    /** One bridge the rules serve. */
    record Bridge(String name, Ipv4 subnet) { }

    /** One published port: {@code hostIp} null or {@code 0.0.0.0} for every local address. */
    record Publish(String proto, String hostIp, int hostPort, String containerIp, int containerPort) { }

    private final String table;

    /** @param stage the stage number, which names the table */
    NftRules(int stage) {
        this.table = "rabbithole-stage" + stage;
    }

    /** @return the table's name, {@code rabbithole-stageN} (family ip) */
    String table() {
        return table;
    }

    /** @return whether the host has {@code nft} (the daemon's choice of firewall front end) */
    static boolean available() {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin").split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, "nft"))) {
                return true;
            }
        }
        return Files.isExecutable(Path.of("/usr/sbin/nft"));
    }

    // tag::nft-script[]
    /** @return the nft script that replaces the table with the rules for these bridges and ports */
    String script(List<Bridge> bridges, List<Publish> ports) {
        StringBuilder s = new StringBuilder();
        s.append("table ip ").append(table).append("\n");
        s.append("delete table ip ").append(table).append("\n");
        s.append("table ip ").append(table).append(" {\n");
        s.append("  chain prerouting {\n    type nat hook prerouting priority dstnat; policy accept;\n")
                .append("    fib daddr type local jump publish\n  }\n");
        s.append("  chain output {\n    type nat hook output priority -100; policy accept;\n")
                .append("    fib daddr type local jump publish\n  }\n");
        s.append("  chain publish {\n");
        for (Publish p : ports) {
            s.append("    ");
            if (p.hostIp() != null && !p.hostIp().isEmpty() && !p.hostIp().equals("0.0.0.0")) {
                s.append("ip daddr ").append(p.hostIp()).append(' ');
            }
            s.append(p.proto()).append(" dport ").append(p.hostPort()).append(" dnat to ")
                    .append(p.containerIp()).append(':').append(p.containerPort()).append('\n');
        }
        s.append("  }\n");
        s.append("  chain postrouting {\n    type nat hook postrouting priority srcnat; policy accept;\n");
        for (Bridge b : bridges) {
            s.append("    ip saddr ").append(b.subnet().network()).append(" oifname != \"").append(b.name())
                    .append("\" masquerade\n");
            s.append("    ip saddr 127.0.0.0/8 oifname \"").append(b.name()).append("\" masquerade\n");
            // hairpin: a container reaching a published port through a host address answers through the host
            s.append("    ip saddr ").append(b.subnet().network()).append(" oifname \"").append(b.name())
                    .append("\" ct status dnat masquerade\n");
        }
        s.append("  }\n");
        s.append("  chain forward {\n    type filter hook forward priority filter; policy accept;\n");
        for (Bridge a : bridges) {
            for (Bridge b : bridges) {
                if (!a.equals(b)) {
                    s.append("    iifname \"").append(a.name()).append("\" oifname \"").append(b.name())
                            .append("\" drop\n");
                }
            }
        }
        for (Bridge b : bridges) {
            s.append("    oifname \"").append(b.name()).append("\" ct state established,related accept\n");
            s.append("    oifname \"").append(b.name()).append("\" ct status dnat accept\n");
            s.append("    iifname \"").append(b.name()).append("\" accept\n");
        }
        s.append("  }\n}\n");
        return s.toString();
    }
    // end::nft-script[]

    /**
     * Replaces the table, in one transaction.
     *
     * @throws SystemException nft refused the script (its message)
     */
    void apply(List<Bridge> bridges, List<Publish> ports) {
        List<Bridge> sorted = new ArrayList<>(bridges);
        Commands.Result r = Commands.run(List.of("nft", "-f", "-"), script(sorted, ports));
        if (r.exit() != 0) {
            throw new SystemException("nft: " + r.err().strip());
        }
    }

    /** Deletes the table; one that is not there is success. */
    void delete() {
        Commands.run(List.of("nft", "-f", "-"), "table ip " + table + "\ndelete table ip " + table + "\n");
    }
}
