package dev.rabbithole.labs.check;

import dev.rabbithole.labs.support.Spec;
import java.util.List;

/** Lab 10: a seccomp filter: the denied calls fail with EPERM, the others work. */
public final class Lab10Check extends Checker {
    @Override public int lab() { return 10; }
    @Override public String title() { return "seccomp, a BPF filter by hand"; }

    @Override
    public void check(Context ctx, Report r) throws Exception {
        Spec s = new Spec();
        s.rootfs = ctx.busybox(ctx.tmp.resolve("rootfs"));
        s.seccompDeny = List.of("mkdir", "mkdirat", "fchmodat", "chmod");
        s.command = List.of("sh", "-c", "mkdir /tmp/lab10 2>&1; echo mkdir=$?; chmod 600 /etc/passwd 2>&1; echo chmod=$?; "
                + "ls / >/dev/null; echo ls=$?; exec sleep 60");
        Container[] c = new Container[1];
        try {
            var pid = start(ctx, r, ctx.run(s), c);
            if (pid.isEmpty()) return;
            long p = pid.get();
            r.check(Proc.status(p, "Seccomp").equals("2"), "the workload runs under a seccomp filter (Seccomp: 2)",
                    "the workload's Seccomp is \"" + Proc.status(p, "Seccomp") + "\", not 2 (filter): install the filter with "
                            + "prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ...) right before execve");
            r.check(Proc.status(p, "NoNewPrivs").equals("1"), "no_new_privs is set",
                    "NoNewPrivs is not 1: prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) before installing the filter");
            c[0].awaitOutput("ls=", START);
            String out = c[0].output();
            r.check(out.contains("mkdir=1") && out.contains("Operation not permitted"), "mkdir fails with EPERM",
                    "mkdir did not fail with EPERM (" + c[0].tail() + "): return SECCOMP_RET_ERRNO | EPERM for mkdir and mkdirat");
            r.check(out.contains("chmod=1"), "chmod, the second name on the list, fails too",
                    "chmod did not fail: build the filter from every name in spec.seccompDeny, not only mkdir");
            r.check(out.contains("ls=0"), "the other calls still work (ls / succeeds)",
                    "ls / failed under the filter (" + c[0].tail() + "): end the program with SECCOMP_RET_ALLOW");
        } finally {
            if (c[0] != null) c[0].close();
        }
    }
}
