package dev.rabbithole.stage3.dockerd;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The cgroup parent dockerd names in every container's {@code linux.cgroupsPath} ({@code /PARENT/ID}): the runtime
 * creates it (runc makes it in every v1 hierarchy and, on a hybrid host, in the unified one too) and removes only
 * the container's own cgroup at delete. dockerd removes the parent when it stops and no container is left in it,
 * so a host that ran stage 3 keeps no empty {@code rabbithole} cgroup. A parent that still has a child (a
 * container left running by live restore, or another daemon's) stays: {@code rmdir} of a cgroup with children
 * fails with EBUSY, which is not an error here.
 */
public final class CgroupParents {

    /** Where cgroup hierarchies are mounted (cgroups(7)): one directory per v1 hierarchy, or the v2 root. */
    public static final Path CGROUP_ROOT = Path.of("/sys/fs/cgroup");

    private CgroupParents() {
    }

    /**
     * Removes {@code PARENT} from every hierarchy under {@code root} where it exists and has no child cgroup.
     *
     * @param root   the cgroup mount root, {@link #CGROUP_ROOT} (a test passes its own)
     * @param parent the parent's name relative to each hierarchy, e.g. {@code rabbithole} (a leading or trailing
     *               {@code /} is ignored; {@code ..} or an empty name removes nothing)
     * @return the directories removed
     */
    public static List<Path> removeEmpty(Path root, String parent) {
        List<Path> removed = new ArrayList<>();
        String name = parent == null ? "" : parent.replaceAll("^/+|/+$", "");
        if (name.isEmpty() || name.equals("..") || name.startsWith("../") || name.contains("/../")) {
            return removed;
        }
        List<Path> hierarchies = new ArrayList<>();
        hierarchies.add(root);           // cgroup v2 alone: the parent is right below the root
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(root)) {
            for (Path h : dirs) {
                if (Files.isDirectory(h) && !Files.isSymbolicLink(h)) {
                    hierarchies.add(h); // v1 (cpu, memory, ...) and hybrid's unified; cpu,cpuacct's links skipped
                }
            }
        } catch (IOException e) {
            return removed;
        }
        for (Path h : hierarchies) {
            Path dir = h.resolve(name);
            if (!Files.isDirectory(dir) || Files.isSymbolicLink(dir) || hasChild(dir)) {
                continue;
            }
            try {
                Files.delete(dir); // rmdir(2): a cgroup directory's control files do not count
                removed.add(dir);
            } catch (IOException e) {
                // EBUSY: a container or a process is still in it; another daemon's: not ours to force
            }
        }
        return removed;
    }

    private static boolean hasChild(Path dir) {
        try (DirectoryStream<Path> kids = Files.newDirectoryStream(dir, Files::isDirectory)) {
            return kids.iterator().hasNext();
        } catch (IOException e) {
            return true;
        }
    }
}
