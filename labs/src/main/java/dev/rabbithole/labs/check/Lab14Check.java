package dev.rabbithole.labs.check;

import dev.rabbithole.labs.support.Caps;
import dev.rabbithole.labs.support.Spec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Lab 14, red team: a device node. With Docker's capabilities (CAP_MKNOD among them) and nothing else in the way, a
 * container makes a node for a host device and uses it: here {@code /dev/kmsg} (character device 1:11, the kernel's
 * log, devices.txt and the kernel's dev-kmsg ABI document), whose write side needs no capability. The escape writes
 * one line, naming itself, into the host's kernel log. The checker runs it against lab 13's reference, generated
 * from the master (the line must appear in the host's {@code dmesg}), and against the attendee's runtime (the node
 * must not open, while /dev/null still works).
 */
public final class Lab14Check extends Checker {
    @Override public int lab() { return 14; }
    @Override public String title() { return "red team: a device node for the host's kernel log"; }

    @Override
    public void check(Context ctx, Report r) throws Exception {
        Spec s = new Spec();
        s.caps = Caps.DOCKER_DEFAULT;

        Path naiveSrc = Files.createDirectories(ctx.tmp.resolve("naive"));
        Files.writeString(naiveSrc.resolve("Lab13.java"), LabSources.generate(LabSources.masterFromClasspath(), 13, true));
        try (Context naive = Context.compile(13, naiveSrc)) {
            if (naive.compileErrors() != null) throw new IllegalStateException("lab 13's reference does not compile: " + naive.compileErrors());
            String marker = marker(naive);
            s.rootfs = ctx.busybox(naive.tmp.resolve("rootfs")); // a root of its own: the node it makes stays there
            s.command = command(marker);
            String out = escape(naive, r, s);
            r.check(out.contains("wrote=yes") && dmesg().contains(marker), "the escape works against the naive runtime (lab 13's "
                    + "reference): its container made /dev/kmsg's node and wrote \"" + marker + "\" into the host's kernel log",
                    "the escape did not reach the host's kernel log against lab 13's reference (" + tail(out)
                            + "): this machine cannot show the lab's point");
        }

        String marker = marker(ctx);
        s.rootfs = ctx.busybox(ctx.tmp.resolve("rootfs"));
        s.command = command(marker);
        String out = escape(ctx, r, s);
        boolean reached = dmesg().contains(marker);
        r.check(!reached && out.contains("wrote=no") && out.contains("Permission denied"),
                "against your runtime the escape fails: the node the container made cannot be opened (Permission denied)",
                "your container " + (reached ? "wrote into the host's kernel log" : "did not show the escape failing with EACCES") + " ("
                        + tail(out) + "): mount /dev as a nodev tmpfs with the host's few nodes bound in, and remount / nodev");
        r.check(out.contains("devnull=ok"), "/dev/null still works in your container",
                "/dev/null does not work in your container (" + tail(out) + "): bind the host's /dev/null onto an empty file in /dev");
    }

    // what the escape writes: unique per run, and saying where it came from for whoever reads the host's log
    private static String marker(Context ctx) {
        return "rhlab-" + ctx.name + ": a line written from a container (the escape of workshop lab 14, harmless)";
    }

    private static List<String> command(String marker) {
        return List.of("sh", "-c", "mknod /kmsg c 1 11; if echo '" + marker + "' > /kmsg; then echo wrote=yes; else echo wrote=no; fi; "
                + "echo x > /dev/null && echo devnull=ok; exec sleep 60");
    }

    private static String dmesg() throws Exception {
        return sh("dmesg").output();
    }

    private static String escape(Context ctx, Report r, Spec s) throws Exception {
        Container[] c = new Container[1];
        try {
            Optional<Long> pid = start(ctx, r, ctx.run(s), c);
            if (pid.isEmpty()) return "";
            c[0].awaitOutput("devnull=", Duration.ofSeconds(10));
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
