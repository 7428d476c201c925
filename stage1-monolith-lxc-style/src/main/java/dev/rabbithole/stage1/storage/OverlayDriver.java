package dev.rabbithole.stage1.storage;

import dev.rabbithole.stage1.errdefs.InvalidParameterException;
import dev.rabbithole.stage1.errdefs.SystemException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The overlayfs storage driver (Docker's {@code overlay2}, kernel Documentation/filesystems/overlayfs.rst).
 * Per container:
 *
 * <pre>
 * ROOT/ID/diff     upperdir: the container's writable layer
 * ROOT/ID/work     workdir: overlayfs' scratch space, same file system as diff
 * ROOT/ID/merged   the mounted rootfs (what lxc.rootfs.path points at)
 * ROOT/ID/lower    an empty lowerdir, for images without layers
 * </pre>
 *
 * Stage 1 shells out to {@code mount(8)} and {@code umount(8)}, as the 2013 engines did. Where overlayfs
 * cannot be mounted (e.g. the data root is itself on overlayfs) the driver falls back to {@code vfs}:
 * the layers are copied into {@code merged}, lowest first, applying whiteouts, and it says so in the log;
 * {@code ROOT/ID/vfs} marks such a container.
 */
public class OverlayDriver implements StorageDriver {
    private static final System.Logger LOG = System.getLogger(OverlayDriver.class.getName());
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,127}");
    private static final String VFS_MARKER = "vfs";

    private final Path root;
    private final boolean tryOverlay;
    private volatile boolean usedVfs;

    /** @param root the driver's directory, {@code DATA_ROOT/overlay2} (created if missing) */
    public OverlayDriver(Path root) {
        this(root, true);
    }

    /**
     * @param root       the driver's directory (created if missing)
     * @param tryOverlay false to always use the {@code vfs} copy (tests, hosts without overlayfs)
     */
    public OverlayDriver(Path root, boolean tryOverlay) {
        this.root = root.toAbsolutePath();
        this.tryOverlay = tryOverlay;
        this.usedVfs = !tryOverlay;
        try {
            Files.createDirectories(this.root);
        } catch (IOException e) {
            throw new SystemException("cannot create " + this.root + ": " + e.getMessage(), e);
        }
    }

    /** @return {@code overlay2}, or {@code vfs} once a rootfs had to be copied instead of mounted */
    @Override
    public String name() {
        return usedVfs ? "vfs" : "overlay2";
    }

    /**
     * {@inheritDoc}
     *
     * <p>Idempotent: a rootfs that is already mounted (or copied) is returned as is.
     *
     * @throws InvalidParameterException an ID that is not a plain file name
     */
    @Override
    public synchronized Path mount(String containerId, List<Path> layers) {
        Path dir = containerDir(containerId);
        Path diff = dir.resolve("diff"), work = dir.resolve("work"), merged = dir.resolve("merged");
        try {
            Files.createDirectories(diff);
            Files.createDirectories(work);
            Files.createDirectories(merged);
            if (isMounted(merged) || Files.exists(dir.resolve(VFS_MARKER))) return merged;
            if (tryOverlay) {
                List<Path> lowers = new ArrayList<>(layers);
                if (lowers.isEmpty()) {
                    lowers.add(dir.resolve("lower"));
                    Files.createDirectories(lowers.get(0));
                }
                String failure = mountOverlay(lowers, diff, work, merged);
                if (failure == null) return merged;
                LOG.log(System.Logger.Level.WARNING,
                        "overlayfs mount for {0} failed ({1}); falling back to vfs, a plain copy of the layers",
                        containerId, failure);
            }
            usedVfs = true;
            copyLayers(layers, merged);
            Files.createFile(dir.resolve(VFS_MARKER));
            return merged;
        } catch (IOException e) {
            throw new SystemException("cannot prepare the rootfs of " + containerId + ": " + e.getMessage(), e);
        }
    }

    /**
     * Mounts the overlay; returns null on success, else why it failed.
     * All layers normally live in one directory, so the mount runs there with relative lowerdir names,
     * as Docker does, keeping the option string under the kernel's one-page limit for deep images.
     */
    private static String mountOverlay(List<Path> layers, Path diff, Path work, Path merged) {
        // tag::overlay-mount[]
        List<Path> lowers = new ArrayList<>(layers);
        Collections.reverse(lowers);                  // overlayfs: the leftmost lowerdir is the top layer
        Path common = lowers.get(0).getParent();
        boolean relative = lowers.stream().allMatch(p -> p.getParent() != null && p.getParent().equals(common));
        List<String> names = new ArrayList<>();
        for (Path p : lowers) names.add(relative ? p.getFileName().toString() : p.toString());
        String options = "lowerdir=" + String.join(":", names) + ",upperdir=" + diff + ",workdir=" + work;
        if (options.contains(",,") || names.stream().anyMatch(n -> n.contains(":") || n.contains(","))) {
            return "a layer path contains ':' or ','";
        }
        HostCommands.Result r = HostCommands.run(
                List.of("mount", "-t", "overlay", "overlay", "-o", options, merged.toString()),
                relative ? common : null);
        // end::overlay-mount[]
        return r.ok() ? null : "mount exited " + r.exitCode() + ": " + r.stderr();
    }

    /** {@inheritDoc} @throws SystemException {@code umount} failed (e.g. busy) */
    @Override
    public synchronized void unmount(String containerId) {
        Path merged = containerDir(containerId).resolve("merged");
        if (!isMounted(merged)) return;               // not mounted is success: unmount is idempotent
        HostCommands.Result r = HostCommands.run("umount", merged.toString());
        if (!r.ok() && isMounted(merged)) {
            throw new SystemException("umount " + merged + " failed: " + r.stderr());
        }
    }

    /** {@inheritDoc} @throws SystemException the rootfs cannot be unmounted or deleted */
    @Override
    public synchronized void remove(String containerId) {
        Path dir = containerDir(containerId);
        unmount(containerId);
        if (isMounted(dir.resolve("merged"))) {       // never delete through a mount
            throw new SystemException("rootfs of " + containerId + " is still mounted");
        }
        try {
            FileTrees.deleteRecursively(dir);         // already gone is success
        } catch (IOException e) {
            throw new SystemException("cannot delete the rootfs of " + containerId + ": " + e.getMessage(), e);
        }
    }

    /**
     * The containers that have a directory here, mounted or not, so the daemon can remove those it no
     * longer knows.
     *
     * @return container IDs, sorted
     * @throws SystemException the root cannot be listed
     */
    public synchronized List<String> containerIds() {
        List<String> ids = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(root)) {
            for (Path p : s) {
                String n = p.getFileName().toString();
                if (ID.matcher(n).matches() && Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) ids.add(n);
            }
        } catch (IOException e) {
            throw new SystemException("cannot list " + root + ": " + e.getMessage(), e);
        }
        Collections.sort(ids);
        return ids;
    }

    /**
     * {@inheritDoc}
     *
     * <p>{@code ROOT/ID/diff}, unless the container's rootfs is a {@code vfs} copy (then there is no upperdir).
     */
    @Override
    public java.util.Optional<Path> upperDir(String containerId) {
        Path dir = containerDir(containerId);
        if (Files.exists(dir.resolve(VFS_MARKER)) || !Files.isDirectory(dir.resolve("diff"))) return java.util.Optional.empty();
        return java.util.Optional.of(dir.resolve("diff"));
    }

    /** @return true when {@code containerId}'s rootfs is mounted (per {@code /proc/self/mountinfo}) */
    public boolean isMounted(String containerId) {
        return isMounted(containerDir(containerId).resolve("merged"));
    }

    private Path containerDir(String containerId) {
        if (containerId == null || !ID.matcher(containerId).matches()) {
            throw new InvalidParameterException("invalid container ID for the storage driver: " + containerId);
        }
        return root.resolve(containerId);
    }

    /** Field 5 of {@code /proc/self/mountinfo} (proc(5)) is the mount point, with spaces as {@code \040}. */
    static boolean isMounted(Path path) {
        Path real;
        try {
            real = path.toRealPath();
        } catch (IOException e) {
            return false;
        }
        try {
            for (String line : Files.readAllLines(Paths.get("/proc/self/mountinfo"), StandardCharsets.UTF_8)) {
                String[] f = line.split(" ");
                if (f.length > 4 && unescape(f[4]).equals(real.toString())) return true;
            }
            return false;
        } catch (IOException e) {
            throw new SystemException("cannot read /proc/self/mountinfo: " + e.getMessage(), e);
        }
    }

    private static String unescape(String s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 3 < s.length()) {
                try {
                    b.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
                    i += 3;
                    continue;
                } catch (NumberFormatException ignored) {
                    // not an escape
                }
            }
            b.append(c);
        }
        return b.toString();
    }

    // --- vfs ----------------------------------------------------------------------------------

    /**
     * vfs: copies each layer over the previous ones with {@code cp -a}, after applying its whiteouts the
     * way overlayfs would have: a 0:0 character device deletes that name, an opaque directory
     * ({@code trusted.overlay.opaque=y}, read with {@code getfattr}) empties the directory first.
     */
    private static void copyLayers(List<Path> layers, Path merged) throws IOException {
        for (Path layer : layers) {
            Set<Path> opaque = opaqueDirs(layer);
            List<Path> whiteouts = new ArrayList<>();
            Files.walkFileTree(layer, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes a) throws IOException {
                    Path t = merged.resolve(layer.relativize(d).toString());
                    BasicFileAttributes ta = attrs(t);
                    if (ta != null && !ta.isDirectory()) Files.delete(t);
                    else if (ta != null && opaque.contains(d) && !d.equals(layer)) {
                        FileTrees.deleteRecursively(t);
                    }
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path f, BasicFileAttributes a) throws IOException {
                    Path t = merged.resolve(layer.relativize(f).toString());
                    boolean whiteout = a.isOther() && ((Integer) Files.getAttribute(f, "unix:mode", LinkOption.NOFOLLOW_LINKS)
                            & 0170000) == 0020000 && ((Long) Files.getAttribute(f, "unix:rdev", LinkOption.NOFOLLOW_LINKS)) == 0L;
                    BasicFileAttributes ta = attrs(t);
                    if (whiteout) {
                        whiteouts.add(t);
                        FileTrees.deleteRecursively(t);
                    } else if (ta != null && ta.isDirectory()) {
                        FileTrees.deleteRecursively(t);
                    }
                    return FileVisitResult.CONTINUE;
                }
            });
            HostCommands.Result r = HostCommands.run("cp", "-a", "--no-dereference", layer + "/.", merged + "/");
            if (!r.ok()) throw new IOException("cp -a " + layer + " failed: " + r.stderr());
            for (Path w : whiteouts) Files.deleteIfExists(w);   // cp brought the whiteout devices along
        }
    }

    private static BasicFileAttributes attrs(Path p) throws IOException {
        try {
            return Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (java.nio.file.NoSuchFileException e) {
            return null;
        }
    }

    /** Directories of {@code layer} marked opaque, via one {@code getfattr -R} (from Debian's {@code attr}). */
    static Set<Path> opaqueDirs(Path layer) {
        Set<Path> dirs = new HashSet<>();
        if (HostCommands.which("getfattr").isEmpty()) {
            LOG.log(System.Logger.Level.WARNING, "getfattr not found (apt-get install attr): opaque whiteouts in {0} are ignored", layer);
            return dirs;
        }
        HostCommands.Result r = HostCommands.run("getfattr", "-R", "-P", "-h", "--absolute-names",
                "-n", "trusted.overlay.opaque", layer.toString());
        String file = null;
        for (String line : r.stdout().split("\n")) {
            if (line.startsWith("# file: ")) file = unescape(line.substring("# file: ".length()));
            else if (file != null && line.startsWith("trusted.overlay.opaque=\"y\"")) dirs.add(Paths.get(file));
        }
        return dirs;
    }
}
