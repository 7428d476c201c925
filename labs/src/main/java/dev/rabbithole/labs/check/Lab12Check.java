package dev.rabbithole.labs.check;

import dev.rabbithole.labs.support.Caps;
import dev.rabbithole.labs.support.Spec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Lab 12: {@code busybox} in one command, with every piece of the earlier labs, checked from outside. The runtime
 * creates its own peer network namespace ({@code rhlab-peer-NAME}) and must delete it; the checker deletes it too,
 * whatever happened, and pings only once it has seen that no packet can reach the root namespace (see {@link Net}).
 */
public final class Lab12Check extends Checker {
    @Override public int lab() { return 12; }
    @Override public String title() { return "all together: busybox in your own container"; }

    @Override
    public void check(Context ctx, Report r) throws Exception {
        int n = 1 + (ctx.name.hashCode() & 0x7f);
        String subnet = "10.202." + n + ".0/24", peerIp = "10.202." + n + ".1", ctrIp = "10.202." + n + ".2";
        Spec names = new Spec();
        names.name = ctx.name;
        String peer = names.ownPeerNetns(), peerVeth = names.peerVeth();
        List<String> args = List.of("busybox", "--name", ctx.name, "--", "sleep", "60");
        Container[] c = new Container[1];
        try {
            var pid = start(ctx, r, args, c);
            if (pid.isEmpty()) return;
            long p = pid.get();
            r.check(innermostPid(p).equals("1"), "the workload is pid 1 in its pid namespace",
                    "the workload is not pid 1 (NSpid: " + Proc.status(p, "NSpid") + ")");
            List<String> own = List.of("mnt", "uts", "pid", "net", "ipc", "cgroup");
            List<String> shared = own.stream().filter(k -> Proc.ns(Long.toString(p), k).equals(Proc.ns("self", k))).toList();
            r.check(shared.isEmpty(), "it has its own " + String.join(", ", own) + " namespaces",
                    "it shares these namespaces with the host: " + shared + " (lab 12 adds CLONE_NEWIPC and CLONE_NEWCGROUP)");
            String hn = sh("nsenter", "--target", Long.toString(p), "--uts", "hostname").output().trim();
            r.check(hn.equals(ctx.name), "its hostname is its name, " + ctx.name, "its hostname is \"" + hn + "\", not " + ctx.name);
            r.check(Proc.rootMount(p).contains(" - overlay ") && Files.exists(Path.of("/proc", Long.toString(p), "root/bin/busybox")),
                    "its root is an overlay with the busybox layer", "its root is not an overlay holding /bin/busybox");
            String mem = Proc.cgroup(p, "memory").map(Cgroups::memoryLimit).orElse("");
            String pids = Proc.cgroup(p, "pids").map(g -> Proc.first(g.resolve("pids.max"))).orElse("");
            r.check(mem.equals(Long.toString(256L << 20)) && pids.equals("256"), Cgroups.memoryLimitFile() + " is 256 MiB and pids.max 256",
                    "the default limits are memory " + mem + " and pids " + pids + ", not 268435456 and 256");
            String eff = Proc.status(p, "CapEff");
            r.check(!eff.isEmpty() && Long.parseUnsignedLong(eff, 16) == Caps.mask(Caps.DOCKER_DEFAULT),
                    "CapEff is Docker's default set of 14", "CapEff is " + eff + ", not Docker's default "
                            + String.format("%016x", Caps.mask(Caps.DOCKER_DEFAULT)));
            r.check(Proc.status(p, "Seccomp").equals("2"), "a seccomp filter is installed (Seccomp: 2)", "no seccomp filter (Seccomp: "
                    + Proc.status(p, "Seccomp") + ")");
            List<String> inRoot = Net.rootLeftovers(subnet, ctx.name);
            boolean clean = r.check(inRoot.isEmpty(), "nothing of its network is in the host's (root) namespace",
                    "the host's network namespace has " + String.join("; ", inRoot));
            r.check(Net.addrIn(peer, peerVeth).contains(peerIp + "/24"),
                    "its veth's other end " + peerVeth + " is in its own peer namespace " + peer + " with " + peerIp + "/24",
                    "there is no " + peerVeth + " with " + peerIp + "/24 in a peer namespace " + peer
                            + ": create it with ip netns add spec.ownPeerNetns() and set spec.peerNetns, spec.peerIp");
            if (clean && !shared.contains("net")) {
                r.check(Net.pingFrom(p, peerIp), "it pings the peer end of its veth (" + peerIp + ")", "it cannot ping " + peerIp);
                r.check(Net.pingFrom(peer, ctrIp), "the peer namespace pings it (" + ctrIp + ")", "the peer namespace cannot ping " + ctrIp);
            } else {
                r.fail("no ping tried: the checker pings only between the container's own namespace and its peer namespace, "
                        + "with nothing of theirs in the host's");
            }
            c[0].stop(Duration.ofSeconds(10));
            boolean leftovers = false;
            for (int i = 0; i < 100; i++) {
                leftovers = Net.exists(peer) || !Net.rootLeftovers(subnet, ctx.name).isEmpty()
                        || Cgroups.containerDirs(CgroupLayout.ROOT, Cgroups.V2, ctx.name).stream().anyMatch(Files::exists);
                if (!leftovers) break;
                Thread.sleep(50);
            }
            r.check(!leftovers, "nothing is left afterwards (peer namespace, veth, cgroups)",
                    "something is left after the container ended: the peer namespace " + peer + " (ip netns del it after run), "
                            + "a veth or a cgroup");
        } finally {
            if (c[0] != null) c[0].close();
            Cgroups.remove(ctx.name);
            Net.delete(peer);
            Net.deleteRootVeths(ctx.name);
        }
    }
}
