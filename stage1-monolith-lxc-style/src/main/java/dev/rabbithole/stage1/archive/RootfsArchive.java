package dev.rabbithole.stage1.archive;

import dev.rabbithole.stage1.errdefs.EngineException;
import dev.rabbithole.stage1.errdefs.InvalidParameterException;
import dev.rabbithole.stage1.errdefs.NotFoundException;
import dev.rabbithole.stage1.errdefs.SystemException;
import dev.rabbithole.stage1.image.LayerUnpacker;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code docker cp}'s file work on a container's mounted rootfs (Engine API 1.41 {@code HEAD|GET|PUT
 * /containers/{id}/archive}): stat a path, tar a path, extract a tar into a directory, with Docker's path rules
 * ({@link ContainerPath}) and Docker's error texts.
 *
 * <p><b>Every path is resolved as if the rootfs were {@code /}</b>, and no host file outside it is ever reached, also
 * when the container swaps a directory for a symlink to {@code /} while the copy runs (CVE-2018-15664). Docker's fix
 * (2019) does the file work in a child process chrooted into the rootfs; that child once loaded the container's own
 * NSS libraries as root (CVE-2019-14271). We keep the work in the daemon and use the kernel's scoped lookup instead:
 * <ul>
 *   <li>the rootfs is opened once, {@code O_PATH|O_DIRECTORY}; that descriptor is the root of every lookup;</li>
 *   <li>a container path is resolved with openat2(2) and {@code RESOLVE_IN_ROOT} on that descriptor: the kernel
 *       treats the descriptor as {@code /} for the whole walk, so an absolute symlink, {@code ..} at the top, or a
 *       symlink swapped in halfway cannot leave it, and it checks this atomically with the walk itself (no
 *       check-then-use window); {@code RESOLVE_NO_MAGICLINKS} keeps {@code /proc/self/fd/N}-style links out;</li>
 *   <li>everything after that is one name relative to a held directory descriptor, never followed
 *       ({@code O_NOFOLLOW}, {@code AT_SYMLINK_NOFOLLOW}, {@code mkdirat}, {@code symlinkat}, {@code unlinkat},
 *       {@code O_CREAT|O_EXCL}); modes and owners are set on the opened descriptor ({@code fchmod},
 *       {@code fchownat(AT_EMPTY_PATH)}), so a file swapped for a symlink between create and chmod is never
 *       followed.</li>
 * </ul>
 * Why not a chrooted helper as Docker does: a JVM cannot fork, and a second JVM per copy costs ~60 ms and needs its
 * jar and libraries reachable before the chroot; running the container's own {@code tar} would run the
 * container's code as root on the host. openat2 (Linux 5.6) is in every kernel this project supports; on an older
 * kernel the copy fails with ENOSYS rather than falling back to an unsafe walk.
 *
 * <p>Extraction checks each tar entry as the image layer unpacker does ({@link LayerUnpacker#relativeComponents}: a
 * name that leaves the destination with {@code ..} is refused), and, as dockerd does, refuses a relative symlink
 * or hard link whose target leaves the destination directory; an absolute symlink is kept (it resolves inside the
 * container, like {@code /bin -> usr/bin} in any image). A parent directory that is a symlink is followed inside
 * the root (dockerd's chroot does the same), which {@code RESOLVE_IN_ROOT} makes safe.
 *
 * <p>One instance per copy; not thread-safe; {@link #close} releases the rootfs descriptor.
 */
public final class RootfsArchive implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(RootfsArchive.class.getName());
    private static final int O_NONBLOCK = 04000;

    private final int rootFd;
    private final String rootHostPath;
    private final String container;

    /**
     * Opens the rootfs directory.
     *
     * @param rootfs    the container's mounted rootfs on the host
     * @param container the container's name as the client gave it, for Docker's error texts
     * @throws SystemException it cannot be opened
     */
    public RootfsArchive(Path rootfs, String container) {
        this.container = container;
        try {
            this.rootFd = Libc.openat(Libc.AT_FDCWD, rootfs.toString(), Libc.O_PATH | Libc.O_DIRECTORY, 0);
            this.rootHostPath = Libc.readlinkat(Libc.AT_FDCWD, "/proc/self/fd/" + rootFd);
        } catch (IOException e) {
            throw new SystemException("cannot open the rootfs of " + container + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        Libc.close(rootFd);
    }

    // ------------------------------------------------------------------ resolution

    // tag::resolve-in-root[]
    /** Opens a container path with every symlink resolved inside the rootfs (openat2 RESOLVE_IN_ROOT). */
    private int resolve(String containerPath, int flags) throws Libc.Errno {
        return Libc.openat2(rootFd, ContainerPath.relative(containerPath),
                flags | Libc.O_CLOEXEC, 0, Libc.RESOLVE_IN_ROOT | Libc.RESOLVE_NO_MAGICLINKS);
    }
    // end::resolve-in-root[]

    /** @return where a descriptor's file is, as an absolute path inside the rootfs */
    private String insidePath(int fd) throws Libc.Errno {
        String host = Libc.readlinkat(Libc.AT_FDCWD, "/proc/self/fd/" + fd);
        if (host.equals(rootHostPath)) return "/";
        String prefix = rootHostPath.endsWith("/") ? rootHostPath : rootHostPath + "/";
        if (!host.startsWith(prefix)) {
            throw new Libc.Errno("locate", host + " (not under the rootfs)", Libc.EXDEV);
        }
        return host.substring(prefix.length() - 1);
    }

    private EngineException notFound(String path) {
        return new NotFoundException("Could not find the file " + path + " in container " + container);
    }

    /** The object a path names: {@code name} under {@code dirFd}, or the directory itself when name is empty. */
    private record Located(int dirFd, String name, Libc.Stat stat) { }

    private Located locate(String path, ContainerPath p) {
        int dirFd = -1;
        try {
            dirFd = resolve(p.dir(), Libc.O_PATH);
            if (p.base().isEmpty() || p.base().equals(".")) {
                Libc.Stat st = Libc.statx(dirFd, "");
                if (!st.isDir()) throw new Libc.Errno("lstat", p.abs(), Libc.ENOTDIR);
                return new Located(dirFd, "", st);
            }
            return new Located(dirFd, p.base(), Libc.statx(dirFd, p.base()));
        } catch (Libc.Errno e) {
            Libc.close(dirFd);
            if (e.errno == Libc.ENOENT) throw notFound(path);
            throw new SystemException("lstat " + p.abs() + ": " + Libc.Errno.describe(e.errno), e);
        }
    }

    private static ContainerPath parse(String path) {
        try {
            return ContainerPath.of(path);
        } catch (IllegalArgumentException e) {
            throw new InvalidParameterException(e.getMessage());
        }
    }

    // ------------------------------------------------------------------ stat

    /**
     * {@code HEAD /containers/{id}/archive?path=}: the path's last element is not followed; a symlink reports its
     * target fully resolved inside the container.
     *
     * @throws NotFoundException         {@code Could not find the file PATH in container NAME}
     * @throws InvalidParameterException an empty path
     * @throws SystemException           e.g. {@code lstat /etc/passwd/: not a directory}
     */
    public PathStat stat(String path) {
        ContainerPath p = parse(path);
        Located l = locate(path, p);
        try {
            return pathStat(p, l);
        } finally {
            Libc.close(l.dirFd());
        }
    }

    private PathStat pathStat(ContainerPath p, Located l) {
        Libc.Stat st = l.stat();
        String linkTarget = "";
        if (st.isSymlink()) linkTarget = linkTarget(p, l);
        return new PathStat(p.name(), st.size(), PathStat.goMode(st.mode()),
                Instant.ofEpochSecond(st.mtimeSeconds(), st.mtimeNanos()), linkTarget);
    }

    /** The symlink's target resolved in the root; when it dangles, resolved lexically as Docker's FollowSymlinkInScope does. */
    private String linkTarget(ContainerPath p, Located l) {
        int fd = -1;
        try {
            fd = resolve(p.abs(), Libc.O_PATH);
            return insidePath(fd);
        } catch (Libc.Errno e) {
            try {
                String target = Libc.readlinkat(l.dirFd(), l.name());
                return ContainerPath.clean(target.startsWith("/") ? target : p.dir() + "/" + target);
            } catch (Libc.Errno e2) {
                return "";
            }
        } finally {
            Libc.close(fd);
        }
    }

    // ------------------------------------------------------------------ archive (GET)

    /** A path ready to be tarred: its stat (for the header) and the tar itself. */
    public final class Source implements AutoCloseable {
        private final ContainerPath path;
        private final Located located;
        private final PathStat stat;
        private final Map<String, String> hardLinks = new HashMap<>();

        private Source(ContainerPath path, Located located) {
            this.path = path;
            this.located = located;
            this.stat = pathStat(path, located);
        }

        /** @return what the {@code X-Docker-Container-Path-Stat} header reports */
        public PathStat stat() { return stat; }

        /**
         * Writes the tar (POSIX/PAX headers) of the path to {@code out}: entries start with the requested path's
         * last element ({@code d/}, {@code ./}, {@code /} for the root), directories recursively in name order,
         * symlinks as symlinks, files seen twice (same inode) as hard links; sockets are skipped. Does not close
         * {@code out}.
         *
         * @throws IOException writing to {@code out} failed, or the rootfs could not be read
         */
        public void writeTo(OutputStream out) throws IOException {
            TarArchiveOutputStream tar = new TarArchiveOutputStream(out);
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
            tar.setAddPaxHeadersForNonAsciiNames(true);
            String top = stat.name();
            if (located.stat().isDir() && !top.endsWith("/")) top += "/";
            add(tar, located.dirFd(), located.name(), top, located.stat());
            tar.finish();
            tar.flush();
        }

        @Override
        public void close() { Libc.close(located.dirFd()); }

        private void add(TarArchiveOutputStream tar, int parentFd, String name, String entryName, Libc.Stat st)
                throws IOException {
            switch (st.type()) {
                case Libc.S_IFDIR -> addDirectory(tar, parentFd, name, entryName, st);
                case Libc.S_IFREG -> addFile(tar, parentFd, name, entryName, st);
                case Libc.S_IFLNK -> {
                    TarArchiveEntry e = entry(entryName, TarConstants.LF_SYMLINK, st);
                    e.setLinkName(Libc.readlinkat(parentFd, name));
                    tar.putArchiveEntry(e);
                    tar.closeArchiveEntry();
                }
                case Libc.S_IFCHR, Libc.S_IFBLK, Libc.S_IFIFO -> {
                    byte flag = st.type() == Libc.S_IFCHR ? TarConstants.LF_CHR
                            : st.type() == Libc.S_IFBLK ? TarConstants.LF_BLK : TarConstants.LF_FIFO;
                    TarArchiveEntry e = entry(entryName, flag, st);
                    if (flag != TarConstants.LF_FIFO) {
                        e.setDevMajor(st.rdevMajor());
                        e.setDevMinor(st.rdevMinor());
                    }
                    tar.putArchiveEntry(e);
                    tar.closeArchiveEntry();
                }
                default -> LOG.log(System.Logger.Level.DEBUG, "docker cp: skipping socket {0}", entryName);
            }
        }

        private void addDirectory(TarArchiveOutputStream tar, int parentFd, String name, String entryName, Libc.Stat st)
                throws IOException {
            int fd;
            try {
                fd = Libc.openat(parentFd, name.isEmpty() ? "." : name, Libc.O_RDONLY | Libc.O_DIRECTORY | Libc.O_NOFOLLOW, 0);
            } catch (Libc.Errno e) {          // swapped or removed since its stat: skip it, never follow it
                LOG.log(System.Logger.Level.DEBUG, "docker cp: {0} changed while copying: {1}", entryName, e.getMessage());
                return;
            }
            try {
                tar.putArchiveEntry(entry(entryName, TarConstants.LF_DIR, st));
                tar.closeArchiveEntry();
                List<String> names = new ArrayList<>();
                // the magic link reopens the very directory this descriptor holds; no path is walked again
                try (DirectoryStream<Path> s = Files.newDirectoryStream(Path.of("/proc/self/fd/" + fd))) {
                    for (Path c : s) names.add(c.getFileName().toString());
                }
                Collections.sort(names);
                for (String child : names) {
                    Libc.Stat cs;
                    try {
                        cs = Libc.statx(fd, child);
                    } catch (Libc.Errno e) {
                        continue;             // gone since the listing
                    }
                    add(tar, fd, child, entryName + child + (cs.isDir() ? "/" : ""), cs);
                }
            } finally {
                Libc.close(fd);
            }
        }

        private void addFile(TarArchiveOutputStream tar, int parentFd, String name, String entryName, Libc.Stat listed)
                throws IOException {
            int fd;
            try {
                fd = Libc.openat(parentFd, name.isEmpty() ? "." : name, Libc.O_RDONLY | Libc.O_NOFOLLOW | O_NONBLOCK, 0);
            } catch (Libc.Errno e) {
                LOG.log(System.Logger.Level.DEBUG, "docker cp: {0} changed while copying: {1}", entryName, e.getMessage());
                return;
            }
            try {
                Libc.Stat st = Libc.statx(fd, "");
                if (!st.isRegular()) return;                      // swapped for something else: skip it
                String key = st.devMajor() + ":" + st.devMinor() + ":" + st.ino();
                if (st.nlink() > 1 && hardLinks.containsKey(key)) {
                    TarArchiveEntry e = entry(entryName, TarConstants.LF_LINK, st);
                    e.setLinkName(hardLinks.get(key));
                    tar.putArchiveEntry(e);
                    tar.closeArchiveEntry();
                    return;
                }
                if (st.nlink() > 1) hardLinks.put(key, entryName);
                TarArchiveEntry e = entry(entryName, TarConstants.LF_NORMAL, st);
                e.setSize(st.size());
                tar.putArchiveEntry(e);
                byte[] buf = new byte[64 * 1024];
                long left = st.size();
                while (left > 0) {
                    int n = Libc.read(fd, buf);
                    if (n <= 0) break;                            // shrank while we read: pad below
                    int use = (int) Math.min(n, left);
                    tar.write(buf, 0, use);
                    left -= use;
                }
                java.util.Arrays.fill(buf, (byte) 0);
                while (left > 0) {
                    int use = (int) Math.min(buf.length, left);
                    tar.write(buf, 0, use);
                    left -= use;
                }
                tar.closeArchiveEntry();
            } finally {
                Libc.close(fd);
            }
        }

        private TarArchiveEntry entry(String name, byte flag, Libc.Stat st) {
            TarArchiveEntry e = new TarArchiveEntry(name, flag, true);
            e.setMode(st.mode() & 07777);
            e.setUserId(st.uid());
            e.setGroupId(st.gid());
            e.setLastModifiedTime(FileTime.from(Instant.ofEpochSecond(st.mtimeSeconds(), st.mtimeNanos())));
            return e;
        }
    }

    /**
     * {@code GET /containers/{id}/archive?path=}: resolves the path as {@link #stat} does; the caller sends
     * {@link Source#stat()} as the header, then {@link Source#writeTo} as the body, then closes it.
     *
     * @throws NotFoundException         {@code Could not find the file PATH in container NAME}
     * @throws InvalidParameterException an empty path
     * @throws SystemException           the path cannot be read
     */
    public Source source(String path) {
        ContainerPath p = parse(path);
        return new Source(p, locate(path, p));
    }

    // ------------------------------------------------------------------ extract (PUT)

    /**
     * What {@link #extract} does with owners.
     *
     * @param noOverwriteDirNonDir refuse to replace a directory with a non-directory or the reverse (the API's
     *                             {@code noOverwriteDirNonDir}, which the docker CLI always sends)
     * @param uid                  the owner every extracted file gets, or null to keep the tar's
     * @param gid                  the group every extracted file gets, or null to keep the tar's
     */
    public record ExtractOptions(boolean noOverwriteDirNonDir, Integer uid, Integer gid) { }

    /**
     * {@code PUT /containers/{id}/archive?path=}: extracts an uncompressed tar into the directory {@code path} names
     * (every symlink followed inside the root, the last one too, so a symlink to a directory is a valid
     * destination). Missing parents of entries are created (0755). Existing files are replaced; a directory is
     * merged into an existing one.
     *
     * @throws NotFoundException         {@code Could not find the file PATH in container NAME}
     * @throws SystemException           {@code extraction point is not a directory}; {@code Error processing tar
     *                                   file: ...} for an entry that escapes (names it), a malformed tar, or an
     *                                   I/O error; what was extracted before stays
     */
    public void extract(String path, InputStream tarStream, ExtractOptions options) {
        ContainerPath p = parse(path);
        int destFd;
        String dest;
        try {
            destFd = resolve(p.abs(), Libc.O_PATH);
        } catch (Libc.Errno e) {
            if (e.errno == Libc.ENOENT) throw notFound(path);
            throw new SystemException("extraction point is not a directory", e);
        }
        try {
            if (!Libc.statx(destFd, "").isDir()) throw new SystemException("extraction point is not a directory");
            dest = insidePath(destFd);
            new Extraction(dest, options).run(tarStream);
        } catch (Libc.Errno e) {
            throw new SystemException("Error processing tar file: " + e.getMessage(), e);
        } finally {
            Libc.close(destFd);
        }
    }

    private final class Extraction {
        private final String dest;
        private final ExtractOptions options;
        private final List<Runnable> directoryTimes = new ArrayList<>();
        private String cachedParent;
        private int cachedParentFd = -1;

        Extraction(String dest, ExtractOptions options) {
            this.dest = dest;
            this.options = options;
        }

        private String inside(List<String> parts) {
            String d = dest.equals("/") ? "" : dest;
            return parts.isEmpty() ? dest : d + "/" + String.join("/", parts);
        }

        private SystemException refused(String why) {
            return new SystemException("Error processing tar file: " + why);
        }

        void run(InputStream in) throws Libc.Errno {
            TarArchiveInputStream tar = new TarArchiveInputStream(in);
            try {
                TarArchiveEntry e;
                while ((e = nextEntry(tar)) != null) {
                    entry(tar, e);
                }
                for (int i = directoryTimes.size() - 1; i >= 0; i--) directoryTimes.get(i).run();
            } finally {
                Libc.close(cachedParentFd);
            }
        }

        private TarArchiveEntry nextEntry(TarArchiveInputStream tar) {
            try {
                return tar.getNextEntry();
            } catch (IOException | IllegalArgumentException ex) {
                throw refused("not a valid tar archive: " + ex.getMessage());
            }
        }

        private List<String> components(String entry, String name, String why) {
            try {
                return LayerUnpacker.relativeComponents(entry, name);
            } catch (InvalidParameterException ex) {
                throw refused(why);
            }
        }

        private void entry(TarArchiveInputStream tar, TarArchiveEntry e) throws Libc.Errno {
            String name = e.getName();
            List<String> parts = components(name, name, "\"" + name + "\" is outside of \"" + dest + "\"");
            String full = inside(parts);
            if (parts.isEmpty()) {                       // "./": the destination itself
                if (e.isDirectory()) deferMetadata(full, e);
                return;
            }
            List<String> parents = parts.subList(0, parts.size() - 1);
            String base = parts.get(parts.size() - 1);
            int parentFd = parent(parents);
            Libc.Stat existing = statOrNull(parentFd, base);
            if (existing != null) {
                if (existing.isDir()) {
                    if (!e.isDirectory()) {
                        if (options.noOverwriteDirNonDir()) {
                            throw refused("cannot overwrite directory \"" + full + "\" with non-directory \"" + dest + "\"");
                        }
                        removeTree(parentFd, base);
                    }
                } else {
                    if (e.isDirectory() && options.noOverwriteDirNonDir()) {
                        throw refused("cannot overwrite non-directory \"" + full + "\" with directory \"" + dest + "\"");
                    }
                    Libc.unlinkat(parentFd, base, false);
                }
            }
            int uid = options.uid() != null ? options.uid() : (int) e.getLongUserId();
            int gid = options.gid() != null ? options.gid() : (int) e.getLongGroupId();
            int mode = e.getMode() & 07777;
            Instant mtime = e.getLastModifiedTime().toInstant();
            if (e.isDirectory()) {
                if (existing == null || !existing.isDir()) Libc.mkdirat(parentFd, base, 0700);
                deferMetadata(full, e);
            } else if (e.isSymbolicLink()) {
                String link = e.getLinkName();
                if (!link.startsWith("/")) {
                    List<String> target = new ArrayList<>(parents);   // relative to the link's directory
                    target.add(link);
                    components(name, String.join("/", target),
                            "invalid symlink \"" + full + "\" -> \"" + link + "\"");
                }
                Libc.symlinkat(link, parentFd, base);
                Libc.fchownat(parentFd, base, uid, gid);
                Libc.utimensat(parentFd, base, mtime.getEpochSecond(), mtime.getNano(), true);
            } else if (e.isLink()) {
                List<String> target = components(name, e.getLinkName(),
                        "invalid hardlink \"" + full + "\" -> \"" + e.getLinkName() + "\"");
                if (target.isEmpty()) throw refused("invalid hardlink \"" + name + "\" -> \"" + e.getLinkName() + "\"");
                int tfd = resolve(inside(target.subList(0, target.size() - 1)), Libc.O_PATH | Libc.O_DIRECTORY);
                try {
                    Libc.linkat(tfd, target.get(target.size() - 1), parentFd, base);
                } finally {
                    Libc.close(tfd);
                }
            } else if (e.isFile()) {
                int fd = Libc.openat(parentFd, base, Libc.O_WRONLY | Libc.O_CREAT | Libc.O_EXCL | Libc.O_NOFOLLOW, 0600);
                try {
                    byte[] buf = new byte[64 * 1024];
                    int n;
                    while ((n = readEntry(tar, buf)) > 0) Libc.writeFully(fd, buf, n);
                    Libc.fchownat(fd, "", uid, gid);
                    Libc.fchmod(fd, mode);                  // after chown, which clears setuid
                    Libc.futimens(fd, mtime.getEpochSecond(), mtime.getNano());
                } finally {
                    Libc.close(fd);
                }
            } else if (e.isCharacterDevice() || e.isBlockDevice() || e.isFIFO()) {
                int type = e.isCharacterDevice() ? Libc.S_IFCHR : e.isBlockDevice() ? Libc.S_IFBLK : Libc.S_IFIFO;
                Libc.mknodat(parentFd, base, type | 0600, e.getDevMajor(), e.getDevMinor());
                int fd = Libc.openat(parentFd, base, Libc.O_PATH | Libc.O_NOFOLLOW, 0);
                try {
                    metadata(fd, uid, gid, mode, mtime);
                } finally {
                    Libc.close(fd);
                }
            } else {
                LOG.log(System.Logger.Level.DEBUG, "docker cp: skipping tar entry {0} of type {1}", name, (char) e.getLinkFlag());
            }
        }

        private int readEntry(TarArchiveInputStream tar, byte[] buf) {
            try {
                return tar.read(buf);
            } catch (IOException ex) {
                throw refused("not a valid tar archive: " + ex.getMessage());
            }
        }

        /** Owner, mode and times of what an O_PATH descriptor holds (never through a path that could be swapped). */
        private void metadata(int fd, int uid, int gid, int mode, Instant mtime) throws Libc.Errno {
            Libc.fchownat(fd, "", uid, gid);
            Libc.chmodFd(fd, mode);
            Libc.utimensat(Libc.AT_FDCWD, "/proc/self/fd/" + fd, mtime.getEpochSecond(), mtime.getNano(), false);
        }

        /** Directories get owner, mode and times last, deepest first: entries written into them change their mtime. */
        private void deferMetadata(String full, TarArchiveEntry e) {
            int uid = options.uid() != null ? options.uid() : (int) e.getLongUserId();
            int gid = options.gid() != null ? options.gid() : (int) e.getLongGroupId();
            int mode = e.getMode() & 07777;
            Instant mtime = e.getLastModifiedTime().toInstant();
            directoryTimes.add(() -> {
                int fd = -1;
                try {
                    fd = Libc.openat2(rootFd, ContainerPath.relative(full),
                            Libc.O_PATH | Libc.O_NOFOLLOW | Libc.O_CLOEXEC, 0, Libc.RESOLVE_IN_ROOT | Libc.RESOLVE_NO_MAGICLINKS);
                    if (Libc.statx(fd, "").isDir()) metadata(fd, uid, gid, mode, mtime);
                } catch (Libc.Errno ex) {
                    LOG.log(System.Logger.Level.DEBUG, "docker cp: cannot set the metadata of {0}: {1}", full, ex.getMessage());
                } finally {
                    Libc.close(fd);
                }
            });
        }

        /** The parent directory of an entry, resolved in the root; missing directories are created (0755). */
        private int parent(List<String> parents) throws Libc.Errno {
            String key = inside(parents);
            if (key.equals(cachedParent)) return cachedParentFd;
            Libc.close(cachedParentFd);
            cachedParentFd = -1;
            cachedParent = null;
            int fd;
            try {
                fd = resolve(key, Libc.O_PATH | Libc.O_DIRECTORY);
            } catch (Libc.Errno ex) {
                if (ex.errno != Libc.ENOENT) throw ex;
                fd = resolve(dest, Libc.O_PATH | Libc.O_DIRECTORY);
                for (int i = 0; i < parents.size(); i++) {
                    int next;
                    try {
                        next = Libc.openat2(fd, parents.get(i), Libc.O_PATH | Libc.O_DIRECTORY | Libc.O_NOFOLLOW | Libc.O_CLOEXEC, 0, 0);
                    } catch (Libc.Errno missing) {
                        if (missing.errno != Libc.ENOENT && missing.errno != Libc.ELOOP && missing.errno != Libc.ENOTDIR) {
                            Libc.close(fd);
                            throw missing;
                        }
                        if (missing.errno == Libc.ENOENT) {
                            try {
                                Libc.mkdirat(fd, parents.get(i), 0755);
                            } catch (Libc.Errno exists) {
                                if (exists.errno != Libc.EEXIST) {
                                    Libc.close(fd);
                                    throw exists;
                                }
                            }
                        }
                        Libc.close(fd);
                        // a symlink (or a directory made just now): resolve the prefix in the root again
                        fd = resolve(inside(parents.subList(0, i + 1)), Libc.O_PATH | Libc.O_DIRECTORY);
                        continue;
                    }
                    Libc.close(fd);
                    fd = next;
                }
            }
            cachedParent = key;
            cachedParentFd = fd;
            return fd;
        }

        private Libc.Stat statOrNull(int dirFd, String name) throws Libc.Errno {
            try {
                return Libc.statx(dirFd, name);
            } catch (Libc.Errno ex) {
                if (ex.errno == Libc.ENOENT) return null;
                throw ex;
            }
        }

        /** rm -rf of one name under a held directory, by descriptors only, never following a symlink. */
        private void removeTree(int parentFd, String name) throws Libc.Errno {
            int fd = Libc.openat(parentFd, name, Libc.O_RDONLY | Libc.O_DIRECTORY | Libc.O_NOFOLLOW, 0);
            try {
                List<String> names = new ArrayList<>();
                try (DirectoryStream<Path> s = Files.newDirectoryStream(Path.of("/proc/self/fd/" + fd))) {
                    for (Path c : s) names.add(c.getFileName().toString());
                } catch (IOException ex) {
                    throw new Libc.Errno("readdir", name, Libc.EACCES);
                }
                for (String c : names) {
                    Libc.Stat st = statOrNull(fd, c);
                    if (st == null) continue;
                    if (st.isDir()) removeTree(fd, c);
                    else Libc.unlinkat(fd, c, false);
                }
            } finally {
                Libc.close(fd);
            }
            Libc.unlinkat(parentFd, name, true);
        }
    }
}
