package dev.rabbithole.stage1.storage;

import com.sun.jna.Native;

import java.io.IOException;
import java.nio.file.Path;

/**
 * An open directory, walked by descriptor so that a container cannot redirect the walk while it runs: each step
 * down is {@code openat(dirfd, NAME, O_DIRECTORY | O_NOFOLLOW)} (openat(2)), and the entries of an open directory
 * are reached as {@code /proc/self/fd/N/NAME} (proc(5): the magic link is the directory already open, not a path
 * looked up again). A directory swapped for a symbolic link to {@code /} after it was listed is then refused
 * ({@code ELOOP}) instead of followed to the host's root (the CVE-2018-15664 race, here for export and commit).
 */
final class DirFd implements AutoCloseable {
    private static final int O_RDONLY = 0;
    private static final int O_DIRECTORY = 0200000;
    private static final int O_NOFOLLOW = 0400000;
    private static final int O_CLOEXEC = 02000000;

    private static final class C {
        static {
            Native.register("c");
        }

        static native int open(String path, int flags);

        static native int openat(int dirfd, String path, int flags);

        static native int close(int fd);
    }

    private final int fd;

    private DirFd(int fd) {
        this.fd = fd;
    }

    /**
     * @param dir a directory the daemon owns (a data root path, not one inside a container)
     * @throws IOException it cannot be opened
     */
    static DirFd open(Path dir) throws IOException {
        int fd = C.open(dir.toString(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) throw new IOException("cannot open directory " + dir + ": errno " + Native.getLastError());
        return new DirFd(fd);
    }

    /**
     * @param name an entry of this directory (no {@code /})
     * @return the subdirectory, or null when {@code name} is no longer a directory (or a symbolic link now)
     */
    DirFd child(String name) {
        int child = C.openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        return child < 0 ? null : new DirFd(child);
    }

    /** @return this directory as a path that names the open descriptor, {@code /proc/self/fd/N} */
    Path path() {
        return Path.of("/proc/self/fd/" + fd);
    }

    /** @return {@code /proc/self/fd/N/NAME}: the entry of this very directory, its last component not followed */
    Path entry(String name) {
        return path().resolve(name);
    }

    @Override
    public void close() {
        C.close(fd);
    }
}
