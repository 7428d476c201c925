package dev.rabbithole.labs.check;

import dev.rabbithole.labs.support.Spec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Lab 04: the workload is pid 1 of a pid namespace, and its /proc shows that namespace. */
public final class Lab04Check extends Checker {
    @Override public int lab() { return 4; }
    @Override public String title() { return "PID namespace and /proc"; }

    @Override
    public void check(Context ctx, Report r) throws Exception {
        Spec s = new Spec();
        s.rootfs = ctx.busybox(ctx.tmp.resolve("rootfs"));
        s.command = List.of("sh", "-c", "exec sleep 60");
        Container[] c = new Container[1];
        try {
            var pid = start(ctx, r, ctx.run(s), c);
            if (pid.isEmpty()) return;
            long p = pid.get();
            r.check(!Proc.ns(Long.toString(p), "pid").equals(Proc.ns("self", "pid")),
                    "the workload has a pid namespace of its own", "the workload is in the host's pid namespace: add CLONE_NEWPID");
            String inner = innermostPid(p);
            r.check(inner.equals("1"), "the workload is pid 1 in its namespace (NSpid: " + Proc.status(p, "NSpid") + ")",
                    "the workload is pid " + inner + " in its namespace, not 1 (NSpid: " + Proc.status(p, "NSpid") + ")");
            String procOne = Proc.status(p, "Name");
            Path theirProc1 = Path.of("/proc", Long.toString(p), "root", "proc", "1", "status");
            String seen = "";
            for (String l : Proc.lines(theirProc1)) if (l.startsWith("Name:")) seen = l.substring(5).trim();
            r.check(seen.equals(procOne), "inside, /proc/1 is the workload itself: /proc shows the container's pids",
                    "inside the container /proc/1 is \"" + (seen.isEmpty() ? "missing" : seen) + "\", not the workload (\""
                            + procOne + "\"): mount a new proc on /proc after pivot_root, so that ps stops showing the host's processes");
            if (seen.isEmpty() && !Files.isDirectory(Path.of("/proc", Long.toString(p), "root", "proc", "self"))) {
                r.hint("proc-not-mounted", "nothing is mounted on the container's /proc: it is the rootfs's empty directory, so "
                        + "ps shows nothing, and with the host's /proc (a chroot, or a proc mounted before pivot_root) it shows the "
                        + "host's processes. Mount a proc of the new pid namespace after pivot_root: mount(\"proc\", \"/proc\", \"proc\", ...)");
            }
        } finally {
            if (c[0] != null) c[0].close();
        }
    }
}
