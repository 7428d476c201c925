package dev.rabbithole.stage2.netlink;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;

import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A network namespace kept by a bind mount of its nsfs file, as {@code ip netns add} and libnetwork's sandboxes keep
 * theirs (ip-netns(8), network_namespaces(7)): made by a short-lived thread that unshares {@code CLONE_NEWNET}
 * (that thread only), bind-mounts {@code /proc/thread-self/ns/net} on an empty file and brings loopback up, then ends.
 */
public final class Netns {
    private static final int CLONE_NEWNET = 0x40000000;
    private static final long MS_BIND = 4096;
    private static final int MNT_DETACH = 2;

    /** glibc, direct mapping. */
    private static final class Libc {
        static {
            Native.register(Libc.class, NativeLibrary.getInstance("c"));
        }

        static native int unshare(int flags) throws LastErrorException;
        static native int mount(String source, String target, String fstype, long flags, String data)
                throws LastErrorException;
        static native int umount2(String target, int flags) throws LastErrorException;
    }

    private Netns() { }

    /**
     * Makes a network namespace with loopback up and bind-mounts it on {@code file}.
     *
     * @param file an existing empty file
     * @param name the thread's name (diagnostics)
     * @throws NetlinkException unshare(2), mount(2) or the loopback request failed
     */
    public static void create(Path file, String name) {
        AtomicReference<RuntimeException> failure = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                Libc.unshare(CLONE_NEWNET); // this thread only; it ends below, never back in the daemon's namespace
            } catch (LastErrorException e) {
                failure.set(new NetlinkException("unshare(CLONE_NEWNET)", e.getErrorCode()));
                return;
            }
            try {
                Libc.mount("/proc/thread-self/ns/net", file.toString(), null, MS_BIND, null);
            } catch (LastErrorException e) {
                failure.set(new NetlinkException("mount(\"/proc/thread-self/ns/net\", \"" + file + "\", MS_BIND)",
                        e.getErrorCode()));
                return;
            }
            try (RtNetlink lo = RtNetlink.open(null)) {
                lo.up("lo");
            } catch (RuntimeException e) {
                failure.set(e);
            }
        }, name);
        t.start();
        try {
            t.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new NetlinkException("interrupted while making a network namespace at " + file);
        }
        if (failure.get() != null) {
            throw failure.get();
        }
    }

    /**
     * Unmounts a namespace file (lazily); the kernel frees the namespace once nothing else holds it.
     *
     * @param file the bind mount
     * @return whether it was mounted
     */
    public static boolean unmount(Path file) {
        try {
            Libc.umount2(file.toString(), MNT_DETACH);
            return true;
        } catch (LastErrorException e) {
            return false; // EINVAL: not a mount point
        }
    }
}
