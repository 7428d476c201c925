package dev.rabbithole.stage1.image;

import dev.rabbithole.stage1.errdefs.InvalidParameterException;
import dev.rabbithole.stage1.errdefs.SystemException;
import dev.rabbithole.stage1.storage.FileTrees;
import dev.rabbithole.stage1.storage.HostCommands;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * Unpacks one layer (an uncompressed tar, image-spec layer.md) into an empty directory so that the
 * directory can serve as an overlayfs lower layer.
 *
 * <p>Whiteouts are converted to overlayfs form (kernel Documentation/filesystems/overlayfs.rst):
 * {@code .wh.NAME} becomes a character device 0:0 named {@code NAME}, and {@code .wh..wh..opq} sets
 * {@code trusted.overlay.opaque=y} on its directory. Both need root ({@code mknod}, trusted xattrs); the
 * xattr is set with {@code setfattr} from Debian's {@code attr} package.
 *
 * <p>A layer is untrusted input. Every entry name is normalized lexically ({@code ..} is resolved
 * without asking the file system, a leading {@code /} is dropped) and refused if it leaves the target;
 * the same goes for hard-link targets. Every parent directory of an entry must be a real directory, not
 * a symlink, so a symlink in the layer ({@code etc -> /}) can never be followed by a later entry
 * ({@code etc/passwd}). Symlinks themselves may point anywhere: they are resolved inside the container.
 * Files are created with {@code O_CREAT|O_EXCL|O_NOFOLLOW}. The caller unpacks into a fresh temporary
 * directory and deletes it when this class throws, so a refused layer leaves nothing behind.
 *
 * <p>Modes (including setuid and sticky bits), owners (when root), modification times, symlinks, hard
 * links, directories, FIFOs and device nodes (when root; skipped with a warning otherwise) are kept.
 * Extended attributes carried in PAX headers (e.g. file capabilities) are not.
 */
public final class LayerUnpacker {
    private static final System.Logger LOG = System.getLogger(LayerUnpacker.class.getName());

    /** The whiteout prefix of the image-spec (layer.md, "Whiteouts"). */
    public static final String WHITEOUT_PREFIX = ".wh.";
    /** The opaque-directory marker of the image-spec. */
    public static final String WHITEOUT_OPAQUE = ".wh..wh..opq";

    private final Path target;
    private final boolean root;
    private final List<Runnable> directoryFixups = new ArrayList<>();

    /**
     * @param target an existing, empty directory that receives the layer's files
     */
    public LayerUnpacker(Path target) {
        this.target = target.toAbsolutePath();
        this.root = HostCommands.isRoot();
    }

    /**
     * Unpacks the tar read from {@code tar} (not closed; the caller may keep reading it to hash the rest).
     *
     * @throws InvalidParameterException the tar is malformed, or an entry tries to escape the target
     *                                   (the message names the entry)
     * @throws SystemException           the host failed: I/O, or a whiteout without root or {@code setfattr}
     */
    public void unpack(InputStream tar) {
        TarArchiveInputStream in = new TarArchiveInputStream(tar);
        TarArchiveEntry e;
        while ((e = next(in)) != null) {
            try {
                unpackEntry(in, e);
            } catch (InvalidPathException ex) {
                throw refuse(e.getName(), "not a valid file name");
            } catch (IOException ex) {
                throw new SystemException("cannot unpack layer entry \"" + e.getName() + "\": " + ex.getMessage(), ex);
            }
        }
        // directories last and deepest first: writing into a directory changes its mtime, and a
        // read-only directory (0555) must stay writable until its contents are in
        for (int i = directoryFixups.size() - 1; i >= 0; i--) directoryFixups.get(i).run();
    }

    private static TarArchiveEntry next(TarArchiveInputStream in) {
        try {
            return in.getNextEntry();
        } catch (IOException | IllegalArgumentException e) {
            throw new InvalidParameterException("layer is not a valid tar archive: " + e.getMessage(), e);
        }
    }

    private void unpackEntry(TarArchiveInputStream in, TarArchiveEntry e) throws IOException {
        String name = e.getName();
        List<String> parts = relativeComponents(name, name);
        if (parts.isEmpty()) {                       // "./": the layer's root directory itself
            if (e.isDirectory()) directoryFixups.add(() -> applyMetadata(target, e, name));
            return;
        }
        String base = parts.get(parts.size() - 1);
        List<String> parents = parts.subList(0, parts.size() - 1);

        // tag::whiteout[]
        if (base.equals(WHITEOUT_OPAQUE)) {
            // the directory hides everything the layers below have in it: overlayfs reads this xattr
            Path dir = realParent(name, parents, true);
            setOpaque(name, dir);
            return;
        }
        if (base.startsWith(WHITEOUT_PREFIX + WHITEOUT_PREFIX)) {
            return;                                  // aufs bookkeeping (.wh..wh.plnk, .wh..wh.aufs): no meaning here
        }
        if (base.startsWith(WHITEOUT_PREFIX)) {
            // ".wh.NAME" deletes NAME from the layers below: overlayfs spells that as a 0:0 character device
            String hidden = base.substring(WHITEOUT_PREFIX.length());
            if (hidden.isEmpty() || hidden.equals(".") || hidden.equals("..")) {
                throw refuse(name, "whiteout for an invalid name");
            }
            Path dir = realParent(name, parents, true);
            Path whiteout = dir.resolve(hidden);
            removeExisting(whiteout);
            mknod(name, whiteout, "c", 0, 0, 0);
            return;
        }
        // end::whiteout[]

        Path dir = realParent(name, parents, true);
        Path path = dir.resolve(base);
        if (e.isDirectory()) {
            BasicFileAttributes existing = attributes(path);
            if (existing == null || !existing.isDirectory()) {   // a symlink or file of that name is replaced
                removeExisting(path);
                Files.createDirectory(path);
            }
            directoryFixups.add(() -> applyMetadata(path, e, name));
        } else if (e.isSymbolicLink()) {
            removeExisting(path);
            Files.createSymbolicLink(path, Paths.get(e.getLinkName()));
            applyMetadata(path, e, name);
        } else if (e.isLink()) {
            Path existing = hardLinkTarget(name, e.getLinkName());
            removeExisting(path);
            Files.createLink(path, existing);            // link(2): does not follow a symlink target
        } else if (e.isCharacterDevice() || e.isBlockDevice()) {
            if (!root) {
                LOG.log(System.Logger.Level.WARNING, "skipping device node {0} in layer: creating it needs root", name);
                return;
            }
            removeExisting(path);
            mknod(name, path, e.isCharacterDevice() ? "c" : "b", e.getDevMajor(), e.getDevMinor(), e.getMode() & 07777);
            applyMetadata(path, e, name);
        } else if (e.isFIFO()) {
            removeExisting(path);
            mknod(name, path, "p", 0, 0, e.getMode() & 07777);
            applyMetadata(path, e, name);
        } else if (e.isFile()) {
            removeExisting(path);
            writeFile(in, path, name);
            applyMetadata(path, e, name);
        } else {
            LOG.log(System.Logger.Level.DEBUG, "skipping tar entry {0} of type {1}", name, (char) e.getLinkFlag());
        }
    }

    // tag::safe-path[]
    /**
     * Normalizes a tar name lexically: empty and {@code .} components are dropped (so {@code /abs} becomes
     * {@code abs}), {@code ..} removes the previous component, and a {@code ..} with nothing left to
     * remove is refused: the name would leave the layer directory. The file system is never asked, so no
     * symlink can take part in the resolution. Also used by {@code docker cp}'s extraction
     * ({@code dev.rabbithole.stage1.archive.RootfsArchive}).
     *
     * @param entry the entry's name, for the error message
     * @param name  the name to normalize (the entry's, or a hard link's target)
     * @return the components, none empty, {@code .} or {@code ..}; empty for the directory itself
     * @throws InvalidParameterException the name leaves the directory
     */
    public static List<String> relativeComponents(String entry, String name) {
        Deque<String> parts = new ArrayDeque<>();
        for (String c : name.split("/")) {
            if (c.isEmpty() || c.equals(".")) continue;
            if (c.equals("..")) {
                if (parts.isEmpty()) throw refuse(entry, "path escapes the layer directory");
                parts.removeLast();
            } else {
                parts.addLast(c);
            }
        }
        return new ArrayList<>(parts);
    }

    /**
     * Walks from the target down through {@code parents}, one component at a time, without following
     * symlinks: each must be a real directory (missing ones are created when {@code create}), so a
     * symlink planted by an earlier entry ({@code etc -> /}, {@code x -> ../../..}) cannot redirect a
     * later write out of the layer.
     */
    private Path realParent(String entry, List<String> parents, boolean create) throws IOException {
        Path dir = target;
        for (String c : parents) {
            dir = dir.resolve(c);
            BasicFileAttributes a = attributes(dir);
            if (a == null && create) {
                Files.createDirectory(dir);
            } else if (a == null) {
                throw refuse(entry, "parent " + target.relativize(dir) + " does not exist");
            } else if (a.isSymbolicLink()) {
                throw refuse(entry, "parent " + target.relativize(dir) + " is a symlink; writing through it could leave the layer");
            } else if (!a.isDirectory()) {
                throw refuse(entry, "parent " + target.relativize(dir) + " is not a directory");
            }
        }
        return dir;
    }

    /** A hard link's target is a path inside the layer (not relative to the link) and must already be there. */
    private Path hardLinkTarget(String entry, String linkName) throws IOException {
        List<String> parts = relativeComponents(entry, linkName);
        if (parts.isEmpty()) throw refuse(entry, "hard link to the layer directory itself");
        String missing = "hard link target " + linkName + " is outside the layer or missing"
                + " (a hard link must name a file an earlier entry of the same layer created)";
        Path dir = target;
        for (String c : parts.subList(0, parts.size() - 1)) {
            dir = dir.resolve(c);
            BasicFileAttributes p = attributes(dir);
            if (p != null && p.isSymbolicLink()) {
                throw refuse(entry, "hard link target " + linkName + " goes through the symlink "
                        + target.relativize(dir) + ", which is never followed");
            }
            if (p == null || !p.isDirectory()) throw refuse(entry, missing);
        }
        Path existing = dir.resolve(parts.get(parts.size() - 1));
        BasicFileAttributes a = attributes(existing);
        if (a == null) throw refuse(entry, missing);
        if (a.isDirectory()) throw refuse(entry, "hard link to a directory");
        return existing;
    }

    /** Regular files: O_CREAT|O_EXCL|O_NOFOLLOW, so neither an existing file nor a symlink is written through. */
    private static void writeFile(InputStream in, Path path, String entry) throws IOException {
        try (OutputStream out = Files.newOutputStream(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                LinkOption.NOFOLLOW_LINKS)) {
            byte[] buf = new byte[64 * 1024];
            while (true) {
                int n;
                try {
                    n = in.read(buf);
                } catch (IOException e) {
                    throw new InvalidParameterException("layer entry \"" + entry + "\" is truncated: " + e.getMessage(), e);
                }
                if (n < 0) break;
                out.write(buf, 0, n);
            }
        } catch (FileAlreadyExistsException e) {
            throw refuse(entry, "file exists after removal (concurrent writer?)");
        }
    }
    // end::safe-path[]

    /** Deletes whatever {@code path} is (a symlink itself, never its target); missing is fine. */
    private static void removeExisting(Path path) throws IOException {
        BasicFileAttributes a = attributes(path);
        if (a == null) return;
        if (a.isDirectory()) FileTrees.deleteRecursively(path);
        else Files.delete(path);
    }

    private static BasicFileAttributes attributes(Path p) throws IOException {
        try {
            return Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    private void mknod(String entry, Path path, String type, int major, int minor, int mode) {
        if (!root && !type.equals("p")) {
            throw new SystemException("layer entry \"" + entry + "\" is a whiteout or device: mknod needs root");
        }
        List<String> argv = new ArrayList<>(List.of("mknod", "-m", Integer.toOctalString(mode), path.toString(), type));
        if (!type.equals("p")) { argv.add(Integer.toString(major)); argv.add(Integer.toString(minor)); }
        HostCommands.Result r = HostCommands.run(argv, null);
        if (!r.ok()) throw new SystemException("mknod for layer entry \"" + entry + "\" failed: " + r.stderr());
    }

    private void setOpaque(String entry, Path dir) {
        if (!root) throw new SystemException("layer entry \"" + entry + "\" is an opaque whiteout: trusted.* xattrs need root");
        Path setfattr = HostCommands.which("setfattr").orElseThrow(() -> new SystemException(
                "setfattr not found, needed for opaque whiteouts: apt-get install attr"));
        HostCommands.Result r = HostCommands.run(List.of(setfattr.toString(), "-h", "-n", "trusted.overlay.opaque",
                "-v", "y", dir.toString()), null);
        if (!r.ok()) throw new SystemException("setfattr for layer entry \"" + entry + "\" failed: " + r.stderr());
    }

    /** Owner (when root), mode, mtime, without following a symlink and without opening special files. */
    private void applyMetadata(Path path, TarArchiveEntry e, String entry) {
        try {
            BasicFileAttributes a = attributes(path);
            if (a == null) return;
            if (root) {                              // lchown(2); chown clears setuid bits, so before chmod
                Files.setAttribute(path, "unix:uid", (int) e.getLongUserId(), LinkOption.NOFOLLOW_LINKS);
                Files.setAttribute(path, "unix:gid", (int) e.getLongGroupId(), LinkOption.NOFOLLOW_LINKS);
            }
            if (a.isOther()) return;                 // devices and FIFOs: mode set by mknod; opening them would block
            if (!a.isSymbolicLink()) {
                Files.setAttribute(path, "unix:mode", e.getMode() & 07777, LinkOption.NOFOLLOW_LINKS);
            }
            Files.getFileAttributeView(path, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                    .setTimes(e.getLastModifiedTime(), null, null);
        } catch (IOException ex) {
            throw new SystemException("cannot set metadata of layer entry \"" + entry + "\": " + ex.getMessage(), ex);
        }
    }

    private static InvalidParameterException refuse(String entry, String why) {
        return new InvalidParameterException("refusing layer entry \"" + entry + "\": " + why);
    }
}
