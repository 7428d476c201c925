package dev.rabbithole.stage3.shim;

import com.sun.jna.LastErrorException;
import dev.rabbithole.stage3.api.types.Mount;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The task's rootfs mounts (CreateTaskRequest.rootfs: containerd's {@code Mount} type, source, options), mounted on
 * the bundle's {@code rootfs} in order, as containerd's runc shim does; options that are mount flags become flags
 * (mount(8)'s names: {@code ro}, {@code bind}, {@code rbind}, {@code nosuid}, ...), the others the data string
 * (e.g. overlay's {@code lowerdir=...}). A read-only bind mount is bound, then remounted read-only (mount(2)).
 */
final class Mounts {

    private static final long MS_RDONLY = 1;
    private static final long MS_REMOUNT = 32;
    private static final long MS_BIND = 4096;
    private static final long MS_REC = 16384;
    private static final Map<String, long[]> FLAGS = Map.ofEntries(
            Map.entry("ro", new long[] {MS_RDONLY, 0}), Map.entry("rw", new long[] {0, MS_RDONLY}),
            Map.entry("nosuid", new long[] {2, 0}), Map.entry("suid", new long[] {0, 2}),
            Map.entry("nodev", new long[] {4, 0}), Map.entry("dev", new long[] {0, 4}),
            Map.entry("noexec", new long[] {8, 0}), Map.entry("exec", new long[] {0, 8}),
            Map.entry("sync", new long[] {16, 0}), Map.entry("async", new long[] {0, 16}),
            Map.entry("dirsync", new long[] {128, 0}), Map.entry("noatime", new long[] {1024, 0}),
            Map.entry("nodiratime", new long[] {2048, 0}), Map.entry("bind", new long[] {MS_BIND, 0}),
            Map.entry("rbind", new long[] {MS_BIND | MS_REC, 0}), Map.entry("relatime", new long[] {1 << 21, 0}),
            Map.entry("strictatime", new long[] {1 << 24, 0}), Map.entry("defaults", new long[] {0, 0}));

    private Mounts() {
    }

    /**
     * Mounts each of {@code mounts} on {@code target}; on a failure unmounts what was mounted.
     *
     * @throws IOException naming the mount and errno's text
     */
    static void mountAll(List<Mount> mounts, String target) throws IOException {
        int done = 0;
        try {
            for (Mount m : mounts) {
                long flags = 0;
                List<String> data = new ArrayList<>();
                for (String o : m.getOptionsList()) {
                    long[] f = FLAGS.get(o);
                    if (f == null) {
                        data.add(o);
                    } else {
                        flags = (flags | f[0]) & ~f[1];
                    }
                }
                String type = m.getType().equals("bind") ? "none" : m.getType();
                try {
                    Libc.mount(m.getSource(), target, type, flags, data.isEmpty() ? null : String.join(",", data));
                    done++;
                    if ((flags & MS_BIND) != 0 && (flags & ~(MS_BIND | MS_REC)) != 0) {
                        Libc.mount("", target, "", flags | MS_REMOUNT, null);
                    }
                } catch (LastErrorException e) {
                    throw Libc.error("mount", m.getType() + " " + m.getSource() + " on " + target + " " + m.getOptionsList(), e);
                }
            }
        } catch (IOException e) {
            for (int i = 0; i < done; i++) {
                unmount(target);
            }
            throw e;
        }
    }

    /** Detaches every mount stacked on {@code target} (umount2 MNT_DETACH until it is no mount point). */
    static void unmountAll(String target) {
        for (int i = 0; i < 32 && unmount(target); i++) {
            // one layer a time
        }
    }

    private static boolean unmount(String target) {
        try {
            Libc.umount2(target, Libc.MNT_DETACH);
            return true;
        } catch (LastErrorException e) {
            return false; // EINVAL: not a mount point (any more); ENOENT: gone
        }
    }
}
