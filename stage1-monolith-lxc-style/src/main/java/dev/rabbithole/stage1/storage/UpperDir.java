package dev.rabbithole.stage1.storage;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * A container's writable layer read from overlayfs' upperdir: what changed against the image's layers
 * ({@code GET /containers/{id}/changes}, {@code docker diff}) and the layer tar {@code docker commit} stores.
 *
 * <p>The rules follow dockerd 20.10's overlay2 driver (checked against it): an entry of the upperdir is
 * <em>deleted</em> ({@code D}) when it is a whiteout (a 0:0 character device) or an opaque directory
 * ({@code trusted.overlay.opaque=y}), <em>modified</em> ({@code C}) when its path exists in a lower layer, else
 * <em>added</em> ({@code A}); a directory that was only copied up (same mode, size and mtime as below) is no
 * change, but the parent of an added or deleted path always is.
 *
 * <p>Docker keeps the mount points of {@code /etc/hostname}, {@code /etc/hosts}, {@code /etc/resolv.conf} (and its
 * other init-layer paths) in an "init" layer under the writable one, so they never show as changes. Here the
 * runtime creates them in the upperdir; {@link #MOUNT_POINTS} are therefore left out of diff, commit and the
 * count, and a directory that holds nothing else (the copied-up {@code /etc} of an image without those files) is
 * left out with them.
 */
public final class UpperDir {
    private UpperDir() { }

    /** The paths Docker's init layer holds (mount points of the daemon's own files), never part of a change. */
    public static final Set<String> MOUNT_POINTS = Set.of("/etc/hostname", "/etc/hosts", "/etc/resolv.conf",
            "/.dockerenv", "/.dockerinit", "/etc/mtab", "/dev/console", "/dev/pts", "/dev/shm");

    /** A change kind, with the number the Engine API gives it ({@code Kind} of {@code /changes}). */
    public enum Kind {
        /** {@code C}, 0. */ MODIFY("C"),
        /** {@code A}, 1. */ ADD("A"),
        /** {@code D}, 2. */ DELETE("D");

        private final String letter;

        Kind(String letter) { this.letter = letter; }

        /** @return {@code C}, {@code A} or {@code D}, as {@code docker diff} prints it */
        public String letter() { return letter; }
    }

    /**
     * One change.
     *
     * @param path absolute path inside the container, {@code /etc/passwd}
     * @param kind what happened to it
     */
    public record Change(String path, Kind kind) {
        /** @return {@code "A /hello"}, a line of {@code docker diff} */
        @Override
        public String toString() { return kind.letter() + " " + path; }
    }

    // tag::changes[]
    /**
     * The changes of a writable layer, in walk order (each directory before its entries, names sorted).
     *
     * @param upper  the upperdir
     * @param lowers the image's unpacked layers, any order (only existence and directory metadata are read)
     * @return the changes; empty for a container that changed nothing
     * @throws IOException the directories cannot be read
     */
    public static List<Change> changes(Path upper, List<Path> lowers) throws IOException {
        Set<Path> opaque = OverlayDriver.opaqueDirs(upper);
        Set<String> changedDirs = new HashSet<>();
        List<Change> out = new ArrayList<>();
        for (String path : entries(upper)) {
            Path f = upper.resolve(path.substring(1));
            BasicFileAttributes a = lstat(f);
            Kind kind;
            if (isWhiteout(f, a) || (a.isDirectory() && opaque.contains(f))) {
                kind = Kind.DELETE;
            } else {
                kind = Kind.ADD;
                for (Path lower : lowers) {
                    BasicFileAttributes below = lstat(lower.resolve(path.substring(1)));
                    if (below == null) continue;
                    if (below.isDirectory() && a.isDirectory() && sameDir(f, a, lower.resolve(path.substring(1)), below)) {
                        kind = null;                 // only copied up because something below it changed
                    } else {
                        kind = Kind.MODIFY;
                    }
                    break;
                }
                if (kind == null) continue;
            }
            if (a.isDirectory()) changedDirs.add(path);
            if (kind != Kind.MODIFY) {
                String parent = parent(path);
                if (!parent.equals("/") && changedDirs.add(parent)) out.add(new Change(parent, Kind.MODIFY));
            }
            out.add(new Change(path, kind));
        }
        return out;
    }
    // end::changes[]

    /**
     * Writes the writable layer as an image-spec layer tar (image-spec layer.md): the upperdir's entries but the
     * {@link #MOUNT_POINTS}, with overlayfs' whiteouts turned into the spec's: a 0:0 character device {@code NAME}
     * becomes an empty file {@code .wh.NAME}, an opaque directory gets an entry {@code DIR/.wh..wh..opq}.
     *
     * @param upper the upperdir
     * @param out   receives the uncompressed tar; not closed
     * @throws IOException the upperdir cannot be read or {@code out} written
     */
    public static void writeLayer(Path upper, OutputStream out) throws IOException {
        TreeTar.write(upper, entries(upper), OverlayDriver.opaqueDirs(upper), true, out);
    }

    /**
     * The upperdir's paths that belong to the layer, sorted in walk order: all but the {@link #MOUNT_POINTS} and
     * directories that hold only mount points.
     */
    static List<String> entries(Path upper) throws IOException {
        List<String> out = new ArrayList<>();
        walk(upper, "", out);
        return out;
    }

    /** Adds {@code dir}'s kept entries to {@code out}; returns true when {@code dir} held a mount point and nothing else. */
    private static boolean walk(Path dir, String prefix, List<String> out) throws IOException {
        TreeSet<String> names = new TreeSet<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
            for (Path p : s) names.add(p.getFileName().toString());
        }
        boolean onlyMountPoints = !names.isEmpty();
        for (String name : names) {
            String path = prefix + "/" + name;
            Path f = dir.resolve(name);
            BasicFileAttributes a = lstat(f);
            if (a == null) continue;
            if (MOUNT_POINTS.contains(path) && (a.isDirectory() || (a.isRegularFile() && a.size() == 0))) continue;
            int mark = out.size();
            out.add(path);
            if (a.isDirectory()) {
                if (walk(f, path, out)) {
                    out.subList(mark, out.size()).clear();
                    continue;
                }
            }
            onlyMountPoints = false;
        }
        return onlyMountPoints;
    }

    static boolean isWhiteout(Path f, BasicFileAttributes a) throws IOException {
        if (!a.isOther()) return false;
        int mode = (Integer) Files.getAttribute(f, "unix:mode", LinkOption.NOFOLLOW_LINKS);
        return (mode & 0170000) == 0020000 && (Long) Files.getAttribute(f, "unix:rdev", LinkOption.NOFOLLOW_LINKS) == 0L;
    }

    private static boolean sameDir(Path f, BasicFileAttributes a, Path g, BasicFileAttributes b) throws IOException {
        return a.size() == b.size()
                && Files.getAttribute(f, "unix:mode", LinkOption.NOFOLLOW_LINKS).equals(Files.getAttribute(g, "unix:mode", LinkOption.NOFOLLOW_LINKS))
                && sameTime(a.lastModifiedTime(), b.lastModifiedTime());
    }

    /** Docker's sameFsTime: equal, or equal seconds when one side has no sub-second part. */
    private static boolean sameTime(FileTime x, FileTime y) {
        if (x.equals(y)) return true;
        java.time.Instant i = x.toInstant(), j = y.toInstant();
        return i.getEpochSecond() == j.getEpochSecond() && (i.getNano() == 0 || j.getNano() == 0);
    }

    private static String parent(String path) {
        int slash = path.lastIndexOf('/');
        return slash <= 0 ? "/" : path.substring(0, slash);
    }

    static BasicFileAttributes lstat(Path p) throws IOException {
        try {
            return Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return null;
        }
    }
}
