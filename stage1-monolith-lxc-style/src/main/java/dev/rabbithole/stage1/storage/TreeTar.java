package dev.rabbithole.stage1.storage;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Writes a directory tree as a tar, as Docker's archive package writes layers and exports: entry names relative
 * to the root without a leading {@code ./} ({@code etc/}, {@code etc/passwd}), directories ending in {@code /},
 * numeric owner, permission bits with setuid/setgid/sticky, mtime in seconds; a file with several links is
 * written once and then as hard links to that first name; symlinks, character and block devices and FIFOs as
 * such; sockets are left out (as Docker's). POSIX (PAX) headers for long names and big numbers.
 */
public final class TreeTar {
    private TreeTar() { }

    /**
     * Writes a whole tree (no whiteout conversion): {@code docker export}'s archive of a mounted rootfs.
     *
     * @param root the directory; its own entry is not written
     * @param out  receives the uncompressed tar; not closed
     * @throws IOException the tree cannot be read or {@code out} written
     */
    public static void writeTree(Path root, OutputStream out) throws IOException {
        List<String> paths = new ArrayList<>();
        collect(root, "", paths);
        write(root, paths, Set.of(), false, out);
    }

    private static void collect(Path dir, String prefix, List<String> out) throws IOException {
        List<String> names = new ArrayList<>();
        try (var s = Files.newDirectoryStream(dir)) {
            for (Path p : s) names.add(p.getFileName().toString());
        }
        names.sort(null);
        for (String name : names) {
            Path f = dir.resolve(name);
            out.add(prefix + "/" + name);
            BasicFileAttributes a = UpperDir.lstat(f);
            if (a != null && a.isDirectory()) collect(f, prefix + "/" + name, out);
        }
    }

    /**
     * @param root       the tree
     * @param paths      the entries to write, {@code /a/b} relative to {@code root}, each directory before its entries
     * @param opaque     directories (absolute host paths) that get a {@code .wh..wh..opq} entry
     * @param whiteouts  true to write 0:0 character devices as {@code .wh.NAME} files (image-spec layer.md)
     */
    static void write(Path root, List<String> paths, Set<Path> opaque, boolean whiteouts, OutputStream out)
            throws IOException {
        TarArchiveOutputStream tar = new TarArchiveOutputStream(out, 512);   // no padding past the two end blocks, as Go's tar
        tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
        tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
        Map<String, String> firstLink = new HashMap<>();        // "dev:ino" -> entry name
        for (String path : paths) {
            Path f = root.resolve(path.substring(1));
            BasicFileAttributes a = UpperDir.lstat(f);
            if (a == null) continue;                              // gone while we walked
            String name = path.substring(1);
            int mode = (Integer) Files.getAttribute(f, "unix:mode", LinkOption.NOFOLLOW_LINKS);
            int type = mode & 0170000;
            int uid = (Integer) Files.getAttribute(f, "unix:uid", LinkOption.NOFOLLOW_LINKS);
            int gid = (Integer) Files.getAttribute(f, "unix:gid", LinkOption.NOFOLLOW_LINKS);
            long mtime = a.lastModifiedTime().toMillis() / 1000 * 1000;
            TarArchiveEntry e;
            if (whiteouts && UpperDir.isWhiteout(f, a)) {
                int slash = name.lastIndexOf('/');
                e = new TarArchiveEntry(name.substring(0, slash + 1) + ".wh." + name.substring(slash + 1), TarConstants.LF_NORMAL);
                e.setMode(0600);
            } else if (a.isDirectory()) {
                e = new TarArchiveEntry(name + "/", TarConstants.LF_DIR);
            } else if (a.isSymbolicLink()) {
                e = new TarArchiveEntry(name, TarConstants.LF_SYMLINK);
                e.setLinkName(Files.readSymbolicLink(f).toString());
            } else if (a.isRegularFile()) {
                int nlink = (Integer) Files.getAttribute(f, "unix:nlink", LinkOption.NOFOLLOW_LINKS);
                String key = Files.getAttribute(f, "unix:dev", LinkOption.NOFOLLOW_LINKS) + ":"
                        + Files.getAttribute(f, "unix:ino", LinkOption.NOFOLLOW_LINKS);
                String first = nlink > 1 ? firstLink.putIfAbsent(key, name) : null;
                if (first != null) {
                    e = new TarArchiveEntry(name, TarConstants.LF_LINK);
                    e.setLinkName(first);
                } else {
                    e = new TarArchiveEntry(name, TarConstants.LF_NORMAL);
                    e.setSize(a.size());
                }
            } else if (type == 0020000 || type == 0060000) {
                e = new TarArchiveEntry(name, type == 0020000 ? TarConstants.LF_CHR : TarConstants.LF_BLK);
                long rdev = (Long) Files.getAttribute(f, "unix:rdev", LinkOption.NOFOLLOW_LINKS);
                e.setDevMajor((int) (((rdev >>> 8) & 0xfff) | ((rdev >>> 32) & ~0xfffL)));
                e.setDevMinor((int) ((rdev & 0xff) | ((rdev >>> 12) & ~0xffL)));
            } else if (type == 0010000) {
                e = new TarArchiveEntry(name, TarConstants.LF_FIFO);
            } else {
                continue;                                         // a socket: Docker leaves them out too
            }
            if (!(whiteouts && UpperDir.isWhiteout(f, a))) e.setMode(mode & 07777);
            e.setIds(uid, gid);
            e.setModTime(mtime);
            tar.putArchiveEntry(e);
            if (e.isFile() && !e.isLink() && e.getSize() > 0) {
                try (InputStream in = Files.newInputStream(f, LinkOption.NOFOLLOW_LINKS)) {
                    copyExactly(in, tar, e.getSize(), path);
                }
            }
            tar.closeArchiveEntry();
            if (a.isDirectory() && opaque.contains(f)) {
                TarArchiveEntry wo = new TarArchiveEntry(name + "/.wh..wh..opq", TarConstants.LF_NORMAL);
                wo.setMode(mode & 0777);
                wo.setIds(uid, gid);
                wo.setModTime(mtime);
                tar.putArchiveEntry(wo);
                tar.closeArchiveEntry();
            }
        }
        tar.finish();
        tar.flush();
    }

    /** Copies exactly {@code size} bytes (a file that shrank meanwhile is padded with zeros, one that grew is cut). */
    private static void copyExactly(InputStream in, OutputStream out, long size, String path) throws IOException {
        byte[] buf = new byte[65536];
        long left = size;
        while (left > 0) {
            int n = in.read(buf, 0, (int) Math.min(buf.length, left));
            if (n < 0) {
                java.util.Arrays.fill(buf, (byte) 0);
                while (left > 0) {
                    int z = (int) Math.min(buf.length, left);
                    out.write(buf, 0, z);
                    left -= z;
                }
                return;
            }
            out.write(buf, 0, n);
            left -= n;
        }
    }
}
