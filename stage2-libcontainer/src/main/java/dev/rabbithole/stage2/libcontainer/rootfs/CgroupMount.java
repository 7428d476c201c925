package dev.rabbithole.stage2.libcontainer.rootfs;

import dev.rabbithole.stage2.libcontainer.cgroups.Mountinfo;
import dev.rabbithole.stage2.libcontainer.cgroups.V1Manager;
import dev.rabbithole.stage2.libcontainer.cgroups.V2Manager;
import dev.rabbithole.stage2.libcontainer.configs.Cgroup;
import dev.rabbithole.stage2.libcontainer.configs.Mount;
import dev.rabbithole.stage2.libcontainer.system.Syscalls;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

import static dev.rabbithole.stage2.libcontainer.system.MountFlags.MS_BIND;
import static dev.rabbithole.stage2.libcontainer.system.MountFlags.MS_NODEV;
import static dev.rabbithole.stage2.libcontainer.system.MountFlags.MS_NOEXEC;
import static dev.rabbithole.stage2.libcontainer.system.MountFlags.MS_NOSUID;
import static dev.rabbithole.stage2.libcontainer.system.MountFlags.MS_REC;
import static dev.rabbithole.stage2.libcontainer.system.MountFlags.MS_REMOUNT;

/**
 * A mount of type {@code cgroup} (runtime-spec config.md, Mounts; Docker puts one at {@code /sys/fs/cgroup} with
 * {@code ro,nosuid,noexec,nodev}, without {@code ro} when privileged): the container's own cgroups, each at the
 * root of its hierarchy, so that the workload reads its own limits ({@code memory/memory.limit_in_bytes} on
 * cgroup v1, {@code memory.max} on v2). What runc's {@code mountCgroupV1} and {@code mountCgroupV2} in
 * {@code libcontainer/rootfs_linux.go} make:
 *
 * <ul>
 * <li>cgroup v1 (any v1 hierarchy with the memory, cpu or pids controller, as {@code Cgroups.detect} decides;
 *     a hybrid host's cgroup2 mount is left out, as Docker does): a tmpfs ({@code nosuid,nodev,noexec},
 *     {@code mode=755}, its root then given the mode of the directory it covers, 0555 in sysfs), and in it one
 *     directory per v1 hierarchy of the host, named as the host's mount point ({@code memory},
 *     {@code cpu,cpuacct}, {@code systemd}), onto which the container's cgroup directory of that hierarchy is
 *     bound with the mount's flags; a symlink per controller of a co-mounted hierarchy
 *     ({@code cpu -> cpu,cpuacct});</li>
 * <li>cgroup v2: the container's cgroup directory of the unified hierarchy, bound with the mount's flags.</li>
 * </ul>
 *
 * <p>Bound, not mounted anew: a bind of the container's own directory shows the same files at the same root
 * whether or not the init's cgroup namespace was made after its cgroup placement (a fresh cgroupfs mount shows
 * the namespace's root, which is the container's cgroup only then), and the workload's {@code /proc/self/mountinfo}
 * shows the same root ({@code /} in its own cgroup namespace). A hierarchy in which the container has no
 * directory (one the cgroup driver does not join) is left out, so nothing above the container's cgroup is ever
 * shown. Read-only binds cannot be remounted or unmounted without CAP_SYS_ADMIN, which a default container lacks.
 *
 * <p>Runs in the init, in its new mount namespace, before pivot_root: the host's hierarchies are read from the
 * init's {@code /proc/self/mountinfo} (the copy of the host's mounts it was born with) and bound from there.
 */
public final class CgroupMount {
    /** The mount type that selects this mount (runtime-spec "type": "cgroup"). */
    public static final String TYPE = "cgroup";

    private final Syscalls sys;
    private final String mountinfo;
    private final Path hostRoot;

    /**
     * Reads the host's cgroup mounts from {@code /proc/self/mountinfo}.
     *
     * @param sys every mount, chmod and symlink goes through it
     * @throws UncheckedIOException when mountinfo cannot be read
     */
    public CgroupMount(Syscalls sys) {
        this(sys, readMountinfo(), Path.of("/"));
    }

    /**
     * @param sys       every mount, chmod and symlink goes through it
     * @param mountinfo the text of the init's {@code /proc/self/mountinfo}
     * @param hostRoot  prefix of the mount points in it ({@code /}; a temporary directory with a fake cgroupfs
     *                  in tests)
     */
    public CgroupMount(Syscalls sys, String mountinfo, Path hostRoot) {
        this.sys = sys;
        this.mountinfo = mountinfo;
        this.hostRoot = hostRoot;
    }

    /**
     * Makes the mount.
     *
     * @param rootfs the container's rootfs (host path, before the pivot)
     * @param m      the mount: its destination (normally {@code /sys/fs/cgroup}) and options ({@code ro},
     *               {@code nosuid}, {@code nodev}, {@code noexec})
     * @param cgroup the container's cgroup path below each hierarchy's root ({@link Cgroup#path()},
     *               {@code rabbithole/<id>}); null, empty or not a plain relative path: only the v1 tmpfs (or
     *               nothing on v2), no container cgroup to show
     * @throws dev.rabbithole.stage2.libcontainer.system.SyscallException when a kernel call fails
     * @throws UncheckedIOException when a mount point cannot be created
     */
    public void mount(Path rootfs, Mount m, String cgroup) {
        MountOptions o = MountOptions.parse(m.options());
        long flags = (o.flags() & ~(MS_BIND | MS_REC)) | MS_NOSUID | MS_NODEV | MS_NOEXEC;
        String path = relative(cgroup);
        Path normal = Path.of(path).normalize();
        if (path.isEmpty() || normal.startsWith("..") || !normal.toString().equals(path)) {
            path = null;      // no cgroup of its own (or not a plain path below the roots): show none
        }
        Map<String, Path> v1 = V1Manager.hierarchies(hostRoot, mountinfo);
        boolean isV1 = v1.containsKey("memory") || v1.containsKey("cpu") || v1.containsKey("pids");
        Path target = SecureJoin.mkdirs(rootfs, m.destination());
        if (!isV1) {
            Path unified = V2Manager.unifiedMount(hostRoot, mountinfo);
            if (unified != null && path != null) {
                bind(unified.resolve(path), target, flags, "the container's cgroup of the unified hierarchy");
            }
            return;
        }
        int mode = mode(target);
        // tag::cgroup-mount-v1[]
        sys.because("cgroup v1: a tmpfs to hold one directory per hierarchy")
                .mount("tmpfs", target.toString(), "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755");
        sys.because("the tmpfs's root keeps the mode of the directory it covers, as runc does")
                .chmod(target.toString(), mode);
        for (String name : hierarchyNames()) {
            Path source = path == null ? null : hostRoot.resolve(relative(mountPointOf(name))).resolve(path);
            if (source == null || !Files.isDirectory(source, LinkOption.NOFOLLOW_LINKS)) {
                continue;     // the container has no cgroup here: show nothing of this hierarchy
            }
            Path dir = SecureJoin.mkdirs(rootfs, m.destination() + "/" + name);
            bind(source, dir, flags, "the container's " + name + " cgroup, at the root of the hierarchy");
            if (name.contains(",")) {
                for (String controller : name.split(",")) {
                    if (!Files.exists(target.resolve(controller), LinkOption.NOFOLLOW_LINKS)) {
                        sys.because("a co-mounted hierarchy is found under each of its controllers' names")
                                .symlink(name, target.resolve(controller).toString());
                    }
                }
            }
        }
        // end::cgroup-mount-v1[]
    }

    private void bind(Path source, Path target, long flags, String what) {
        sys.because(what).mount(source.toString(), target.toString(), null, MS_BIND | MS_REC, null);
        sys.because("bind mounts take their flags on a remount: read-only unless privileged")
                .mount(null, target.toString(), null, flags | MS_BIND | MS_REMOUNT, null);
    }

    /** The directory names of the host's v1 hierarchies: each cgroup mount point's last element, in mountinfo order. */
    private Set<String> hierarchyNames() {
        Set<String> names = new LinkedHashSet<>();
        for (Mountinfo.Entry e : Mountinfo.parse(mountinfo)) {
            if (e.fsType().equals("cgroup")) {
                Path p = Path.of(e.mountPoint()).getFileName();
                if (p != null) {
                    names.add(p.toString());
                }
            }
        }
        return names;
    }

    private String mountPointOf(String name) {
        for (Mountinfo.Entry e : Mountinfo.parse(mountinfo)) {
            Path p = Path.of(e.mountPoint()).getFileName();
            if (e.fsType().equals("cgroup") && p != null && p.toString().equals(name)) {
                return e.mountPoint();
            }
        }
        throw new IllegalStateException("no cgroup mount named " + name);
    }

    private static int mode(Path dir) {
        try {
            return (Integer) Files.getAttribute(dir, "unix:mode") & 07777;
        } catch (IOException | UnsupportedOperationException e) {
            return 0755;
        }
    }

    private static String relative(String path) {
        String p = path == null ? "" : path;
        while (p.startsWith("/")) {
            p = p.substring(1);
        }
        return p;
    }

    private static String readMountinfo() {
        try {
            try (var in = Files.newInputStream(Path.of("/proc/self/mountinfo"))) {
                return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read /proc/self/mountinfo", e);
        }
    }
}
