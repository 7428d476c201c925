package dev.rabbithole.stage2.libcontainer.rootfs;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * Resolves a path inside a root directory the way the kernel would after {@code chroot(root)}: component by
 * component, each symlink read and followed <em>relative to the root</em> (an absolute target starts again at
 * the root, {@code ..} stops at the root), so an image cannot point a mount target or an /etc file outside its
 * rootfs with a symlink. The semantics of the {@code filepath-securejoin} package runc uses (SecureJoin), not
 * its code.
 *
 * <p>Safe only while nobody else changes the tree between the resolution and the use: the init resolves
 * before the workload exists, in a rootfs no container runs in yet.
 */
public final class SecureJoin {
    /** As the kernel's limit on symlinks followed in one lookup (MAXSYMLINKS, 40), generous. */
    static final int MAX_SYMLINKS = 255;

    private SecureJoin() { }

    /**
     * The host path of {@code unsafePath} inside {@code root}, symlinks resolved within the root. Components
     * that do not exist are kept as they are (the path may name something to create).
     *
     * @param root       the root directory (trusted, absolute, without symlinks)
     * @param unsafePath a path as the container sees it, e.g. {@code /etc/hostname}; may contain {@code ..}
     * @return a path at or under {@code root} whose existing components are not symlinks
     * @throws UncheckedIOException a symlink cannot be read, or too many symlinks (a loop)
     */
    public static Path resolve(Path root, String unsafePath) {
        Deque<String> todo = new ArrayDeque<>(split(unsafePath));
        List<String> done = new ArrayList<>();
        int links = 0;
        while (!todo.isEmpty()) {
            String part = todo.removeFirst();
            if (part.equals(".")) {
                continue;
            }
            if (part.equals("..")) {
                if (!done.isEmpty()) {
                    done.remove(done.size() - 1);
                }
                continue;
            }
            Path candidate = join(root, done).resolve(part);
            if (!Files.isSymbolicLink(candidate)) {
                done.add(part);
                continue;
            }
            if (++links > MAX_SYMLINKS) {
                throw new UncheckedIOException(new IOException(unsafePath + ": too many levels of symbolic links"));
            }
            String target;
            try {
                target = Files.readSymbolicLink(candidate).toString();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read the symlink " + candidate, e);
            }
            if (target.startsWith("/")) {
                done.clear(); // absolute: from the container's root, not the host's
            }
            List<String> parts = split(target);
            for (int i = parts.size() - 1; i >= 0; i--) {
                todo.addFirst(parts.get(i));
            }
        }
        return join(root, done);
    }

    /**
     * Whether the path's last component, or any component before it, is a symlink inside {@code root} (what
     * {@link #resolve} would follow).
     *
     * @param root       the root directory
     * @param unsafePath a path as the container sees it
     * @return true when {@link #resolve} gives a different path than plain joining
     */
    public static boolean followsSymlink(Path root, String unsafePath) {
        Path plain = root;
        for (String p : split(unsafePath)) {
            plain = plain.resolve(p);
            if (Files.isSymbolicLink(plain)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Resolves {@code unsafePath} in {@code root} and creates the missing directories one by one with mkdir(2)
     * (which never follows a symlink in its last component).
     *
     * @param root       the root directory
     * @param unsafePath the directory as the container sees it
     * @return the resolved host path, an existing directory
     * @throws UncheckedIOException a component exists and is not a directory, or mkdir fails
     */
    public static Path mkdirs(Path root, String unsafePath) {
        Path dir = resolve(root, unsafePath);
        Path level = root;
        for (Path part : root.relativize(dir)) {
            if (part.toString().isEmpty()) {
                continue;
            }
            level = level.resolve(part);
            try {
                Files.createDirectory(level);
            } catch (FileAlreadyExistsException e) {
                if (!Files.isDirectory(level, LinkOption.NOFOLLOW_LINKS)) {
                    throw new UncheckedIOException("mount point " + unsafePath + ": " + root.relativize(level)
                            + " exists and is not a directory", e);
                }
            } catch (IOException e) {
                throw new UncheckedIOException("mount point " + unsafePath, e);
            }
        }
        return dir;
    }

    /**
     * Resolves {@code unsafePath} in {@code root}, creates its parent directories and, when nothing is there,
     * an empty file (O_CREAT|O_EXCL: never through a symlink), as the mount point of a file bind mount.
     *
     * @param root       the root directory
     * @param unsafePath the file as the container sees it
     * @return the resolved host path
     * @throws UncheckedIOException a parent cannot be created or the file cannot be
     */
    public static Path createFile(Path root, String unsafePath) {
        Path file = resolve(root, unsafePath);
        if (file.equals(root)) {
            throw new UncheckedIOException(new IOException("mount point " + unsafePath + " resolves to the root"));
        }
        mkdirs(root, "/" + root.relativize(file.getParent()));
        try {
            Files.createFile(file);
        } catch (FileAlreadyExistsException e) {
            // an existing file (resolve left no symlink in the path) is the mount point
        } catch (IOException e) {
            throw new UncheckedIOException("mount point " + unsafePath, e);
        }
        return file;
    }

    private static List<String> split(String path) {
        List<String> parts = new ArrayList<>();
        for (String p : path.split("/")) {
            if (!p.isEmpty()) {
                parts.add(p);
            }
        }
        return parts;
    }

    private static Path join(Path root, List<String> parts) {
        Path p = root;
        for (String s : parts) {
            p = p.resolve(s);
        }
        return p;
    }
}
