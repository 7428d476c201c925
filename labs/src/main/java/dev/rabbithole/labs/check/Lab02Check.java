package dev.rabbithole.labs.check;

import static dev.rabbithole.labs.support.Libc.LIBC;

import dev.rabbithole.labs.support.Linux;
import dev.rabbithole.labs.support.Spec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;

/** Lab 02: the workload lives in the rootfs, and the host's files are out of reach (pivot_root, not chroot). */
public final class Lab02Check extends Checker {
    @Override public int lab() { return 2; }
    @Override public String title() { return "chroot, why it is not enough, and pivot_root"; }

    @Override
    public void check(Context ctx, Report r) throws Exception {
        Path rootfs = ctx.busybox(ctx.tmp.resolve("rootfs"));
        String token = UUID.randomUUID().toString();
        Files.writeString(rootfs.resolve("lab-marker"), token + "\n");
        Path hostOnly = Files.writeString(ctx.tmp.resolve("host-only"), "the host\n");
        Spec s = new Spec();
        s.rootfs = rootfs;
        s.command = List.of("sh", "-c", "cat /lab-marker; exec sleep 60");
        Container[] c = new Container[1];
        try {
            var pid = start(ctx, r, ctx.run(s), c);
            if (pid.isEmpty()) return;
            long p = pid.get();
            r.check(c[0].awaitOutput(token, START), "the workload runs in the rootfs (it read /lab-marker)",
                    "the workload could not read /lab-marker of the rootfs (output: " + c[0].tail() + "): its root is not spec.rootfs");
            r.check(!Proc.ns(Long.toString(p), "mnt").equals(Proc.ns("self", "mnt")),
                    "the workload has a mount namespace of its own", "the workload shares the host's mount namespace: add CLONE_NEWNS");
            boolean escapes = reachableFromNamespaceRoot(p, hostOnly);
            r.check(!escapes, "the classic chroot escape leads nowhere: the root of the workload's mount namespace is the rootfs",
                    "a root process in your container can escape: mkdir x; chroot x; cd ../../..; chroot . lands at the root of "
                            + "its mount namespace, and there " + hostOnly + " of the host is visible. chroot only moves the "
                            + "process's root; use pivot_root, then unmount the old root (MNT_DETACH)");
        } finally {
            if (c[0] != null) c[0].close();
        }
    }

    // Joins the workload's mount namespace on a thread of its own: setns(CLONE_NEWNS) puts the thread at the root of
    // that namespace, which is exactly where the classic escape leads. The thread ends; the JVM never moved.
    static boolean reachableFromNamespaceRoot(long pid, Path file) throws InterruptedException {
        boolean[] found = new boolean[1];
        Thread t = new Thread(() -> {
            int fd = LIBC.open("/proc/" + pid + "/ns/mnt", Linux.O_RDONLY | Linux.O_CLOEXEC);
            try {
                LIBC.unshare(Linux.CLONE_FS);
                LIBC.setns(fd, Linux.CLONE_NEWNS);
                found[0] = Files.exists(file);
            } finally {
                LIBC.close(fd);
            }
        });
        t.start();
        t.join();
        return found[0];
    }
}
