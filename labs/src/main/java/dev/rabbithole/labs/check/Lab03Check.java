package dev.rabbithole.labs.check;

import dev.rabbithole.labs.support.Spec;
import java.net.InetAddress;
import java.util.List;

/** Lab 03: a UTS namespace with the container's own hostname; the host keeps its name. */
public final class Lab03Check extends Checker {
    @Override public int lab() { return 3; }
    @Override public String title() { return "UTS namespace and hostname"; }

    @Override
    public void check(Context ctx, Report r) throws Exception {
        String hostBefore = sh("hostname").output().trim();
        Spec s = new Spec();
        s.rootfs = ctx.busybox(ctx.tmp.resolve("rootfs"));
        s.hostname = "box-" + ctx.name;
        s.command = List.of("sh", "-c", "echo inside=$(hostname); exec sleep 60");
        Container[] c = new Container[1];
        try {
            var pid = start(ctx, r, ctx.run(s), c);
            if (pid.isEmpty()) return;
            long p = pid.get();
            r.check(!Proc.ns(Long.toString(p), "uts").equals(Proc.ns("self", "uts")),
                    "the workload has a UTS namespace of its own", "the workload shares the host's UTS namespace: add CLONE_NEWUTS");
            String inside = sh("nsenter", "--target", Long.toString(p), "--uts", "hostname").output().trim();
            r.check(inside.equals(s.hostname), "the hostname in the container's UTS namespace is " + s.hostname,
                    "the hostname in the container's UTS namespace is \"" + inside + "\", not \"" + s.hostname
                            + "\": call sethostname in the init, before execve");
            String hostAfter = sh("hostname").output().trim();
            r.check(hostAfter.equals(hostBefore), "the host's hostname is still " + hostBefore,
                    "the host's hostname changed to " + hostAfter + " (set it back: hostname " + hostBefore
                            + "): sethostname ran in the host's UTS namespace");
        } finally {
            if (c[0] != null) c[0].close();
            String now = sh("hostname").output().trim();
            if (!now.equals(hostBefore)) sh("hostname", hostBefore);
        }
    }
}
