package dev.rabbithole.labs.check;

import dev.rabbithole.labs.support.Caps;
import dev.rabbithole.labs.support.Spec;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Lab 15, red team: a leaked file descriptor. The init is a JVM, and the JVM opens its class path's jars and the JDK's
 * modules image without O_CLOEXEC, on the host, before pivot_root: when the init calls execve, the workload inherits
 * them. Through the magic link {@code /proc/self/fd/N} (proc(5)) the container's root opens such a file again, outside
 * its root filesystem, for reading or writing (the mechanism of runc's CVE-2024-21626, whose leaked descriptor was the
 * host's /sys/fs/cgroup, and of CVE-2019-5736). The escape only reads: for every descriptor above 2 that is a regular
 * file, it prints its SHA-256. The checker runs it against lab 14's reference, generated from the master (one of the
 * hashes must be that of a jar the checker built for that runtime in its temporary folder, outside the container's
 * root), and against the attendee's runtime (the workload must have no descriptor above 2, and still its 0, 1 and 2).
 */
public final class Lab15Check extends Checker {
    @Override public int lab() { return 15; }
    @Override public String title() { return "red team: a file descriptor leaked into the container"; }

    /** The escape, as the workload: every inherited regular file above 2, with its hash, then stay. */
    static final String ESCAPE = "for f in /proc/self/fd/*; do n=${f##*/}; "
            + "if [ \"$n\" -gt 2 ] && [ -f \"$f\" ]; then echo \"leak fd=$n sha256=$(sha256sum < \"$f\" | cut -c1-64)\"; fi; done; "
            + "echo scanned=yes; exec sleep 60";

    private static final Pattern LEAK = Pattern.compile("leak fd=(\\d+) sha256=([0-9a-f]{64})");

    @Override
    public void check(Context ctx, Report r) throws Exception {
        Spec s = new Spec();
        s.caps = Caps.DOCKER_DEFAULT;
        s.command = List.of("sh", "-c", ESCAPE);

        Path naiveSrc = Files.createDirectories(ctx.tmp.resolve("naive"));
        Files.writeString(naiveSrc.resolve("Lab14.java"), LabSources.generate(LabSources.masterFromClasspath(), 14, true));
        try (Context naive = Context.compile(14, naiveSrc)) {
            if (naive.compileErrors() != null) throw new IllegalStateException("lab 14's reference does not compile: " + naive.compileErrors());
            s.rootfs = ctx.busybox(naive.tmp.resolve("rootfs"));
            String out = escape(naive, r, s);
            Optional<String> read = hostFileRead(out, naive);
            r.check(read.isPresent(), "the escape works against the naive runtime (lab 14's reference): its container read "
                    + read.orElse("") + ", a host file outside its root filesystem", "the escape read no host file through a "
                    + "leaked descriptor against lab 14's reference (" + tail(out) + "): this machine cannot show the lab's point");
        }

        s.rootfs = ctx.busybox(ctx.tmp.resolve("rootfs"));
        String out = escape(ctx, r, s);
        List<String> leaks = LEAK.matcher(out).results().map(m -> m.group(1)).toList();
        Optional<String> read = hostFileRead(out, ctx);
        r.check(out.contains("scanned=yes"), "your workload still has its standard output (descriptors 0 to 2 kept)",
                "your workload printed nothing (" + tail(out) + "): keep descriptors 0, 1 and 2; mark only 3 and above close-on-exec");
        r.check(out.contains("scanned=yes") && leaks.isEmpty(),
                "against your runtime the escape fails: the workload inherited no file descriptor above 2",
                "your container inherited " + leaks.size() + " open host file(s) (descriptors " + String.join(", ", leaks) + ")"
                        + read.map(f -> ", and read " + f).orElse("") + ": right before execve, mark every "
                        + "descriptor above 2 close-on-exec: LIBC.close_range(3, -1, CLOSE_RANGE_CLOEXEC)");
    }

    // the host file of this runtime's class path whose hash the escape printed, named with its descriptor, or empty
    private static Optional<String> hostFileRead(String out, Context ctx) throws Exception {
        Map<String, String> byHash = new LinkedHashMap<>();
        for (String entry : ctx.classpath().split(":")) {
            Path p = Path.of(entry);
            if (Files.isRegularFile(p)) byHash.put(sha256(p), p.toString());
        }
        Matcher m = LEAK.matcher(out);
        while (m.find()) {
            String file = byHash.get(m.group(2));
            if (file != null) return Optional.of(file + " (through /proc/self/fd/" + m.group(1) + ")");
        }
        return Optional.empty();
    }

    static String sha256(Path file) throws Exception {
        MessageDigest d = MessageDigest.getInstance("SHA-256");
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) d.update(buf, 0, n);
        }
        return HexFormat.of().formatHex(d.digest());
    }

    private static String escape(Context ctx, Report r, Spec s) throws Exception {
        Container[] c = new Container[1];
        try {
            Optional<Long> pid = start(ctx, r, ctx.run(s), c);
            if (pid.isEmpty()) {
                // 128 + SIGSEGV or SIGABRT: the init JVM lost its own files under it
                Optional<Integer> status = c[0].exit(Duration.ofSeconds(5));
                if (status.isPresent() && (status.get() == 139 || status.get() == 134)) {
                    r.hint("close-range-closed", "the init died (exit status " + status.get() + ", a signal) before it became the "
                            + "workload: closing the descriptors (close_range without CLOSE_RANGE_CLOEXEC) takes the JVM's own jars "
                            + "and modules image from under it while it still runs. Mark them close-on-exec instead: the kernel "
                            + "closes them at execve, when the JVM is gone");
                }
                return "";
            }
            if (!c[0].awaitOutput("scanned=", START) && c[0].output().isBlank()) {
                r.hint("close-range-stdio", "the workload started but printed nothing: its standard output is gone. close_range "
                        + "must start at 3: descriptors 0, 1 and 2 are the workload's stdin, stdout and stderr");
            }
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
