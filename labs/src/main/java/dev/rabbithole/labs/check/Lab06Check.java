package dev.rabbithole.labs.check;

import dev.rabbithole.labs.support.Spec;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/** Lab 06: a network namespace joined to the host by a veth pair; pings both ways; the pair goes with the container. */
public final class Lab06Check extends Checker {
    @Override public int lab() { return 6; }
    @Override public String title() { return "network namespace, a veth pair and a ping"; }

    @Override
    public void check(Context ctx, Report r) throws Exception {
        int n = ThreadLocalRandom.current().nextInt(2, 250);
        String hostIp = "10.201." + n + ".1", ctrIp = "10.201." + n + ".2";
        Spec s = new Spec();
        s.rootfs = ctx.busybox(ctx.tmp.resolve("rootfs"));
        s.ip = ctrIp + "/24";
        s.hostIp = hostIp + "/24";
        s.command = List.of("sh", "-c", "ping -c 1 -W 3 " + hostIp + " >/dev/null 2>&1; echo ping=$?; exec sleep 60");
        String hostVeth = "v" + ctx.name + "h";
        Container[] c = new Container[1];
        try {
            var pid = start(ctx, r, ctx.run(s), c);
            if (pid.isEmpty()) return;
            long p = pid.get();
            r.check(!Proc.ns(Long.toString(p), "net").equals(Proc.ns("self", "net")),
                    "the workload has a network namespace of its own", "the workload shares the host's network: add CLONE_NEWNET");
            Result link = sh("ip", "-o", "addr", "show", "dev", hostVeth);
            r.check(link.code() == 0 && link.output().contains(hostIp + "/24"),
                    "the host end " + hostVeth + " has " + hostIp + "/24",
                    "the host has no interface " + hostVeth + " with " + hostIp + "/24: create the veth pair with spec.hostVeth() "
                            + "and spec.containerVeth(), and give the host end spec.hostIp");
            c[0].awaitOutput("ping=", START);
            r.check(c[0].output().contains("ping=0"), "the container pings the host (" + hostIp + ")",
                    "the container cannot ping " + hostIp + " (" + c[0].tail() + "): move the container end into the init's "
                            + "namespace, give it spec.ip and bring it and lo up");
            Result ping = sh("busybox", "ping", "-c", "1", "-W", "3", ctrIp);
            r.check(ping.code() == 0, "the host pings the container (" + ctrIp + ")", "the host cannot ping " + ctrIp);
            c[0].stop(Duration.ofSeconds(10));
            boolean gone = false;
            for (int i = 0; i < 100 && !gone; i++) {
                gone = sh("ip", "link", "show", hostVeth).code() != 0;
                if (!gone) Thread.sleep(50);
            }
            r.check(gone, "the veth pair is gone once the container is", "the veth " + hostVeth + " is still there after the container ended");
        } finally {
            if (c[0] != null) c[0].close();
            sh("ip", "link", "del", hostVeth);
        }
    }
}
