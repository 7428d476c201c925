package dev.rabbithole.labs.check;

import dev.rabbithole.labs.support.Caps;
import dev.rabbithole.labs.support.Spec;
import java.util.List;

/** Lab 09: the workload keeps exactly the capabilities asked for, and what needs another one fails with EPERM. */
public final class Lab09Check extends Checker {
    @Override public int lab() { return 9; }
    @Override public String title() { return "capabilities"; }

    @Override
    public void check(Context ctx, Report r) throws Exception {
        Spec s = new Spec();
        s.rootfs = ctx.busybox(ctx.tmp.resolve("rootfs"));
        s.caps = List.of("CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE");
        s.command = List.of("sh", "-c", "hostname lab09 2>&1; echo hostname=$?; exec sleep 60");
        long want = Caps.mask(s.caps);
        Container[] c = new Container[1];
        try {
            var pid = start(ctx, r, ctx.run(s), c);
            if (pid.isEmpty()) return;
            long p = pid.get();
            for (String set : List.of("CapEff", "CapPrm", "CapBnd")) {
                String v = Proc.status(p, set);
                boolean ok = !v.isEmpty() && Long.parseUnsignedLong(v, 16) == want;
                r.check(ok, set + " is " + String.format("%016x", want) + " (" + String.join(", ", s.caps) + ")",
                        set + " is " + v + ", not " + String.format("%016x", want) + (set.equals("CapBnd")
                                ? ": drop the others from the bounding set (PR_CAPBSET_DROP); root gets the bounding set back at execve"
                                : ": capset the kept mask as effective, permitted and inheritable"));
            }
            String mine = Proc.status(ProcessHandle.current().pid(), "CapBnd");
            if (Proc.status(p, "CapBnd").equals(mine) && Proc.status(p, "CapEff").equals(Proc.status(ProcessHandle.current().pid(), "CapEff"))) {
                r.hint("caps-wrong-thread", "the workload has every capability the host's root has, in CapEff and in CapBnd: nothing "
                        + "was dropped where it counts. Capabilities and the bounding set belong to a thread (capabilities(7)): drop "
                        + "them in capabilities(), on the init's thread that later calls execve, not on a thread of its own");
            }
            c[0].awaitOutput("hostname=", START);
            String out = c[0].output();
            r.check(out.contains("hostname=1") && out.contains("Operation not permitted"),
                    "sethostname fails with EPERM without CAP_SYS_ADMIN",
                    "`hostname lab09` in the container did not fail with EPERM (" + c[0].tail() + ")");
        } finally {
            if (c[0] != null) c[0].close();
        }
    }
}
