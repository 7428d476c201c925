package dev.rabbithole.labs.check;

import dev.rabbithole.labs.support.Spec;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;

/** Lab 11: an overlay root from two image layers and a writable layer; whiteouts hide lower files. */
public final class Lab11Check extends Checker {
    @Override public int lab() { return 11; }
    @Override public String title() { return "overlayfs: image layers, a writable layer, whiteouts"; }

    @Override
    public void check(Context ctx, Report r) throws Exception {
        Path l1 = ctx.busybox(ctx.tmp.resolve("layer1"));
        Files.writeString(l1.resolve("etc/base-file"), "base\n");
        Files.writeString(l1.resolve("etc/hidden-file"), "you should not see me\n");
        Path l2 = Files.createDirectories(ctx.tmp.resolve("layer2/etc"));
        Files.writeString(l2.resolve("layer2-file"), "from-layer-2\n");
        sh("mknod", l2.resolve("hidden-file").toString(), "c", "0", "0"); // a whiteout: deletes hidden-file of the layers below
        Spec s = new Spec();
        s.layers = List.of(l1, l2.getParent());
        s.upper = Files.createDirectories(ctx.tmp.resolve("upper"));
        s.work = Files.createDirectories(ctx.tmp.resolve("work"));
        s.rootfs = Files.createDirectories(ctx.tmp.resolve("merged"));
        s.command = List.of("sh", "-c", "cat /etc/layer2-file; cat /etc/hidden-file 2>/dev/null; echo hidden=$?; "
                + "echo new > /etc/new-file; rm /etc/base-file; echo rm=$?; exec sleep 60");
        Container[] c = new Container[1];
        try {
            var pid = start(ctx, r, ctx.run(s), c);
            if (pid.isEmpty()) return;
            long p = pid.get();
            String root = Proc.rootMount(p);
            r.check(root.contains(" - overlay "), "the container's root is an overlay mount",
                    "the container's root is not an overlay (" + (root.isEmpty() ? "?" : root.substring(root.indexOf(" - ") + 3))
                            + "): mount overlay on spec.rootfs before the bind and pivot_root");
            c[0].awaitOutput("rm=", START);
            String out = c[0].output();
            r.check(out.contains("from-layer-2"), "a file of the upper image layer is visible",
                    "/etc/layer2-file of the second layer is not visible: lowerdir lists every layer, the top one first");
            if (out.contains("from-layer-2") && out.contains("you should not see me")) {
                r.hint("lowerdir-order", "layer 2's whiteout did not hide layer 1's file, so layer 1 lies above layer 2: overlayfs "
                        + "stacks lowerdir from the left, the top first (lowerdir=TOP:...:BOTTOM), and spec.layers lists them lowest "
                        + "first: reverse it");
            }
            r.check(out.contains("hidden=1") && !out.contains("you should not see me"),
                    "the whiteout in layer 2 hides /etc/hidden-file of layer 1",
                    "/etc/hidden-file of layer 1 is visible although layer 2 has a whiteout for it: layer 2 must come "
                            + "first in lowerdir (lowerdir=TOP:...:BOTTOM)");
            r.check(Files.exists(s.upper.resolve("etc/new-file")) && !Files.exists(l1.resolve("etc/new-file")),
                    "a file written in the container lands in the writable layer (upper/etc/new-file)",
                    "the container's new /etc/new-file is not in the writable layer " + s.upper + ": upperdir=spec.upper");
            Path wh = s.upper.resolve("etc/base-file");
            boolean whiteout = Files.exists(wh, LinkOption.NOFOLLOW_LINKS)
                    && ((int) Files.getAttribute(wh, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 0170000) == 0020000
                    && (long) Files.getAttribute(wh, "unix:rdev", LinkOption.NOFOLLOW_LINKS) == 0;
            r.check(whiteout && Files.exists(l1.resolve("etc/base-file")),
                    "deleting a lower file leaves a whiteout in the writable layer (a 0/0 character device) and the layer intact",
                    "rm /etc/base-file did not leave a whiteout (character device 0/0) in " + s.upper + "/etc, or changed layer 1");
        } finally {
            if (c[0] != null) c[0].close();
        }
    }
}
