package dev.rabbithole.labs.check;

import dev.rabbithole.labs.support.Caps;
import dev.rabbithole.labs.support.Spec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Lab 13, the red team's first lab: a writable /proc/sys. Most sysctls are not namespaced, so a container whose
 * /proc/sys is writable changes the host's kernel settings (proc(5), /proc/sys). The checker runs the same escape
 * twice: against lab 12's reference, generated from the master in the labs jar (the naive runtime: the escape must
 * work there, or the lab proves nothing), and against the attendee's runtime (it must fail with EROFS, while the
 * container still reads its sysctls). The escape is harmless: it writes back the value the sysctl already has
 * ({@code vm.stat_interval}), and the checker sees from the host that the value did not change.
 */
public final class Lab13Check extends Checker {
    @Override public int lab() { return 13; }
    @Override public String title() { return "red team: a writable /proc/sys"; }

    /** The sysctl the escape writes: global, harmless to rewrite with its own value. */
    static final Path SYSCTL = Path.of("/proc/sys/vm/stat_interval");

    /** The escape, as the workload: rewrite the sysctl, say whether it worked and with which error, then stay. */
    static final String ESCAPE = "v=$(cat /proc/sys/vm/stat_interval); echo read=$v; "
            + "if echo $v > /proc/sys/vm/stat_interval; then echo escaped=yes; else echo escaped=no; fi; "
            + "exec sleep 60";

    @Override
    public void check(Context ctx, Report r) throws Exception {
        String before = Proc.first(SYSCTL);
        Spec s = new Spec();
        s.rootfs = ctx.busybox(ctx.tmp.resolve("rootfs"));
        s.caps = Caps.DOCKER_DEFAULT; // Docker's capabilities: no CAP_SYS_ADMIN, and still the write goes through
        s.command = List.of("sh", "-c", ESCAPE);

        // the naive runtime: lab 12's reference, from the master inside the labs jar
        Path naiveSrc = Files.createDirectories(ctx.tmp.resolve("naive"));
        Files.writeString(naiveSrc.resolve("Lab12.java"), LabSources.generate(LabSources.masterFromClasspath(), 12, true));
        try (Context naive = Context.compile(12, naiveSrc)) {
            if (naive.compileErrors() != null) throw new IllegalStateException("lab 12's reference does not compile: " + naive.compileErrors());
            String out = escape(naive, r, s);
            r.check(out.contains("escaped=yes"), "the escape works against the naive runtime (lab 12's reference): "
                    + "its container rewrote the host's vm.stat_interval", "the escape did not work against lab 12's reference ("
                    + tail(out) + "): this machine cannot show the lab's point");
        }

        String out = escape(ctx, r, s);
        r.check(out.contains("read=") && !out.contains("read=\n") && !out.contains("read= "),
                "your container still reads its sysctls (" + SYSCTL + ")",
                "your container cannot read " + SYSCTL + " (" + tail(out) + "): keep /proc/sys readable, only make it read-only");
        r.check(out.contains("escaped=no") && out.contains("Read-only file system"),
                "against your runtime the escape fails: writing /proc/sys gives EROFS (Read-only file system)",
                "your container could " + (out.contains("escaped=yes") ? "write" : "not be asked to write") + " the host's "
                        + SYSCTL + " (" + tail(out) + "): bind-mount /proc/sys onto itself and remount that bind read-only");
        r.check(Proc.first(SYSCTL).equals(before), "the host's vm.stat_interval is unchanged (" + before + ")",
                "the host's vm.stat_interval changed from " + before + " to " + Proc.first(SYSCTL));
    }

    // runs the escape in a container of this context's runtime; returns what it printed ("" when it did not start)
    private static String escape(Context ctx, Report r, Spec s) throws Exception {
        Container[] c = new Container[1];
        try {
            Optional<Long> pid = start(ctx, r, ctx.run(s), c);
            if (pid.isEmpty()) return "";
            c[0].awaitOutput("escaped=", START);
            return c[0].output();
        } finally {
            if (c[0] != null) c[0].close();
        }
    }

    private static String tail(String out) {
        String t = out.strip().replace('\n', ' ');
        return t.isEmpty() ? "no output" : t.length() > 200 ? "..." + t.substring(t.length() - 200) : t;
    }
}
