package dev.rabbithole.labs.check;

import dev.rabbithole.labs.support.Spec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** Lab 07 (cgroup v1 or v2): a memory cgroup whose limit the kernel enforces with the OOM killer; the cgroup goes with the container. */
public final class Lab07Check extends Checker {
    @Override public int lab() { return 7; }
    @Override public String title() { return "a memory cgroup and the OOM killer"; }

    static final long LIMIT = 64L << 20;

    @Override
    public void check(Context ctx, Report r) throws Exception {
        Spec s = new Spec();
        s.rootfs = ctx.busybox(ctx.tmp.resolve("rootfs"));
        s.memoryBytes = LIMIT;
        // dd's buffer is bs bytes, filled from /dev/zero: 128 MiB of touched memory
        s.command = List.of("sh", "-c", "dd if=/dev/zero of=/dev/null bs=128M count=1 2>/dev/null; echo dd=$?; exec sleep 60");
        Container[] c = new Container[1];
        try {
            var pid = start(ctx, r, ctx.run(s), c);
            if (pid.isEmpty()) return;
            long p = pid.get();
            var group = Proc.cgroup(p, "memory");
            String limit = group.map(Cgroups::memoryLimit).orElse("");
            r.check(limit.equals(Long.toString(LIMIT)), "the workload's memory cgroup has " + Cgroups.memoryLimitFile() + " " + LIMIT,
                    "the workload's memory cgroup (" + group.map(Path::toString).orElse("?") + ") has limit \"" + limit + "\" in "
                            + Cgroups.memoryLimitFile() + ", not " + LIMIT
                            + ": create the cgroup, write the limit, then the init's pid to cgroup.procs, before go");
            Path created = Cgroups.V2 ? CgroupLayout.ROOT.resolve("rabbithole-labs").resolve(ctx.name)
                    : CgroupLayout.ROOT.resolve("memory/rabbithole-labs").resolve(ctx.name);
            if (!limit.equals(Long.toString(LIMIT)) && Cgroups.memoryLimit(created).equals(Long.toString(LIMIT))) {
                r.hint("init-not-in-cgroup", "the cgroup " + created + " exists with the right limit, but the workload is not in it: "
                        + "write the init's pid to its cgroup.procs (before go, so nothing of the container runs outside the limit)");
            }
            c[0].awaitOutput("dd=", START);
            r.check(c[0].output().contains("dd=137"), "dd, which touches 128 MiB, was killed (status 137 = 128 + SIGKILL)",
                    "dd touched 128 MiB and was not killed (" + c[0].tail() + ")");
            String oom = group.map(Cgroups::oomKills).orElse("");
            r.check(!oom.isEmpty() && !oom.equals("0"), "the cgroup counted the OOM kill (" + Cgroups.oomFile() + ": oom_kill " + oom + ")",
                    Cgroups.oomFile() + " of the workload's cgroup shows no OOM kill");
            List<Path> dirs = Cgroups.containerDirs(CgroupLayout.ROOT, Cgroups.V2, ctx.name);
            c[0].stop(Duration.ofSeconds(10));
            List<Path> left = dirs.stream().filter(Files::exists).toList();
            r.check(left.isEmpty(), "the cgroup is removed once the container is gone",
                    left + " is still there after the container ended: remove it in cleanup()");
        } finally {
            if (c[0] != null) c[0].close();
            Cgroups.remove(ctx.name);
        }
    }
}
