package dev.rabbithole.stage3.shim;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import com.sun.jna.StringArray;

import java.io.IOException;
import java.util.List;

/**
 * The few libc calls the shim needs, through JNA's direct mapping (glibc on Linux x86-64 and aarch64): a child
 * subreaper ({@code prctl(2)} {@code PR_SET_CHILD_SUBREAPER}), {@code waitpid(2)}, {@code posix_spawn(3)} with file
 * actions, {@code pipe2(2)}, {@code open(2)}/{@code read(2)}/{@code write(2)}/{@code close(2)} on raw descriptors,
 * {@code setsid(2)}, {@code kill(2)}, {@code mount(2)} and {@code umount2(2)}. Failures throw {@link IOException}
 * with the call, its argument and {@code strerror(errno)}.
 */
final class Libc {

    static final int O_RDONLY = 0;
    static final int O_WRONLY = 01;
    static final int O_RDWR = 02;
    static final int O_CREAT = 0100;
    static final int O_APPEND = 02000;
    static final int O_CLOEXEC = 02000000;
    static final int EINTR = 4;
    static final int ECHILD = 10;
    static final int EAGAIN = 11;
    static final int ESRCH = 3;
    static final int EINVAL = 22;
    static final int ENOENT = 2;
    static final int PR_SET_CHILD_SUBREAPER = 36;
    static final int MNT_DETACH = 2;
    /** {@code posix_spawnattr_setflags}: reset the dispositions in the "sigdefault" set, set the signal mask. */
    private static final short POSIX_SPAWN_SETSIGDEF = 0x04;
    private static final short POSIX_SPAWN_SETSIGMASK = 0x08;
    /** sizeof(posix_spawn_file_actions_t) is 80 and sizeof(posix_spawnattr_t) 336 on glibc 64-bit: room to spare. */
    private static final int FILE_ACTIONS_SIZE = 256;
    private static final int SPAWNATTR_SIZE = 1024;
    private static final int SIGSET_SIZE = 128;

    static {
        Native.register(Libc.class, NativeLibrary.getInstance("c"));
    }

    private Libc() {
    }

    static native int getpid();
    static native int setsid() throws LastErrorException;
    static native int prctl(int option, long a2, long a3, long a4, long a5) throws LastErrorException;
    static native int waitpid(int pid, int[] status, int options) throws LastErrorException;
    static native int kill(int pid, int sig) throws LastErrorException;
    static native int pipe2(int[] fds, int flags) throws LastErrorException;
    static native int open(String path, int flags, int mode) throws LastErrorException;
    static native int close(int fd) throws LastErrorException;
    static native int dup2(int oldfd, int newfd) throws LastErrorException;
    static native int fcntl(int fd, int cmd, int arg) throws LastErrorException;
    static native int flock(int fd, int operation) throws LastErrorException;
    static native long read(int fd, byte[] buf, long count) throws LastErrorException;
    static native long write(int fd, byte[] buf, long count) throws LastErrorException;
    static native int mount(String source, String target, String fstype, long flags, String data) throws LastErrorException;
    static native int umount2(String target, int flags) throws LastErrorException;
    static native String strerror(int errnum);
    private static native int posix_spawn(int[] pid, String path, Pointer fileActions, Pointer attr, StringArray argv,
                                          StringArray envp);
    private static native int posix_spawn_file_actions_init(Pointer fa);
    private static native int posix_spawn_file_actions_destroy(Pointer fa);
    private static native int posix_spawn_file_actions_adddup2(Pointer fa, int fd, int newfd);
    private static native int posix_spawn_file_actions_addopen(Pointer fa, int fd, String path, int flags, int mode);
    private static native int posix_spawn_file_actions_addclosefrom_np(Pointer fa, int from);
    private static native int posix_spawn_file_actions_addchdir_np(Pointer fa, String path);
    private static native int posix_spawnattr_init(Pointer attr);
    private static native int posix_spawnattr_destroy(Pointer attr);
    private static native int posix_spawnattr_setflags(Pointer attr, short flags);
    private static native int posix_spawnattr_setsigmask(Pointer attr, Pointer set);
    private static native int posix_spawnattr_setsigdefault(Pointer attr, Pointer set);
    private static native int sigemptyset(Pointer set);
    private static native int sigfillset(Pointer set);

    /** @return an {@link IOException} naming the call and errno's text */
    static IOException error(String call, Object arg, LastErrorException e) {
        return new IOException(call + "(" + arg + "): " + strerror(e.getErrorCode()));
    }

    /**
     * posix_spawn(3): starts {@code path} with {@code argv} and {@code env}; in the child, descriptors 0, 1, 2 are
     * {@code stdio[i]} (-1: {@code /dev/null}), every other descriptor is closed, all signal dispositions are reset
     * to their defaults and the signal mask is empty (the JVM's are not the program's). The caller must wait for the
     * child: the shim's {@link Reaper} does.
     *
     * @param stdio three descriptors (or -1 each)
     * @param cwd the child's working directory, null for the shim's
     * @return the child's pid
     * @throws IOException with errno's text when the child could not be started (e.g. ENOENT for the binary)
     */
    static int spawn(String path, List<String> argv, List<String> env, int[] stdio, String cwd) throws IOException {
        Memory fa = new Memory(FILE_ACTIONS_SIZE);
        Memory attr = new Memory(SPAWNATTR_SIZE);
        Memory empty = new Memory(SIGSET_SIZE);
        Memory all = new Memory(SIGSET_SIZE);
        fa.clear();
        attr.clear();
        posix_spawn_file_actions_init(fa);
        posix_spawnattr_init(attr);
        try {
            for (int i = 0; i < 3; i++) {
                int rc = stdio[i] >= 0 ? posix_spawn_file_actions_adddup2(fa, stdio[i], i)
                        : posix_spawn_file_actions_addopen(fa, i, "/dev/null", i == 0 ? O_RDONLY : O_WRONLY, 0);
                check(rc, "posix_spawn_file_actions", path);
            }
            check(posix_spawn_file_actions_addclosefrom_np(fa, 3), "posix_spawn_file_actions_addclosefrom_np", path);
            if (cwd != null) {
                check(posix_spawn_file_actions_addchdir_np(fa, cwd), "posix_spawn_file_actions_addchdir_np", cwd);
            }
            sigemptyset(empty);
            sigfillset(all);
            check(posix_spawnattr_setsigmask(attr, empty), "posix_spawnattr_setsigmask", path);
            check(posix_spawnattr_setsigdefault(attr, all), "posix_spawnattr_setsigdefault", path);
            check(posix_spawnattr_setflags(attr, (short) (POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK)),
                    "posix_spawnattr_setflags", path);
            int[] pid = new int[1];
            int rc = posix_spawn(pid, path, fa, attr, new StringArray(argv.toArray(new String[0])),
                    new StringArray(env.toArray(new String[0])));
            check(rc, "posix_spawn", path);
            return pid[0];
        } finally {
            posix_spawn_file_actions_destroy(fa);
            posix_spawnattr_destroy(attr);
        }
    }

    private static void check(int rc, String call, Object arg) throws IOException {
        if (rc != 0) {
            throw new IOException(call + "(" + arg + "): " + strerror(rc));
        }
    }

    /** @return a pipe's {read, write} descriptors, both close-on-exec */
    static int[] pipe() throws IOException {
        int[] fds = new int[2];
        try {
            pipe2(fds, O_CLOEXEC);
        } catch (LastErrorException e) {
            throw error("pipe2", "O_CLOEXEC", e);
        }
        return fds;
    }

    /**
     * Takes an exclusive flock(2) on a directory, waiting for it.
     *
     * @return the descriptor holding the lock: closing it releases the lock
     */
    static int lockDirectory(java.nio.file.Path dir) throws IOException {
        int fd = openFile(dir.toString(), O_RDONLY | 0200000 /* O_DIRECTORY */, 0);
        while (true) {
            try {
                flock(fd, 2 /* LOCK_EX */);
                return fd;
            } catch (LastErrorException e) {
                if (e.getErrorCode() != EINTR) {
                    closeQuietly(fd);
                    throw error("flock", dir, e);
                }
            }
        }
    }

    /** @return a duplicate of {@code fd}, close-on-exec (fcntl F_DUPFD_CLOEXEC) */
    static int dupCloexec(int fd) throws IOException {
        try {
            return fcntl(fd, 1030, 3);
        } catch (LastErrorException e) {
            throw error("fcntl F_DUPFD_CLOEXEC", fd, e);
        }
    }

    /** Closes a descriptor, ignoring -1 and errors (the descriptor is gone either way). */
    static void closeQuietly(int fd) {
        if (fd >= 0) {
            try {
                close(fd);
            } catch (LastErrorException e) {
                // EBADF or EINTR: on Linux the descriptor is released in both cases
            }
        }
    }

    /** @return a descriptor for {@code path} opened with {@code flags | O_CLOEXEC} */
    static int openFile(String path, int flags, int mode) throws IOException {
        try {
            return open(path, flags | O_CLOEXEC, mode);
        } catch (LastErrorException e) {
            throw error("open", path, e);
        }
    }

    /** Writes all of {@code buf[0..n)}, retrying short writes and EINTR. */
    static void writeAll(int fd, byte[] buf, int n) throws IOException {
        int off = 0;
        byte[] chunk = buf;
        while (off < n) {
            if (off > 0) {
                chunk = java.util.Arrays.copyOfRange(buf, off, n);
            }
            long w;
            try {
                w = write(fd, chunk, n - off);
            } catch (LastErrorException e) {
                if (e.getErrorCode() == EINTR) {
                    continue;
                }
                throw error("write", fd, e);
            }
            off += (int) w;
        }
    }

    /** @return bytes read (0 at end of file), retrying EINTR */
    static int readSome(int fd, byte[] buf) throws IOException {
        while (true) {
            try {
                return (int) read(fd, buf, buf.length);
            } catch (LastErrorException e) {
                if (e.getErrorCode() != EINTR) {
                    throw error("read", fd, e);
                }
            }
        }
    }
}
