package dev.rabbithole.labs.check;

import dev.rabbithole.labs.support.Spec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Lab 06: a network namespace joined by a veth pair to a peer namespace that stands in for the host; pings both ways;
 * nothing in the root network namespace; the pair goes with the container. The checker creates the peer namespace
 * ({@code ip netns add rhlab-peer-NAME}) and deletes it whatever happened; it pings only once it has seen that no
 * packet can reach the root namespace (see {@link Net}). Then a second peer namespace gets two containers on a bridge
 * ({@code --bridge}): they ping each other, and a busybox httpd in the first, published with {@code --publish}, answers
 * at the peer namespace's own address through the runtime's DNAT rule (nft or iptables, inside the peer namespace).
 */
public final class Lab06Check extends Checker {
    @Override public int lab() { return 6; }
    @Override public String title() { return "network namespace, a veth pair, a bridge and a published port"; }

    @Override
    public void check(Context ctx, Report r) throws Exception {
        int n = ThreadLocalRandom.current().nextInt(2, 250);
        String subnet = "10.201." + n + ".0/24", peerIp = "10.201." + n + ".1", ctrIp = "10.201." + n + ".2";
        Spec s = new Spec();
        s.name = ctx.name;
        s.rootfs = ctx.busybox(ctx.tmp.resolve("rootfs"));
        s.ip = ctrIp + "/24";
        s.peerIp = peerIp + "/24";
        s.peerNetns = s.ownPeerNetns();
        s.command = List.of("sleep", "60");
        String peer = s.peerNetns, peerVeth = s.peerVeth(), ctrVeth = s.containerVeth();
        Container[] c = new Container[1];
        try {
            Net.add(peer);
            var pid = start(ctx, r, ctx.run(s), c, "ip netns add " + peer + " && ", "; ip netns del " + peer);
            if (pid.isEmpty()) return;
            long p = pid.get();
            boolean own = r.check(!Proc.ns(Long.toString(p), "net").equals(Proc.ns("self", "net")),
                    "the workload has a network namespace of its own", "the workload shares the host's network: add CLONE_NEWNET");
            List<String> leftovers = Net.rootLeftovers(subnet, ctx.name);
            boolean clean = r.check(leftovers.isEmpty(), "nothing of the container's network is in the host's (root) namespace",
                    "the host's network namespace has " + String.join("; ", leftovers) + ": create the pair inside the peer "
                            + "namespace (ip -n " + peer + " link add ... peer name ... netns PID), never in the host's");
            r.check(Net.addrIn(peer, peerVeth).contains(peerIp + "/24"),
                    "the peer end " + peerVeth + " is in the peer namespace " + peer + " with " + peerIp + "/24",
                    "the peer namespace " + peer + " has no interface " + peerVeth + " with " + peerIp + "/24: create the pair "
                            + "with spec.peerVeth() in spec.peerNetns and give that end spec.peerIp");
            r.check(Net.addrIn(p, ctrVeth).contains(ctrIp + "/24"),
                    "the container end " + ctrVeth + " is in the container's namespace with " + ctrIp + "/24",
                    "the container's namespace has no interface " + ctrVeth + " with " + ctrIp + "/24: move spec.containerVeth() "
                            + "into the init's namespace and give it spec.ip");
            if (own && clean) {
                r.check(Net.pingFrom(p, peerIp), "the container pings the peer end (" + peerIp + ")",
                        "the container cannot ping " + peerIp + ": bring both ends and lo up");
                r.check(Net.pingFrom(peer, ctrIp), "the peer namespace pings the container (" + ctrIp + ")",
                        "the peer namespace cannot ping " + ctrIp);
            } else {
                r.fail("no ping tried: the checker pings only between the container's own namespace and the peer namespace, "
                        + "with nothing of theirs in the host's");
            }
            c[0].stop(Duration.ofSeconds(10));
            boolean gone = false;
            for (int i = 0; i < 100 && !gone; i++) {
                gone = Checker.sh("ip", "-n", peer, "link", "show", "dev", peerVeth).code() != 0;
                if (!gone) Thread.sleep(50);
            }
            r.check(gone, "the veth pair is gone once the container is",
                    "the veth " + peerVeth + " is still in " + peer + " after the container ended");
        } finally {
            if (c[0] != null) c[0].close();
            Net.delete(peer);
            Net.deleteRootVeths(ctx.name);
        }
        bridge(ctx, r, n);
    }

    /** The bridge the runtime creates in the second peer namespace. */
    static final String BRIDGE = "rhbr0";
    /** The published port on the peer namespace's address, and the container's port it leads to (httpd's). */
    static final int HOST_PORT = 18080, PORT = 8080;

    // two containers on one bridge in a peer namespace of their own; the first serves a file on a published port
    private static void bridge(Context ctx, Report r, int n) throws Exception {
        String subnet = "10.201." + n + ".0/24", peerIp = "10.201." + n + ".1", net = "10.201." + n + ".";
        String[] names = {ctx.name + "a", ctx.name + "b"}, ips = {net + "2", net + "3"};
        String peer = Spec.PEER_NETNS_PREFIX + ctx.name + "br", token = "served-by-" + names[0];
        Container[] c = new Container[2];
        try {
            Net.add(peer);
            long[] pids = new long[2];
            for (int i = 0; i < 2; i++) {
                Spec s = new Spec();
                s.name = names[i];
                s.rootfs = ctx.busybox(ctx.tmp.resolve("rootfs-" + names[i]));
                s.ip = ips[i] + "/24";
                s.peerIp = peerIp + "/24";
                s.peerNetns = peer;
                s.bridge = BRIDGE;
                if (i == 0) {
                    s.publish.add(HOST_PORT + ":" + PORT);
                    s.command = List.of("sh", "-c", "echo " + token + " > /tmp/index.html && exec httpd -f -p " + PORT + " -h /tmp");
                } else {
                    s.command = List.of("sleep", "60");
                }
                List<String> args = new ArrayList<>(List.of("run"));
                args.addAll(s.toArgs());
                Container[] one = new Container[1];
                var pid = start(ctx, r, args, one, "ip netns add " + peer + " && ", "; ip netns del " + peer);
                c[i] = one[0];
                if (pid.isEmpty()) return;
                pids[i] = pid.get();
            }
            boolean safe = true;
            for (int i = 0; i < 2; i++) {
                safe &= !Proc.ns(Long.toString(pids[i]), "net").equals(Proc.ns("self", "net"))
                        && Net.rootLeftovers(subnet, names[i]).isEmpty();
            }
            boolean rulesClean = !Net.rootNatRules().contains(net);
            safe = r.check(safe && rulesClean, "with --bridge, nothing of the two containers' network or DNAT rule is in the host's namespace",
                    "with --bridge, the host's network namespace holds an address, route, veth or rule of the containers, or one "
                            + "shares the host's network: the bridge, the veths and the DNAT rule belong in the peer namespace " + peer);
            r.check(Net.addrIn(peer, BRIDGE).contains(peerIp + "/24"),
                    "the bridge " + BRIDGE + " is in the peer namespace with " + peerIp + "/24",
                    "the peer namespace has no bridge " + BRIDGE + " with " + peerIp + "/24: with spec.bridge, create it when "
                            + "ip -n PEERNS link show dev BRIDGE fails (link add BRIDGE type bridge) and give it spec.peerIp");
            boolean enslaved = true;
            for (String name : names) {
                Spec s = new Spec();
                s.name = name;
                enslaved &= sh("ip", "-n", peer, "-o", "link", "show", "dev", s.peerVeth()).output().contains("master " + BRIDGE);
            }
            r.check(enslaved, "both containers' peer ends are enslaved to " + BRIDGE,
                    "a peer end of the veths is not on the bridge: ip -n PEERNS link set PEERVETH master BRIDGE");
            if (safe) {
                r.check(Net.pingFrom(pids[1], ips[0]) && Net.pingFrom(pids[0], ips[1]),
                        "the two containers on the bridge ping each other (" + ips[0] + ", " + ips[1] + ")",
                        "the two containers on the bridge cannot ping each other: both veths on the bridge, all up");
                boolean served = false;
                String get = "printf 'GET /index.html HTTP/1.0\\r\\n\\r\\n' | busybox nc -w 3 " + peerIp + " " + HOST_PORT;
                for (int i = 0; i < 50 && !served; i++) {
                    served = sh("ip", "netns", "exec", peer, "sh", "-c", get).output().contains(token);
                    if (!served) Thread.sleep(100);
                }
                r.check(served, "httpd in the first container answers at the peer's own address " + peerIp + ":" + HOST_PORT
                                + " (--publish " + HOST_PORT + ":" + PORT + ", DNAT in the peer namespace)",
                        "nothing answers at " + peerIp + ":" + HOST_PORT + " in the peer namespace: for --publish " + HOST_PORT
                                + ":" + PORT + " add DNAT rules there (nat hooks prerouting and output) to " + ips[0] + ":" + PORT);
                if (!served) {
                    var hooks = Net.dnatHooks(peer);
                    if (!hooks.isEmpty() && !hooks.contains("output")) {
                        r.hint("dnat-prerouting-only", "the peer namespace has DNAT rules in " + hooks + " but none in the nat "
                                + "output hook: a connection opened in the namespace itself never passes prerouting (Docker adds "
                                + "its DNAT to both PREROUTING and OUTPUT)");
                    }
                }
            } else {
                r.fail("no ping or connection tried on the bridge: the checker sends packets only between namespaces it made, "
                        + "with nothing of theirs in the host's");
            }
            for (Container one : c) one.stop(Duration.ofSeconds(10));
            boolean gone = false;
            for (int i = 0; i < 100 && !gone; i++) {
                gone = true;
                for (String name : names) {
                    Spec s = new Spec();
                    s.name = name;
                    gone &= sh("ip", "-n", peer, "link", "show", "dev", s.peerVeth()).code() != 0;
                }
                if (!gone) Thread.sleep(50);
            }
            r.check(gone, "both veth pairs are gone once their containers are (the bridge stays, as docker0 does)",
                    "a veth is still on " + BRIDGE + " in " + peer + " after its container ended");
        } finally {
            for (Container one : c) if (one != null) one.close();
            Net.delete(peer);
            for (String name : names) Net.deleteRootVeths(name);
        }
    }
}
