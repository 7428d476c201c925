package dev.rabbithole.stage1.execdriver.lxc;

import dev.rabbithole.stage1.errdefs.SystemException;
import dev.rabbithole.stage1.execdriver.Command;
import dev.rabbithole.stage1.execdriver.EtcFiles;
import dev.rabbithole.stage1.execdriver.Mount;
import dev.rabbithole.stage1.execdriver.RootfsPaths;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A command's mounts ({@code -v}, {@code --mount}, {@code --tmpfs}) as {@code lxc.mount.entry} lines
 * (lxc.container.conf(5): fstab(5) fields, the target relative to the rootfs), and their mount points.
 *
 * <p>LXC mounts a relative target under the rootfs but refuses a path with a symlink in it (it opens each
 * component without following links); its {@code create=dir} however makes a missing mount point with mkdir
 * <em>through</em> such a link first (LXC 5.0.2: an image link {@code /escape -> /srv/outside} and
 * {@code create=dir} made {@code /srv/outside/x} on the host before the mount was refused). So the target is
 * resolved first, inside the rootfs the way the
 * container will see it ({@link RootfsPaths#resolve}: an image's {@code /data -> /host-etc} lands at
 * {@code ROOTFS/host-etc}, never on the host), and the mount point is created on the host side before LXC starts:
 * with {@code --read-only} LXC mounts the rootfs read-only first, and could not create it then.
 */
final class LxcMounts {
    private LxcMounts() { }

    // tag::lxc-mount-entries[]
    /**
     * @param c the command; its mount points must exist ({@link #createMountPoints})
     * @return one {@code lxc.mount.entry} value per mount, in the command's order:
     *         {@code SOURCE TARGET TYPE OPTIONS 0 0}, e.g. {@code /srv/data srv none rbind,ro,rprivate,create=dir 0 0}
     */
    static List<String> entries(Command c) {
        List<String> out = new ArrayList<>();
        for (Mount m : c.mounts()) {
            String target = relativeTarget(c.rootfs(), m.destination());
            boolean bind = "bind".equals(m.type());
            String type = bind ? "none" : m.type();
            // create=: a mount point under an earlier mount of the list (a volume at /src/cache under a bind at
            // /src) must be made in that mount, once it is there, as runc makes it
            String create = bind && Files.isRegularFile(Path.of(m.source())) ? "create=file" : "create=dir";
            out.add(LxcConfig.fstabEscape(m.source()) + " " + LxcConfig.fstabEscape(target) + " " + type + " "
                    + String.join(",", m.options()) + "," + create + " 0 0");
        }
        return out;
    }
    // end::lxc-mount-entries[]

    /**
     * Creates the mount points of the command's mounts inside its rootfs (a directory, or an empty file for a bind
     * of a file), and with {@code --read-only} those LXC needs on the read-only rootfs (/proc, /sys, /dev, the
     * /etc files). Nothing is created outside the rootfs: each path is resolved inside it first.
     *
     * @throws SystemException a mount point cannot be created (a file where a directory is needed)
     */
    static void createMountPoints(Command c) {
        for (Mount m : c.mounts()) {
            boolean file = "bind".equals(m.type()) && Files.isRegularFile(Path.of(m.source()));
            create(c.rootfs(), m.destination(), file);
        }
        if (c.readonlyRootfs()) {
            for (String dir : List.of("/proc", "/sys", "/dev")) {
                create(c.rootfs(), dir, false);
            }
            for (String name : EtcFiles.NAMES) {
                create(c.rootfs(), "/etc/" + name, true);
            }
        }
    }

    /** @return the destination resolved inside the rootfs, relative to it ({@code srv/data}) */
    static String relativeTarget(Path rootfs, String destination) {
        Path root = rootfs.toAbsolutePath().normalize();
        String rel = root.relativize(RootfsPaths.resolve(root, destination)).toString();
        return rel.isEmpty() ? "." : rel;
    }

    private static void create(Path rootfs, String destination, boolean file) {
        Path root = rootfs.toAbsolutePath().normalize();
        Path target = RootfsPaths.resolve(root, destination);
        Path level = root;
        Path rel = root.relativize(target);
        int n = rel.toString().isEmpty() ? 0 : rel.getNameCount();
        try {
            for (int i = 0; i < n; i++) {
                level = level.resolve(rel.getName(i).toString());
                boolean last = i == n - 1;
                if (last && file) {
                    try {
                        Files.createFile(level);
                    } catch (FileAlreadyExistsException e) {
                        // an existing file or directory is the mount point (the kernel checks the kinds match)
                    }
                } else {
                    try {
                        Files.createDirectory(level);
                    } catch (FileAlreadyExistsException e) {
                        if (!Files.isDirectory(level, LinkOption.NOFOLLOW_LINKS)) {
                            if (last) {
                                return;         // a file there: the mount decides (a file bind needs a file)
                            }
                            throw new SystemException("mount point " + destination + ": " + root.relativize(level)
                                    + " exists and is not a directory");
                        }
                    }
                }
            }
        } catch (IOException e) {
            throw new SystemException("creating the mount point " + destination + ": " + e.getMessage(), e);
        }
    }
}
