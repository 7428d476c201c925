package dev.rabbithole.labs.check;

import dev.rabbithole.labs.support.Spec;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Lab 06: a network namespace joined by a veth pair to a peer namespace that stands in for the host; pings both ways;
 * nothing in the root network namespace; the pair goes with the container. The checker creates the peer namespace
 * ({@code ip netns add rhlab-peer-NAME}) and deletes it whatever happened; it pings only once it has seen that no
 * packet can reach the root namespace (see {@link Net}).
 */
public final class Lab06Check extends Checker {
    @Override public int lab() { return 6; }
    @Override public String title() { return "network namespace, a veth pair to a peer namespace and a ping"; }

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
    }
}
