package dev.rabbithole.stage2.libcontainer.system;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;

import java.util.List;

/**
 * Plain descriptor calls through JNA that {@link Syscalls} does not have: open(2) of a namespace file for
 * setns(2), fchown(2) of a terminal. Each throws {@link SyscallException} with the call and errno.
 */
public final class Descriptors {
    private static final int O_RDONLY = 0;
    private static final int O_CLOEXEC = 02000000;

    private Descriptors() { }

    /** glibc, direct mapping. */
    private static final class Libc {
        static {
            Native.register(Libc.class, NativeLibrary.getInstance("c"));
        }

        static native int open(String path, int flags) throws LastErrorException;
        static native int fchown(int fd, int uid, int gid) throws LastErrorException;
        static native int close(int fd) throws LastErrorException;
        static native String strerror(int errnum);
    }

    /**
     * open(2) with {@code O_RDONLY|O_CLOEXEC}, e.g. of {@code /proc/PID/ns/net} for setns(2).
     *
     * @param path the file
     * @return the descriptor
     */
    public static int openReadOnly(String path) {
        try {
            return Libc.open(path, O_RDONLY | O_CLOEXEC);
        } catch (LastErrorException e) {
            throw new SyscallException("open", List.of(path, "O_RDONLY|O_CLOEXEC"), e.getErrorCode(),
                    Libc.strerror(e.getErrorCode()));
        }
    }

    /**
     * fchown(2).
     *
     * @param fd  the descriptor
     * @param uid new owner
     * @param gid new group
     */
    public static void fchown(int fd, int uid, int gid) {
        try {
            Libc.fchown(fd, uid, gid);
        } catch (LastErrorException e) {
            throw new SyscallException("fchown", List.of(Integer.toString(fd), Integer.toString(uid),
                    Integer.toString(gid)), e.getErrorCode(), Libc.strerror(e.getErrorCode()));
        }
    }

    /** close(2), errors ignored. @param fd a descriptor, or -1 for none */
    public static void closeQuietly(int fd) {
        if (fd < 0) {
            return;
        }
        try {
            Libc.close(fd);
        } catch (LastErrorException ignored) {
            // closing on an error path
        }
    }
}
