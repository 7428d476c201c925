package dev.rabbithole.labs.check;

import dev.rabbithole.labs.support.Caps;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** Lab 12: {@code busybox} in one command, with every piece of the earlier labs, checked from outside. */
public final class Lab12Check extends Checker {
    @Override public int lab() { return 12; }
    @Override public String title() { return "all together: busybox in your own container"; }

    @Override
    public void check(Context ctx, Report r) throws Exception {
        int n = 1 + (ctx.name.hashCode() & 0x7f);
        String hostIp = "10.202." + n + ".1";
        List<String> args = List.of("busybox", "--name", ctx.name, "--", "sh", "-c",
                "ping -c 1 -W 3 " + hostIp + " >/dev/null 2>&1; echo ping=$?; exec sleep 60");
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
            String mem = Proc.cgroup(p, "memory").map(g -> Proc.first(g.resolve("memory.limit_in_bytes"))).orElse("");
            String pids = Proc.cgroup(p, "pids").map(g -> Proc.first(g.resolve("pids.max"))).orElse("");
            r.check(mem.equals(Long.toString(256L << 20)) && pids.equals("256"), "memory.limit_in_bytes is 256 MiB and pids.max 256",
                    "the default limits are memory " + mem + " and pids " + pids + ", not 268435456 and 256");
            String eff = Proc.status(p, "CapEff");
            r.check(!eff.isEmpty() && Long.parseUnsignedLong(eff, 16) == Caps.mask(Caps.DOCKER_DEFAULT),
                    "CapEff is Docker's default set of 14", "CapEff is " + eff + ", not Docker's default "
                            + String.format("%016x", Caps.mask(Caps.DOCKER_DEFAULT)));
            r.check(Proc.status(p, "Seccomp").equals("2"), "a seccomp filter is installed (Seccomp: 2)", "no seccomp filter (Seccomp: "
                    + Proc.status(p, "Seccomp") + ")");
            c[0].awaitOutput("ping=", START);
            r.check(c[0].output().contains("ping=0"), "it pings the host end of its veth (" + hostIp + ")",
                    "it cannot ping " + hostIp + " (" + c[0].tail() + ")");
            c[0].stop(Duration.ofSeconds(10));
            boolean leftovers = false;
            for (int i = 0; i < 100; i++) {
                leftovers = sh("ip", "link", "show", "v" + ctx.name + "h").code() == 0
                        || Files.exists(Path.of("/sys/fs/cgroup/memory/rabbithole-labs", ctx.name))
                        || Files.exists(Path.of("/sys/fs/cgroup/pids/rabbithole-labs", ctx.name));
                if (!leftovers) break;
                Thread.sleep(50);
            }
            r.check(!leftovers, "nothing is left on the host afterwards (veth, cgroups)", "a veth or a cgroup is left on the host");
        } finally {
            if (c[0] != null) c[0].close();
            Cgroups.remove(ctx.name);
            sh("ip", "link", "del", "v" + ctx.name + "h");
        }
    }
}
