package dev.rabbithole.stage1.execdriver;

import dev.rabbithole.stage1.errdefs.InvalidParameterException;
import dev.rabbithole.stage1.errdefs.SystemException;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Device nodes of the host, as the drivers give them to containers: the nodes behind a {@code --device}
 * ({@link #resolve(DeviceMapping)}, what moby's {@code oci.DevicesFromPath} does) and every device under
 * {@code /dev} for {@code --privileged} ({@link #all(Path)}, what runc's {@code devices.HostDevices} lists).
 * Type, numbers, mode and owner come from stat(2) of the host's node ({@code unix:rdev}, {@code unix:mode}).
 */
public final class HostDevices {
    private HostDevices() { }

    /** Directories of /dev that are not the host's devices (another devpts, shm, ...), skipped by {@link #all}. */
    static final Set<String> SKIPPED_DIRS = Set.of("pts", "shm", "fd", "mqueue", ".lxc", ".lxd-mounts", ".udev");

    private static final int S_IFMT = 0170000;
    private static final int S_IFCHR = 0020000;
    private static final int S_IFBLK = 0060000;
    private static final int S_IFDIR = 0040000;

    /**
     * One device node to create in a container, with the cgroup permission that goes with it.
     *
     * @param pathInContainer absolute path in the container
     * @param type            {@code 'c'} or {@code 'b'}
     * @param major           major number
     * @param minor           minor number
     * @param permissions     {@code r}, {@code w}, {@code m} combined: the devices cgroup rule
     * @param fileMode        permission bits of the host's node, e.g. {@code 0600}
     * @param uid             owner of the host's node
     * @param gid             group of the host's node
     */
    public record Node(String pathInContainer, char type, long major, long minor, String permissions, int fileMode,
                       int uid, int gid) {
        /** @return the rule as cgroup v1 writes it: {@code c 10:229 rwm} */
        public String cgroupRule() {
            return type + " " + major + ":" + minor + " " + permissions;
        }
    }

    /**
     * Checks a mapping as the docker CLI does before it sends it (the daemon gets it from any client).
     *
     * @throws InvalidParameterException no host path, a relative container path ({@code rel is not an absolute
     *                                   path}), permissions other than r, w, m ({@code bad mode specified: rwx})
     */
    public static void validate(DeviceMapping m) {
        if (m == null || m.pathOnHost() == null || m.pathOnHost().isEmpty()) {
            throw new InvalidParameterException("--device (HostConfig.Devices): PathOnHost is empty");
        }
        String inside = inside(m);
        if (!inside.startsWith("/")) {
            throw new InvalidParameterException(inside + " is not an absolute path");
        }
        if (("/" + inside + "/").contains("/../")) {
            throw new InvalidParameterException(inside + " has a .. component");
        }
        String perms = permissions(m);
        if (!perms.matches("[rwm]{1,3}") || perms.chars().distinct().count() != perms.length()) {
            throw new InvalidParameterException("bad mode specified: " + perms);
        }
    }

    private static String inside(DeviceMapping m) {
        return m.pathInContainer() == null || m.pathInContainer().isEmpty() ? m.pathOnHost() : m.pathInContainer();
    }

    private static String permissions(DeviceMapping m) {
        return m.cgroupPermissions() == null || m.cgroupPermissions().isEmpty() ? "rwm" : m.cgroupPermissions();
    }

    // tag::device-mapping[]
    /**
     * The nodes a {@code --device} gives: the host path (a symlink is followed) is a device node, or a
     * directory whose device nodes are all given, each at the same place under the container path.
     *
     * @param m the mapping
     * @return one node or more
     * @throws InvalidParameterException the mapping is invalid ({@link #validate})
     * @throws SystemException Docker's message at start: {@code error gathering device information while adding
     *         custom device "/dev/nope": no such file or directory}, or {@code ...: not a device node}
     */
    public static List<Node> resolve(DeviceMapping m) {
        validate(m);
        String error = "error gathering device information while adding custom device \"" + m.pathOnHost() + "\": ";
        Path host = Path.of(m.pathOnHost());
        try {
            Path real = host.toRealPath();
            Map<String, Object> a = Files.readAttributes(real, "unix:mode,rdev,uid,gid");
            int mode = (Integer) a.get("mode");
            if ((mode & S_IFMT) == S_IFDIR) {
                List<Node> nodes = new ArrayList<>();
                walk(real, inside(m), permissions(m), nodes, false);
                return nodes;
            }
            Node n = node(inside(m), a, permissions(m));
            if (n == null) {
                throw new SystemException(error + "not a device node");
            }
            return List.of(n);
        } catch (NoSuchFileException e) {
            throw new SystemException(error + "no such file or directory");
        } catch (IOException e) {
            throw new SystemException(error + e.getMessage(), e);
        }
    }
    // end::device-mapping[]

    /**
     * Every device node under a host's /dev, for {@code --privileged}: subdirectories included, except
     * {@link #SKIPPED_DIRS}; {@code /dev/console} and symlinks are left out (runc's list).
     *
     * @param dev the host's /dev
     * @return the nodes, at the same paths under {@code /dev} in the container, with {@code rwm}
     * @throws SystemException /dev cannot be read
     */
    public static List<Node> all(Path dev) {
        List<Node> nodes = new ArrayList<>();
        try {
            walk(dev, "/dev", "rwm", nodes, true);
        } catch (IOException e) {
            throw new SystemException("listing the host's devices in " + dev + ": " + e.getMessage(), e);
        }
        return nodes;
    }

    private static void walk(Path dir, String inside, String perms, List<Node> out, boolean hostDev)
            throws IOException {
        List<Path> entries = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            ds.forEach(entries::add);
        }
        entries.sort(null);
        for (Path p : entries) {
            String name = p.getFileName().toString();
            Map<String, Object> a;
            try {
                a = Files.readAttributes(p, "unix:mode,rdev,uid,gid", LinkOption.NOFOLLOW_LINKS);
            } catch (NoSuchFileException e) {
                continue;                                  // went away while listing
            }
            int mode = (Integer) a.get("mode");
            String child = inside.endsWith("/") ? inside + name : inside + "/" + name;
            if ((mode & S_IFMT) == S_IFDIR) {
                if (!(hostDev && SKIPPED_DIRS.contains(name))) {
                    walk(p, child, perms, out, hostDev);
                }
                continue;
            }
            if (hostDev && name.equals("console")) {
                continue;
            }
            Node n = node(child, a, perms);
            if (n != null) {
                out.add(n);
            }
        }
    }

    /** A node from stat attributes, or null when they are not a character or block device's. */
    private static Node node(String inside, Map<String, Object> a, String perms) {
        int mode = (Integer) a.get("mode");
        char type;
        if ((mode & S_IFMT) == S_IFCHR) {
            type = 'c';
        } else if ((mode & S_IFMT) == S_IFBLK) {
            type = 'b';
        } else {
            return null;
        }
        long rdev = (Long) a.get("rdev");
        return new Node(inside, type, major(rdev), minor(rdev), perms, mode & 07777, (Integer) a.get("uid"),
                (Integer) a.get("gid"));
    }

    /** major(3) of glibc's 64-bit dev_t. */
    static long major(long dev) {
        return ((dev >>> 8) & 0xfffL) | ((dev >>> 32) & 0xfffff000L);
    }

    /** minor(3) of glibc's 64-bit dev_t. */
    static long minor(long dev) {
        return (dev & 0xffL) | ((dev >>> 12) & 0xffffff00L);
    }
}
