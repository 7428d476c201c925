package dev.rabbithole.stage2.libcontainer.rootfs;

import dev.rabbithole.stage2.libcontainer.configs.ContainerConfig;
import dev.rabbithole.stage2.libcontainer.configs.Mount;
import dev.rabbithole.stage2.libcontainer.configs.NamespaceType;
import dev.rabbithole.stage2.libcontainer.system.SyscallException;
import dev.rabbithole.stage2.libcontainer.system.Syscalls;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import dev.rabbithole.stage2.libcontainer.system.MountFlags;

import static dev.rabbithole.stage2.libcontainer.system.MountFlags.MNT_DETACH;
import static dev.rabbithole.stage2.libcontainer.system.MountFlags.MS_BIND;
import static dev.rabbithole.stage2.libcontainer.system.MountFlags.MS_NODEV;
import static dev.rabbithole.stage2.libcontainer.system.MountFlags.MS_NOEXEC;
import static dev.rabbithole.stage2.libcontainer.system.MountFlags.MS_NOSUID;
import static dev.rabbithole.stage2.libcontainer.system.MountFlags.MS_PRIVATE;
import static dev.rabbithole.stage2.libcontainer.system.MountFlags.MS_RDONLY;
import static dev.rabbithole.stage2.libcontainer.system.MountFlags.MS_REC;
import static dev.rabbithole.stage2.libcontainer.system.MountFlags.MS_REMOUNT;
import static dev.rabbithole.stage2.libcontainer.system.MountFlags.MS_STRICTATIME;

/**
 * Prepares the container's root filesystem inside the init's new mount namespace and pivots into it: the
 * steps of runc's {@code libcontainer/rootfs_linux.go} and the runtime-spec's config-linux.md (Default
 * Filesystems, Default Devices, maskedPaths, readonlyPaths). Every kernel call goes through {@link Syscalls};
 * directories and empty files for mount points are created with {@link Files}.
 *
 * <p>Must run in a new mount namespace: it makes {@code /} rprivate and pivot_roots.
 */
public final class RootfsSetup {
    /** S_IFCHR from sys/stat.h: a character device */
    static final int S_IFCHR = 0020000;
    /** S_IFBLK from sys/stat.h: a block device */
    static final int S_IFBLK = 0060000;
    /** A FIFO's file type (inode(7)): the runtime-spec's device type {@code p}. */
    static final int S_IFIFO = 0010000;

    /**
     * A device node the runtime-spec requires in every container.
     *
     * @param name  file name under /dev
     * @param major device major number (devices.txt)
     * @param minor device minor number
     */
    record Device(String name, int major, int minor) { }

    static final Device[] DEFAULT_DEVICES = {
        new Device("null", 1, 3), new Device("zero", 1, 5), new Device("full", 1, 7),
        new Device("random", 1, 8), new Device("urandom", 1, 9), new Device("tty", 5, 0),
    };

    /**
     * Host files bind-mounted over the rootfs's /etc entries; any may be null (left alone).
     *
     * @param hostname   file holding the hostname
     * @param hosts      hosts(5) file
     * @param resolvConf resolv.conf(5) file
     */
    public record EtcFiles(Path hostname, Path hosts, Path resolvConf) {
        /** No /etc files. */
        public static final EtcFiles NONE = new EtcFiles(null, null, null);
    }

    private final Syscalls sys;

    /** @param sys the kernel interface every mount, mknod, pivot_root goes through */
    public RootfsSetup(Syscalls sys) {
        this.sys = sys;
    }

    /**
     * Runs the whole rootfs setup: before the pivot (mounts under the host path of the rootfs), the pivot, and
     * after it (masked and read-only paths, read-only rootfs). On return the calling process's root is the
     * container's rootfs and its working directory is {@code /}.
     *
     * @param config the container; {@code rootfs} must be an existing absolute directory
     * @param etc    files for /etc/hostname, /etc/hosts, /etc/resolv.conf
     * @throws SyscallException when a kernel call fails
     * @throws IllegalArgumentException when the rootfs is missing or there is no new mount namespace
     * @throws UncheckedIOException when a mount point cannot be created
     */
    public void run(ContainerConfig config, EtcFiles etc) {
        run(config, etc, null);
    }

    /**
     * As {@link #run(ContainerConfig, EtcFiles)}, calling {@code beforePivot} once every mount is made under the
     * host path of the rootfs and before pivot_root: where the runtime-spec's {@code createContainer} hooks run.
     *
     * @param config      the container
     * @param etc         files for /etc/hostname, /etc/hosts, /etc/resolv.conf
     * @param beforePivot called before pivot_root, or null; what it throws ends the setup
     */
    public void run(ContainerConfig config, EtcFiles etc, Runnable beforePivot) {
        if (!config.namespaces().contains(NamespaceType.MOUNT)) {
            throw new IllegalArgumentException("rootfs setup needs a new mount namespace");
        }
        Path rootfs = config.rootfs();
        if (rootfs == null || !rootfs.isAbsolute() || !Files.isDirectory(rootfs)) {
            throw new IllegalArgumentException("rootfs " + rootfs + ": no such directory");
        }
        String root = rootfs.toString();
        long propagation = config.extrasOrNone().rootfsPropagation();
        if ((propagation & (MountFlags.MS_SHARED | MountFlags.MS_SLAVE)) != 0) {
            // the runtime-spec's rootfsPropagation asks for the host's mount events: received, never sent back
            sys.because("rootfsPropagation: host mount events propagate in, none back to the host")
                    .mount(null, "/", null, MS_REC | MountFlags.MS_SLAVE, null);
        } else {
            sys.because("no mount event propagates back to the host").mount(null, "/", null, MS_REC | MS_PRIVATE, null);
        }
        sys.because("pivot_root needs the new root to be a mount point").mount(root, root, null, MS_BIND | MS_REC, null);
        List<dev.rabbithole.stage2.libcontainer.configs.Device> devices =
                config.devices() == null ? List.of() : config.devices();
        // /proc, /sys, /dev in this order, unless the runtime-spec's mounts list them in another
        java.util.LinkedHashSet<String> order = new java.util.LinkedHashSet<>(config.extrasOrNone().systemMountOrder());
        order.addAll(List.of("/proc", "/sys", "/dev"));
        for (String own : order) {
            switch (own) {
                case "/proc" -> mountProc(rootfs);
                case "/sys" -> mountSys(rootfs, config.namespaces().contains(NamespaceType.NET));
                case "/dev" -> mountDev(rootfs, devices);
                default -> throw new IllegalArgumentException("systemMountOrder: " + own + " is not /proc, /sys or /dev");
            }
        }
        bindEtc(rootfs, "etc/hostname", etc.hostname(), config.readonlyRootfs());
        bindEtc(rootfs, "etc/hosts", etc.hosts(), config.readonlyRootfs());
        bindEtc(rootfs, "etc/resolv.conf", etc.resolvConf(), config.readonlyRootfs());
        for (Mount m : config.mounts() == null ? java.util.List.<Mount>of() : config.mounts()) {
            if (CgroupMount.TYPE.equals(m.type())) {
                // the container's own cgroups; the init gets no cgroup config: then the mount's source names it
                new CgroupMount(sys).mount(rootfs, m, config.cgroup() != null ? config.cgroup().path()
                        : CgroupMount.TYPE.equals(m.source()) ? null : m.source());
            } else {
                mountOne(rootfs, m);
            }
        }
        if (beforePivot != null) {
            beforePivot.run();
        }
        pivotRoot(root);
        if (propagation != 0) {
            sys.because("the runtime-spec's rootfsPropagation, on the container's /").mount(null, "/", null, propagation, null);
        }
        for (String p : config.maskedPaths() == null ? java.util.List.<String>of() : config.maskedPaths()) {
            mask(p);
        }
        java.util.List<String> readonly = new java.util.ArrayList<>();
        for (String p : config.readonlyPaths() == null ? java.util.List.<String>of() : config.readonlyPaths()) {
            if (Files.exists(Path.of(p), LinkOption.NOFOLLOW_LINKS)) {
                readonly.add(p);
            }
        }
        for (String p : readonly) {
            sys.because("a read-only path: first a bind mount on itself").mount(p, p, null, MS_BIND | MS_REC, null);
        }
        for (String p : readonly) {
            sys.because("then the bind mount remounted read-only")
                    .mount(null, p, null, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, null);
        }
        if (config.readonlyRootfs()) {
            sys.because("--read-only: the root filesystem itself")
                    .mount(null, "/", null, MS_BIND | MS_REMOUNT | MS_RDONLY, null);
        }
    }

    private void mountProc(Path rootfs) {
        // tag::mount-proc[]
        String proc = systemMountPoint(rootfs, "/proc");
        sys.because("a new /proc: it shows the pids of the new pid namespace")
                .mount("proc", proc, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, null);
        // end::mount-proc[]
    }

    private void mountSys(Path rootfs, boolean newNet) {
        String sysDir = systemMountPoint(rootfs, "/sys");
        long flags = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC;
        if (newNet) {
            sys.because("sysfs of the new network namespace, read-only").mount("sysfs", sysDir, "sysfs", flags, null);
        } else {
            sys.because("host network namespace: the host's /sys, bound").mount("/sys", sysDir, null, MS_BIND | MS_REC, null);
            sys.because("and read-only").mount(null, sysDir, null, MS_BIND | MS_REMOUNT | flags, null);
        }
    }

    private void mountDev(Path rootfs, List<dev.rabbithole.stage2.libcontainer.configs.Device> extra) {
        // tag::dev-nodes[]
        Path dev = Path.of(systemMountPoint(rootfs, "/dev"));
        sys.because("/dev is a tmpfs with only the devices a container may use")
                .mount("tmpfs", dev.toString(), "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k");
        Set<String> replaced = new HashSet<>();
        extra.forEach(d -> replaced.add(d.path()));
        List<Device> defaults = Arrays.stream(DEFAULT_DEVICES).filter(d -> !replaced.contains("/dev/" + d.name()))
                .toList();
        for (Device d : defaults) {
            sys.because("the character devices every container has")
                    .mknod(dev.resolve(d.name()).toString(), S_IFCHR | 0666, d.major(), d.minor());
        }
        for (Device d : defaults) {
            sys.because("mknod applies the umask").chmod(dev.resolve(d.name()).toString(), 0666);
        }
        createDevices(rootfs, extra);
        sys.because("a private devpts instance: the container's ptys only")
                .mount("devpts", SecureJoin.mkdirs(dev, "pts").toString(), "devpts", MS_NOSUID | MS_NOEXEC,
                        "newinstance,ptmxmode=0666,mode=0620,gid=5");
        sys.because("/dev/ptmx opens the new devpts instance's multiplexer")
                .symlink("pts/ptmx", dev.resolve("ptmx").toString());
        sys.because("POSIX shared memory").mount("shm", SecureJoin.mkdirs(dev, "shm").toString(), "tmpfs",
                MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=1777,size=65536k");
        sys.because("POSIX message queues of the IPC namespace").mount("mqueue", SecureJoin.mkdirs(dev, "mqueue").toString(),
                "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, null);
        String fds = "the process's own descriptors";
        sys.because(fds).symlink("/proc/self/fd", dev.resolve("fd").toString());
        String[] std = {"stdin", "stdout", "stderr"};
        for (int fd = 0; fd < 3; fd++) {
            sys.because(fds).symlink("/proc/self/fd/" + fd, dev.resolve(std[fd]).toString());
        }
        // end::dev-nodes[]
    }

    /** What {@link #mountDev} makes symlinks of: a device node at one of these paths is not created. */
    static final Set<String> LINKS_IN_DEV = Set.of("/dev/ptmx", "/dev/fd", "/dev/stdin", "/dev/stdout", "/dev/stderr");

    // tag::extra-devices[]
    /**
     * The config's devices ({@code --device}, a privileged container's host devices): a node each, with the
     * host's mode and owner; none at {@link #LINKS_IN_DEV}, which stay links. The path is resolved inside the rootfs, so a symlink in the image cannot place a
     * node on the host. Whether the container may open it is the devices cgroup's decision, not the node's.
     */
    private void createDevices(Path rootfs, List<dev.rabbithole.stage2.libcontainer.configs.Device> devices) {
        for (var d : devices) {
            if (LINKS_IN_DEV.contains(d.path())) {
                continue;   // a host's /dev/ptmx (privileged): the link to the container's own devpts wins, as in runc
            }
            Path parent = SecureJoin.mkdirs(rootfs, Path.of(d.path()).getParent().toString());
            Path node = parent.resolve(Path.of(d.path()).getFileName().toString());
            int type = d.type() == 'b' ? S_IFBLK : d.type() == 'p' ? S_IFIFO : S_IFCHR;
            sys.because("a device the container was given").mknod(node.toString(), type | (d.fileMode() & 07777),
                    Math.toIntExact(d.major()), Math.toIntExact(d.minor()));
            sys.because("mknod applies the umask").chmod(node.toString(), d.fileMode() & 07777);
            if (d.uid() != 0 || d.gid() != 0) {
                try {
                    Files.setAttribute(node, "unix:uid", d.uid(), LinkOption.NOFOLLOW_LINKS);
                    Files.setAttribute(node, "unix:gid", d.gid(), LinkOption.NOFOLLOW_LINKS);
                } catch (IOException e) {
                    throw new UncheckedIOException("chown " + node + ": " + e.getMessage(), e);
                }
            }
        }
    }
    // end::extra-devices[]

    private void bindEtc(Path rootfs, String relative, Path source, boolean readonly) {
        if (source == null) {
            return;
        }
        // an image's /etc may be a symlink: resolved inside the rootfs, never onto the host
        Path target = SecureJoin.createFile(rootfs, "/" + relative);
        sys.because("/" + relative + " from the container's state directory")
                .mount(source.toString(), target.toString(), null, MS_BIND, null);
        if (readonly) {
            sys.because("--read-only: the /etc files too, as Docker's")
                    .mount(null, target.toString(), null, MS_BIND | MS_REMOUNT | MS_RDONLY, null);
        }
    }

    // tag::mount-one[]
    private void mountOne(Path rootfs, Mount m) {
        MountOptions o = MountOptions.parse(m.options());
        boolean bind = o.isBind() || "bind".equals(m.type());
        if (("proc".equals(m.type()) || "sysfs".equals(m.type()))
                && SecureJoin.followsSymlink(rootfs, m.destination())) {
            throw new IllegalArgumentException(m.destination() + " in the rootfs is a symlink: refusing to mount "
                    + m.type() + " through it");
        }
        // the destination is resolved inside the rootfs: a symlink in the image cannot send it to the host
        Path target = bind && Files.isRegularFile(Path.of(m.source()))
                ? SecureJoin.createFile(rootfs, m.destination()) : SecureJoin.mkdirs(rootfs, m.destination());
        String t = target.toString();
        if (bind) {
            long flags = o.flags() | MS_BIND;
            sys.because("mount " + m.destination()).mount(m.source(), t, null, flags & (MS_BIND | MS_REC), null);
            if ((flags & ~(MS_BIND | MS_REC)) != 0) {
                sys.because("bind mounts take their flags on a remount")
                        .mount(null, t, null, (flags & ~MS_REC) | MS_REMOUNT, null);
            }
        } else {
            sys.because("mount " + m.destination()).mount(m.source(), t, m.type(), o.flags(), o.data());
        }
        if (o.propagation() != 0) {
            sys.because("propagation of " + m.destination()).mount(null, t, null, o.propagation(), null);
        }
    }
    // end::mount-one[]

    private void pivotRoot(String root) {
        // tag::pivot-root[]
        sys.because("pivot_root(\".\", \".\") needs no directory for the old root").chdir(root);
        sys.because("new root and old root stacked on the same directory").pivotRoot(".", ".");
        sys.because("detach the old root: the host's files are out of reach").umount2(".", MNT_DETACH);
        sys.because("the working directory is inside the new root").chdir("/");
        // end::pivot-root[]
    }

    private void mask(String path) {
        if (!Files.exists(Path.of(path), LinkOption.NOFOLLOW_LINKS)) {
            return; // this kernel has no such file: nothing to hide
        }
        try {
            if (Files.isDirectory(Path.of(path))) {
                sys.because("masked directory").mount("tmpfs", path, "tmpfs", MS_RDONLY, null);
            } else {
                sys.because("masked file").mount("/dev/null", path, null, MS_BIND, null);
            }
        } catch (SyscallException e) {
            if (e.errno() != SyscallException.ENOENT) {
                throw e;
            }
        }
    }

    /**
     * The host path of /proc, /sys or /dev in the rootfs, created when missing. A symlink there is refused, as
     * runc does: resolved inside the rootfs it would put the kernel's filesystem somewhere the container
     * chose (a link {@code /proc -> /} would mount proc over the whole rootfs).
     */
    private static String systemMountPoint(Path rootfs, String path) {
        if (SecureJoin.followsSymlink(rootfs, path)) {
            throw new IllegalArgumentException(path + " in the rootfs is a symlink: refusing to mount through it");
        }
        return SecureJoin.mkdirs(rootfs, path).toString();
    }
}
