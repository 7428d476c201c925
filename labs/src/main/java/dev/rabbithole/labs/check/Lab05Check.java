package dev.rabbithole.labs.check;

import dev.rabbithole.labs.support.Spec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Lab 05: volumes with their propagation. A host mount made later under a slave volume appears in the
 * container, not under a private one; a mount made in the container never appears on the host.
 */
public final class Lab05Check extends Checker {
    @Override public int lab() { return 5; }
    @Override public String title() { return "mount namespace and propagation"; }

    @Override
    public void check(Context ctx, Report r) throws Exception {
        Path slave = Files.createDirectories(ctx.tmp.resolve("vol-slave"));
        Path priv = Files.createDirectories(ctx.tmp.resolve("vol-private"));
        String leak = "lab05-" + ctx.name;
        Container[] c = new Container[1];
        boolean[] mounted = new boolean[4];
        try {
            // both sources become shared mounts on the host, so that propagation has a peer group to follow
            for (Path v : List.of(slave, priv)) {
                sh("mount", "--bind", v.toString(), v.toString());
                sh("mount", "--make-shared", v.toString());
                Files.writeString(v.resolve("base-marker"), "base\n");
                Files.createDirectories(v.resolve("sub"));
            }
            mounted[0] = true;
            Spec s = new Spec();
            s.rootfs = ctx.busybox(ctx.tmp.resolve("rootfs"));
            s.volumes.add(new Spec.Volume(slave, "/slavevol", "slave"));
            s.volumes.add(new Spec.Volume(priv, "/privvol", "private"));
            s.command = List.of("sh", "-c", "mount -t tmpfs " + leak + " /mnt; echo mounted=$?; exec sleep 60");
            var pid = start(ctx, r, ctx.run(s), c);
            if (pid.isEmpty()) return;
            long p = pid.get();
            c[0].awaitOutput("mounted=", START);
            Path root = Path.of("/proc", Long.toString(p), "root");
            boolean volumes = Files.exists(root.resolve("slavevol/base-marker")) && Files.exists(root.resolve("privvol/base-marker"));
            r.check(volumes, "the volumes are mounted: /slavevol and /privvol show the host directories",
                    "/slavevol and /privvol in the container do not show the host directories: bind-mount each spec.volumes "
                            + "source onto ROOTFS/TARGET before pivot_root");
            // now the host mounts something under each source
            for (Path v : List.of(slave, priv)) {
                sh("mount", "-t", "tmpfs", "late-" + ctx.name, v.resolve("sub").toString());
                Files.writeString(v.resolve("sub/late-marker"), "late\n");
            }
            mounted[1] = true;
            r.check(Files.exists(root.resolve("slavevol/sub/late-marker")),
                    "a mount made on the host after the start propagates into the slave volume",
                    "a tmpfs the host mounted on " + slave.resolve("sub") + " after the start does not show in /slavevol/sub: "
                            + "make / a slave (MS_REC | MS_SLAVE) instead of private, and the volume MS_SLAVE");
            r.check(volumes && !Files.exists(root.resolve("privvol/sub/late-marker")),
                    "the private volume does not receive it",
                    volumes ? "the host's later mount shows in the private volume /privvol/sub: set MS_PRIVATE on it after the bind"
                            : "the private volume is missing");
            boolean leaked = Proc.lines(Path.of("/proc/self/mountinfo")).stream().anyMatch(l -> l.contains(" " + leak + " "));
            r.check(c[0].output().contains("mounted=0") && !leaked,
                    "a mount made inside the container stays inside (the host's mount table does not show it)",
                    leaked ? "the tmpfs the container mounted on /mnt appeared on the host: the container's mounts must not be shared"
                            : "the container could not mount a tmpfs on /mnt (" + c[0].tail() + ")");
        } finally {
            if (c[0] != null) c[0].close();
            for (Path v : List.of(slave, priv)) {
                if (mounted[1]) sh("umount", "-l", v.resolve("sub").toString());
                if (mounted[0]) sh("umount", "-l", v.toString());
            }
            sh("sh", "-c", "grep -q ' " + leak + " ' /proc/self/mountinfo && umount -l $(awk '$0 ~ / " + leak + " / {print $5}' /proc/self/mountinfo) || true");
        }
    }
}
