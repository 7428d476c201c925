package dev.rabbithole.labs.check;

import dev.rabbithole.labs.support.Spec;
import java.nio.file.Path;
import java.util.List;

/**
 * Lab 08 (cgroup v1 or v2): pids.max stops a fork loop; the cpu quota (cpu.cfs_quota_us, v2 cpu.max) holds a busy loop near its share of a CPU, measured
 * from /proc/PID/stat over two seconds with a generous band.
 */
public final class Lab08Check extends Checker {
    @Override public int lab() { return 8; }
    @Override public String title() { return "pids and cpu cgroups"; }

    @Override
    public void check(Context ctx, Report r) throws Exception {
        Path rootfs = ctx.busybox(ctx.tmp.resolve("rootfs"));
        pids(ctx, r, rootfs);
        cpu(ctx, r, rootfs);
    }

    private void pids(Context ctx, Report r, Path rootfs) throws Exception {
        Spec s = new Spec();
        s.rootfs = rootfs;
        s.pidsMax = 20;
        s.command = List.of("sh", "-c",
                "(i=0; while [ $i -lt 100 ]; do sleep 60 & i=$((i+1)); done) 2>/dev/null; echo loop-ended; exec sleep 60");
        Container[] c = new Container[1];
        try {
            var pid = start(ctx, r, ctx.run(s), c);
            if (pid.isEmpty()) return;
            long p = pid.get();
            c[0].awaitOutput("loop-ended", START);
            var group = Proc.cgroup(p, "pids");
            String max = group.map(g -> Proc.first(g.resolve("pids.max"))).orElse("");
            r.check(max.equals("20"), "the workload's pids cgroup has pids.max 20",
                    "the workload's pids cgroup (" + group.map(Path::toString).orElse("?") + ") has pids.max \"" + max
                            + "\": create the pids cgroup (cgroup(root, \"pids\", NAME)), write pids.max, move the init in");
            String current = group.map(g -> Proc.first(g.resolve("pids.current"))).orElse("");
            String events = group.map(g -> Proc.first(g.resolve("pids.events"))).orElse("");
            boolean stopped = max.equals("20") && !current.isEmpty() && Integer.parseInt(current) <= 20
                    && events.startsWith("max ") && !events.equals("max 0");
            r.check(stopped, "a loop that starts 100 processes was stopped at 20 (pids.current " + current + ", pids.events " + events + ")",
                    "the fork loop was not stopped at 20 processes (pids.current \"" + current + "\")");
        } finally {
            if (c[0] != null) c[0].close();
            Cgroups.remove(ctx.name);
        }
    }

    private void cpu(Context ctx, Report r, Path rootfs) throws Exception {
        Spec s = new Spec();
        s.rootfs = rootfs;
        s.cpuQuotaMicros = 20_000;
        s.command = List.of("sh", "-c", "while :; do :; done");
        Container[] c = new Container[1];
        try {
            var pid = start(ctx, r, ctx.run(s), c);
            if (pid.isEmpty()) return;
            long p = pid.get();
            var group = Proc.cgroup(p, "cpu");
            String quota = group.map(Cgroups::cpuQuota).orElse(""), period = group.map(Cgroups::cpuPeriod).orElse("");
            String files = Cgroups.V2 ? "cpu.max" : "cpu.cfs_quota_us and cpu.cfs_period_us";
            r.check(quota.equals("20000") && period.equals("100000"), "the workload's cpu cgroup has a quota of 20000 us per 100000 us period (" + files + ")",
                    "the workload's cpu cgroup has quota \"" + quota + "\" per period \"" + period + "\" in " + files
                            + ", not 20000 per 100000: create the cpu cgroup, write " + (Cgroups.V2 ? "\"20000 100000\" to cpu.max"
                            : "cpu.cfs_period_us 100000 and cpu.cfs_quota_us") + ", move the init in");
            Thread.sleep(300);
            long t0 = Proc.cpuTicks(p), w0 = System.nanoTime();
            Thread.sleep(2000);
            long t1 = Proc.cpuTicks(p), w1 = System.nanoTime();
            double share = (t1 - t0) / 100.0 / ((w1 - w0) / 1e9);
            r.check(share > 0.02 && share < 0.40, String.format("a busy loop used %.0f%% of a CPU (quota 20%%)", share * 100),
                    String.format("a busy loop used %.0f%% of a CPU over two seconds; with the quota it stays near 20%%", share * 100));
        } finally {
            if (c[0] != null) c[0].close();
            Cgroups.remove(ctx.name);
        }
    }
}
