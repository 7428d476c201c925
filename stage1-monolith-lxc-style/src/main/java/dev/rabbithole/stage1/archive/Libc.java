package dev.rabbithole.stage1.archive;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * The few libc calls {@code docker cp} needs to work on a container's rootfs by file descriptor, through JNA:
 * openat2(2), openat(2), the {@code *at} family, statx(2), read(2)/write(2). Every call throws an
 * {@link Errno} (an IOException carrying errno(3)) instead of returning -1.
 *
 * <p>The open(2) flag values differ between x86_64 and the "generic" syscall ABI (aarch64): both are here.
 */
final class Libc {
    private Libc() { }

    /** A failed system call: the call's name, the path it was given, and errno. */
    static final class Errno extends IOException {
        final int errno;

        Errno(String call, String path, int errno) {
            super(call + " " + path + ": " + describe(errno));
            this.errno = errno;
        }

        static String describe(int errno) {
            return switch (errno) {
                case ENOENT -> "no such file or directory";
                case ENOTDIR -> "not a directory";
                case EEXIST -> "file exists";
                case ELOOP -> "too many levels of symbolic links";
                case EXDEV -> "invalid cross-device link";
                case EACCES -> "permission denied";
                case EROFS -> "read-only file system";
                case ENOSPC -> "no space left on device";
                case ENOTEMPTY -> "directory not empty";
                case ENOSYS -> "function not implemented";
                default -> "errno " + errno;
            };
        }
    }

    static final int ENOENT = 2, EACCES = 13, EEXIST = 17, EXDEV = 18, ENOTDIR = 20, EISDIR = 21, ENOSPC = 28,
            EROFS = 30, ENOSYS = 38, ENOTEMPTY = 39, ELOOP = 40, EINTR = 4;

    private static final boolean X86 = System.getProperty("os.arch", "").matches("amd64|x86_64|i386|x86");

    static final int O_RDONLY = 0, O_WRONLY = 1, O_CREAT = 0100, O_EXCL = 0200, O_CLOEXEC = 02000000,
            O_PATH = 010000000;
    static final int O_DIRECTORY = X86 ? 0200000 : 040000;
    static final int O_NOFOLLOW = X86 ? 0400000 : 0100000;

    static final int AT_FDCWD = -100, AT_SYMLINK_NOFOLLOW = 0x100, AT_REMOVEDIR = 0x200, AT_EMPTY_PATH = 0x1000;

    /** openat2(2) resolve flags (linux/openat2.h). */
    static final long RESOLVE_NO_MAGICLINKS = 0x02, RESOLVE_IN_ROOT = 0x10;
    /** The openat2 system call number: 437 in the unified table, the same on x86_64 and aarch64. */
    private static final long SYS_OPENAT2 = 437;

    static final int S_IFMT = 0170000, S_IFDIR = 0040000, S_IFREG = 0100000, S_IFLNK = 0120000, S_IFCHR = 0020000,
            S_IFBLK = 0060000, S_IFIFO = 0010000, S_IFSOCK = 0140000;

    private interface C extends Library {
        long syscall(long number, int dirfd, String path, Pointer how, long size) throws LastErrorException;
        int openat(int dirfd, String path, int flags, int mode) throws LastErrorException;
        int close(int fd) throws LastErrorException;
        int mkdirat(int dirfd, String path, int mode) throws LastErrorException;
        int symlinkat(String target, int dirfd, String path) throws LastErrorException;
        int linkat(int olddirfd, String oldpath, int newdirfd, String newpath, int flags) throws LastErrorException;
        int unlinkat(int dirfd, String path, int flags) throws LastErrorException;
        int mknodat(int dirfd, String path, int mode, long dev) throws LastErrorException;
        int fchownat(int dirfd, String path, int uid, int gid, int flags) throws LastErrorException;
        int fchmod(int fd, int mode) throws LastErrorException;
        int chmod(String path, int mode) throws LastErrorException;
        int utimensat(int dirfd, String path, long[] times, int flags) throws LastErrorException;
        int futimens(int fd, long[] times) throws LastErrorException;
        int statx(int dirfd, String path, int flags, int mask, Pointer buf) throws LastErrorException;
        long readlinkat(int dirfd, String path, byte[] buf, long size) throws LastErrorException;
        long read(int fd, byte[] buf, long count) throws LastErrorException;
        long write(int fd, byte[] buf, long count) throws LastErrorException;
    }

    private static final C C_LIB = Native.load("c", C.class);

    /** openat2(2) with {@code how = {flags, mode, resolve}}. @return a new descriptor */
    static int openat2(int dirfd, String path, int flags, int mode, long resolve) throws Errno {
        Memory how = new Memory(24);
        how.setLong(0, flags & 0xffffffffL);
        how.setLong(8, mode);
        how.setLong(16, resolve);
        while (true) {
            try {
                return (int) C_LIB.syscall(SYS_OPENAT2, dirfd, path, how, 24);
            } catch (LastErrorException e) {
                if (e.getErrorCode() == 11 || e.getErrorCode() == EINTR) continue;  // EAGAIN: a rename raced the lookup; retry
                throw new Errno("openat2", path, e.getErrorCode());
            }
        }
    }

    static int openat(int dirfd, String path, int flags, int mode) throws Errno {
        try {
            return C_LIB.openat(dirfd, path, flags | O_CLOEXEC, mode);
        } catch (LastErrorException e) {
            throw new Errno("openat", path, e.getErrorCode());
        }
    }

    /** close(2); errors are ignored (the descriptor is gone either way). */
    static void close(int fd) {
        if (fd < 0) return;
        try {
            C_LIB.close(fd);
        } catch (LastErrorException ignored) {
            // EBADF or EINTR: nothing left to do
        }
    }

    static void mkdirat(int dirfd, String path, int mode) throws Errno {
        try {
            C_LIB.mkdirat(dirfd, path, mode);
        } catch (LastErrorException e) {
            throw new Errno("mkdirat", path, e.getErrorCode());
        }
    }

    static void symlinkat(String target, int dirfd, String path) throws Errno {
        try {
            C_LIB.symlinkat(target, dirfd, path);
        } catch (LastErrorException e) {
            throw new Errno("symlinkat", path, e.getErrorCode());
        }
    }

    static void linkat(int olddirfd, String oldpath, int newdirfd, String newpath) throws Errno {
        try {
            C_LIB.linkat(olddirfd, oldpath, newdirfd, newpath, 0);
        } catch (LastErrorException e) {
            throw new Errno("linkat", newpath, e.getErrorCode());
        }
    }

    static void unlinkat(int dirfd, String path, boolean directory) throws Errno {
        try {
            C_LIB.unlinkat(dirfd, path, directory ? AT_REMOVEDIR : 0);
        } catch (LastErrorException e) {
            throw new Errno("unlinkat", path, e.getErrorCode());
        }
    }

    static void mknodat(int dirfd, String path, int mode, int major, int minor) throws Errno {
        long dev = ((long) (major & 0xfffff000) << 32) | ((major & 0xfffL) << 8)
                | ((long) (minor & 0xffffff00) << 12) | (minor & 0xffL);
        try {
            C_LIB.mknodat(dirfd, path, mode, dev);
        } catch (LastErrorException e) {
            throw new Errno("mknodat", path, e.getErrorCode());
        }
    }

    /** fchownat(2) with AT_EMPTY_PATH when {@code path} is empty (the descriptor itself, also O_PATH), else NOFOLLOW. */
    static void fchownat(int dirfd, String path, int uid, int gid) throws Errno {
        try {
            C_LIB.fchownat(dirfd, path, uid, gid, path.isEmpty() ? AT_EMPTY_PATH : AT_SYMLINK_NOFOLLOW);
        } catch (LastErrorException e) {
            throw new Errno("fchownat", path, e.getErrorCode());
        }
    }

    static void fchmod(int fd, int mode) throws Errno {
        try {
            C_LIB.fchmod(fd, mode);
        } catch (LastErrorException e) {
            throw new Errno("fchmod", "fd " + fd, e.getErrorCode());
        }
    }

    /**
     * chmod(2) of what an O_PATH descriptor names, through its {@code /proc/self/fd} magic link: the kernel jumps to
     * the inode the descriptor holds, it does not walk a path again (runc sets modes the same way).
     */
    static void chmodFd(int fd, int mode) throws Errno {
        try {
            C_LIB.chmod("/proc/self/fd/" + fd, mode);
        } catch (LastErrorException e) {
            throw new Errno("chmod", "fd " + fd, e.getErrorCode());
        }
    }

    /** utimensat(2): access and modification time, seconds and nanoseconds, of {@code path} (NOFOLLOW) under dirfd. */
    static void utimensat(int dirfd, String path, long seconds, long nanos, boolean nofollow) throws Errno {
        try {
            C_LIB.utimensat(dirfd, path, new long[] {seconds, nanos, seconds, nanos}, nofollow ? AT_SYMLINK_NOFOLLOW : 0);
        } catch (LastErrorException e) {
            throw new Errno("utimensat", path, e.getErrorCode());
        }
    }

    /** futimens(2): access and modification time of an open descriptor. */
    static void futimens(int fd, long seconds, long nanos) throws Errno {
        try {
            C_LIB.futimens(fd, new long[] {seconds, nanos, seconds, nanos});
        } catch (LastErrorException e) {
            throw new Errno("futimens", "fd " + fd, e.getErrorCode());
        }
    }

    /** What statx(2) told: the fields {@code docker cp} uses. */
    record Stat(int mode, int uid, int gid, long size, long mtimeSeconds, int mtimeNanos, int nlink, long ino,
                int devMajor, int devMinor, int rdevMajor, int rdevMinor) {
        int type() { return mode & S_IFMT; }
        boolean isDir() { return type() == S_IFDIR; }
        boolean isSymlink() { return type() == S_IFLNK; }
        boolean isRegular() { return type() == S_IFREG; }
    }

    /** statx(2) of {@code path} under dirfd without following a last symlink; empty path: the descriptor itself. */
    static Stat statx(int dirfd, String path) throws Errno {
        Memory buf = new Memory(256);
        int flags = AT_SYMLINK_NOFOLLOW | (path.isEmpty() ? AT_EMPTY_PATH : 0);
        try {
            C_LIB.statx(dirfd, path, flags, 0x7ff /* STATX_BASIC_STATS */, buf);
        } catch (LastErrorException e) {
            throw new Errno("statx", path, e.getErrorCode());
        }
        return new Stat(buf.getShort(28) & 0xffff, buf.getInt(20), buf.getInt(24), buf.getLong(40), buf.getLong(112),
                buf.getInt(120), buf.getInt(16), buf.getLong(32), buf.getInt(136), buf.getInt(140),
                buf.getInt(128), buf.getInt(132));
    }

    /** readlinkat(2); an empty path reads the descriptor itself (an O_PATH descriptor of a symlink, or a magic link). */
    static String readlinkat(int dirfd, String path) throws Errno {
        byte[] b = new byte[4096];
        long n;
        try {
            n = C_LIB.readlinkat(dirfd, path, b, b.length);
        } catch (LastErrorException e) {
            throw new Errno("readlinkat", path, e.getErrorCode());
        }
        return new String(b, 0, (int) n, StandardCharsets.UTF_8);
    }

    /** read(2): 0 at the end of the file. */
    static int read(int fd, byte[] buf) throws Errno {
        while (true) {
            try {
                return (int) C_LIB.read(fd, buf, buf.length);
            } catch (LastErrorException e) {
                if (e.getErrorCode() == EINTR) continue;
                throw new Errno("read", "fd " + fd, e.getErrorCode());
            }
        }
    }

    /** Writes all {@code n} bytes of {@code buf}. */
    static void writeFully(int fd, byte[] buf, int n) throws Errno {
        int off = 0;
        byte[] chunk = buf;
        while (off < n) {
            if (off > 0) {
                chunk = java.util.Arrays.copyOfRange(buf, off, n);
            }
            long w;
            try {
                w = C_LIB.write(fd, chunk, n - off);
            } catch (LastErrorException e) {
                if (e.getErrorCode() == EINTR) continue;
                throw new Errno("write", "fd " + fd, e.getErrorCode());
            }
            off += (int) w;
        }
    }
}
