package dev.rabbithole.stage1.builder;

import dev.rabbithole.stage1.errdefs.InvalidParameterException;
import dev.rabbithole.stage1.errdefs.SystemException;
import dev.rabbithole.stage1.execdriver.RootfsPaths;
import dev.rabbithole.stage1.image.LayerUnpacker;
import dev.rabbithole.stage1.storage.FileTrees;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * Puts COPY and ADD sources into a build container's rootfs, with the Dockerfile reference's rules: a directory's
 * contents (not the directory) are copied; a destination ending in {@code /}, or several sources, names a
 * directory; a file onto an existing directory lands inside it; missing parent directories are made (0755, root);
 * files keep their mode and modification time and are owned by {@code --chown}'s uid:gid (0:0 without it); symlinks
 * inside a copied directory are copied as symlinks. Every destination is resolved inside the rootfs
 * ({@link RootfsPaths#resolve}: an image's symlink cannot lead a COPY out of the rootfs), and an existing symlink at
 * the final name is replaced, never followed. ADD unpacks a local tar archive (plain, gzip, bzip2 or xz) into the
 * destination directory.
 */
final class FileCopier {

    /** The owner of copied files; null keeps the source's (the files of an archive ADD unpacks). */
    record Owner(long uid, long gid) { }

    private final Path rootfs;
    private final Owner owner;

    FileCopier(Path rootfs, Owner owner) {
        this.rootfs = rootfs;
        this.owner = owner;
    }

    /**
     * A checksum of the sources' names, contents, modes, modification times and link targets: the cache key of a
     * COPY/ADD step, with the destination and flags.
     */
    static String checksum(List<Path> sources) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            for (Path src : sources) {
                Path base = Files.isDirectory(src, LinkOption.NOFOLLOW_LINKS) ? src : src.getParent();
                List<Path> all = new ArrayList<>();
                try (var s = Files.walk(src)) {
                    s.sorted().forEach(all::add);
                }
                for (Path p : all) {
                    md.update((base.relativize(p) + "\0").getBytes(StandardCharsets.UTF_8));
                    int mode = (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS);
                    long mtime = Files.getLastModifiedTime(p, LinkOption.NOFOLLOW_LINKS).toMillis() / 1000;
                    md.update((mode + ":" + mtime + "\0").getBytes(StandardCharsets.UTF_8));
                    if (Files.isSymbolicLink(p)) {
                        md.update(Files.readSymbolicLink(p).toString().getBytes(StandardCharsets.UTF_8));
                    } else if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                        try (InputStream in = Files.newInputStream(p)) {
                            byte[] buf = new byte[65536];
                            int n;
                            while ((n = in.read(buf)) > 0) {
                                md.update(buf, 0, n);
                            }
                        }
                    }
                    md.update((byte) '\n');
                }
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (IOException | java.security.NoSuchAlgorithmException e) {
            throw new SystemException("cannot checksum the sources: " + e.getMessage(), e);
        }
    }

    /**
     * Copies the sources to {@code dest}.
     *
     * @param dest    absolute container path (WORKDIR already applied)
     * @param destDir whether the destination is a directory ({@code /} at its end, or several sources)
     * @param unpack  ADD: a source file that is a tar archive is unpacked instead of copied
     * @throws InvalidParameterException a destination that is not a directory where one is needed
     */
    void copy(List<Path> sources, String dest, boolean destDir, boolean unpack) {
        try {
            for (Path src : sources) {
                boolean dir = Files.isDirectory(src); // a symlinked source is followed (it was resolved inside its tree)
                if (dir) {
                    Path target = mkdirs(dest);
                    copyChildren(src, dest, target);
                } else if (unpack && isArchive(src)) {
                    mkdirs(dest);
                    unpackArchive(src, dest);
                } else {
                    String to = dest;
                    if (destDir) {
                        mkdirs(dest);
                        to = join(dest, src.getFileName().toString());
                    } else {
                        Path existing = RootfsPaths.resolve(rootfs, dest);
                        if (Files.isDirectory(existing)) {
                            to = join(dest, src.getFileName().toString());
                        }
                    }
                    copyFile(src, to);
                }
            }
        } catch (IOException e) {
            throw new SystemException("copying to " + dest + ": " + e.getMessage(), e);
        }
    }

    /** Makes a container directory and its missing parents (WORKDIR). */
    void mkdirsOnly(String dir) throws IOException {
        mkdirs(dir);
    }

    private static String join(String dir, String name) {
        return dir.endsWith("/") ? dir + name : dir + "/" + name;
    }

    /** Makes a container directory and its parents; returns its host path. */
    private Path mkdirs(String dir) throws IOException {
        Path p = RootfsPaths.resolve(rootfs, dir);
        if (Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
            if (!Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                throw new InvalidParameterException("failed to copy files: mkdir " + dir + ": not a directory");
            }
            return p;
        }
        String parent = parentOf(dir);
        if (parent != null) {
            mkdirs(parent);
        }
        Path q = RootfsPaths.resolve(rootfs, dir); // the parent may be a symlink now resolved
        Files.createDirectory(q);
        Files.setAttribute(q, "unix:mode", 0755, LinkOption.NOFOLLOW_LINKS);
        chown(q);
        return q;
    }

    private static String parentOf(String path) {
        String p = path.endsWith("/") && path.length() > 1 ? path.substring(0, path.length() - 1) : path;
        int slash = p.lastIndexOf('/');
        return slash <= 0 ? null : p.substring(0, slash);
    }

    private void copyChildren(Path srcDir, String destDir, Path destHost) throws IOException {
        try (DirectoryStream<Path> s = Files.newDirectoryStream(srcDir)) {
            List<Path> kids = new ArrayList<>();
            s.forEach(kids::add);
            kids.sort(null);
            for (Path kid : kids) {
                String to = join(destDir, kid.getFileName().toString());
                if (Files.isDirectory(kid, LinkOption.NOFOLLOW_LINKS)) {
                    Path made = RootfsPaths.resolve(rootfs, to);
                    if (!Files.isDirectory(made, LinkOption.NOFOLLOW_LINKS)) {
                        removeIfPresent(made);
                        Files.createDirectory(made);
                    }
                    copyChildren(kid, to, made);
                    Files.setAttribute(made, "unix:mode", Files.getAttribute(kid, "unix:mode"), LinkOption.NOFOLLOW_LINKS);
                    chown(made, kid);
                    Files.setLastModifiedTime(made, Files.getLastModifiedTime(kid));
                } else {
                    copyFile(kid, to);
                }
            }
        }
        if (destHost != null) {
            chown(destHost);
        }
    }

    /** Copies one file or symlink to a container path, replacing whatever is at the final name. */
    private void copyFile(Path src, String to) throws IOException {
        String parent = parentOf(to);
        Path parentHost = parent == null ? rootfs.toAbsolutePath().normalize() : mkdirs(parent);
        String name = to.substring(to.lastIndexOf('/') + 1);
        Path target = parentHost.resolve(name);
        if (Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
            throw new InvalidParameterException("failed to copy files: cannot overwrite directory " + to + " with a file");
        }
        removeIfPresent(target);
        if (Files.isSymbolicLink(src)) {
            Files.createSymbolicLink(target, Files.readSymbolicLink(src));
        } else {
            Files.copy(src, target, StandardCopyOption.REPLACE_EXISTING, LinkOption.NOFOLLOW_LINKS);
            Files.setAttribute(target, "unix:mode", Files.getAttribute(src, "unix:mode"), LinkOption.NOFOLLOW_LINKS);
        }
        chown(target, src);
        if (!Files.isSymbolicLink(target)) {
            FileTime t = Files.getLastModifiedTime(src, LinkOption.NOFOLLOW_LINKS);
            Files.setLastModifiedTime(target, t);
        }
    }

    private static void removeIfPresent(Path p) throws IOException {
        if (Files.exists(p, LinkOption.NOFOLLOW_LINKS) && !Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
            Files.delete(p);
        }
    }

    private void chown(Path p) throws IOException {
        chown(p, null);
    }

    /** Owns {@code p} as {@link #owner}; with no owner (an archive ADD unpacks) as {@code source} is owned. */
    private void chown(Path p, Path source) throws IOException {
        Object uid = owner != null ? (Object) (int) owner.uid()
                : source != null ? Files.getAttribute(source, "unix:uid", LinkOption.NOFOLLOW_LINKS) : 0;
        Object gid = owner != null ? (Object) (int) owner.gid()
                : source != null ? Files.getAttribute(source, "unix:gid", LinkOption.NOFOLLOW_LINKS) : 0;
        Files.setAttribute(p, "unix:uid", uid, LinkOption.NOFOLLOW_LINKS);
        Files.setAttribute(p, "unix:gid", gid, LinkOption.NOFOLLOW_LINKS);
    }

    /** Whether a file starts like a tar archive, plain or compressed (ADD's test: the content, not the name). */
    static boolean isArchive(Path p) throws IOException {
        byte[] head = new byte[512];
        int n;
        try (InputStream in = Files.newInputStream(p)) {
            n = in.readNBytes(head, 0, head.length);
        }
        if (n >= 2 && (head[0] & 0xff) == 0x1f && (head[1] & 0xff) == 0x8b) {
            return true; // gzip
        }
        if (n >= 3 && head[0] == 'B' && head[1] == 'Z' && head[2] == 'h') {
            return true;
        }
        if (n >= 6 && (head[0] & 0xff) == 0xfd && head[1] == '7' && head[2] == 'z' && head[3] == 'X') {
            return true;
        }
        return n >= 262 && new String(head, 257, 5, StandardCharsets.US_ASCII).equals("ustar");
    }

    /** Unpacks the archive into a scratch directory first (the safe unpacker), then copies the tree in. */
    private void unpackArchive(Path archive, String dest) throws IOException {
        Path scratch = Files.createTempDirectory("rabbithole-add-");
        try {
            try (InputStream raw = new BufferedInputStream(Files.newInputStream(archive));
                 InputStream in = new org.apache.commons.compress.compressors.CompressorStreamFactory()
                         .createCompressorInputStream(raw)) {
                new LayerUnpacker(scratch).unpack(in);
            } catch (org.apache.commons.compress.compressors.CompressorException notCompressed) {
                try (InputStream raw = Files.newInputStream(archive)) {
                    new LayerUnpacker(scratch).unpack(raw);
                }
            }
            // the unpacked files keep the archive's owners, as Docker's ADD keeps them (--chown does not apply)
            new FileCopier(rootfs, null).copyChildren(scratch, dest, null);
        } finally {
            FileTrees.deleteRecursively(scratch);
        }
    }
}
