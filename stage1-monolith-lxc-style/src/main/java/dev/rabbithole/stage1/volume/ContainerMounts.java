package dev.rabbithole.stage1.volume;

import dev.rabbithole.stage1.daemon.EngineLog;
import dev.rabbithole.stage1.daemon.HostConfig;
import dev.rabbithole.stage1.errdefs.EngineException;
import dev.rabbithole.stage1.errdefs.InvalidParameterException;
import dev.rabbithole.stage1.errdefs.SystemException;
import dev.rabbithole.stage1.execdriver.Mount;
import dev.rabbithole.stage1.execdriver.RootfsPaths;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * A container's mounts through its life, as dockerd's {@code daemon/volumes.go}: at create the requests become
 * {@link MountPoint}s ({@link #plan}: {@code --volumes-from} first, then {@code -v} binds and {@code --mount}
 * over them, then the anonymous volumes of {@code Config.Volumes} where nothing else is mounted; the volumes
 * created); at start they become the runtime-spec shaped {@link Mount}s of the exec driver's command
 * ({@link #commandMounts}: a {@code -v} bind's missing source made a directory, a new volume filled from the
 * image); at removal the anonymous volumes go ({@link #removed}).
 */
public final class ContainerMounts {

    // tag::mount-options[]
    /** The options dockerd gives every tmpfs besides the user's ({@code daemon/volumes_unix.go}). */
    static final List<String> TMPFS_DEFAULTS = List.of("noexec", "nosuid", "nodev", "rprivate");
    // end::mount-options[]

    private final VolumeStore volumes;

    /** @param volumes the local driver's volumes */
    public ContainerMounts(VolumeStore volumes) {
        this.volumes = volumes;
    }

    /** @return the volume store */
    public VolumeStore volumes() {
        return volumes;
    }

    /**
     * The mount points of a new container ({@code POST /containers/create}); creates the named volumes it uses that
     * do not exist yet and its anonymous volumes, once every request has been checked.
     *
     * @param hc            the create body's host config
     * @param configVolumes the destinations of {@code Config.Volumes}, the image's {@code VOLUME}s included
     * @param mountsOf      the mount points of a container by name or ID (for {@code --volumes-from}); throws
     *                      the daemon's NotFoundException for no such container
     * @return the mount points, by destination
     * @throws InvalidParameterException a bad {@code -v}, {@code --mount}, {@code --tmpfs} or
     *         {@code --volumes-from}, a bind source of {@code --mount} that does not exist, or two mounts at one
     *         destination ({@code Duplicate mount point: PATH}, dockerd's message)
     */
    public List<MountPoint> plan(HostConfig hc, Collection<String> configVolumes,
                                 Function<String, List<MountPoint>> mountsOf) {
        Map<String, MountPoint> byDest = new LinkedHashMap<>();
        for (String from : nullToEmpty(hc.volumesFrom())) {
            String[] parts = from.split(":", -1);
            if (parts.length > 2 || parts[0].isEmpty()
                    || parts.length == 2 && !parts[1].equals("ro") && !parts[1].equals("rw")) {
                throw new InvalidParameterException("invalid mode for volumes-from: " + from);
            }
            for (MountPoint mp : mountsOf.apply(parts[0])) {
                if ("tmpfs".equals(mp.type())) {
                    continue;
                }
                byDest.put(mp.destination(), parts.length == 2 ? mp.withRw(parts[1].equals("rw")) : mp);
            }
        }
        Map<String, MountPoint> user = new LinkedHashMap<>();
        for (String spec : nullToEmpty(hc.binds())) {
            MountPoint mp = MountSpecs.bind(spec);
            if (user.put(mp.destination(), mp) != null) {
                throw duplicate(mp.destination());
            }
        }
        for (HostConfig.Mount m : nullToEmpty(hc.mounts())) {
            MountPoint mp = MountSpecs.mount(m);
            if (user.put(mp.destination(), mp) != null) {
                throw duplicate(mp.destination());
            }
        }
        if (hc.tmpfs() != null) {
            for (String dest : hc.tmpfs().keySet()) {
                String d = MountSpecs.tmpfsDestination(dest);
                if (user.containsKey(d)) {
                    throw duplicate(d);
                }
                byDest.remove(d);
            }
        }
        byDest.putAll(user);
        for (String dest : configVolumes) {
            MountPoint mp = MountSpecs.anonymous(dest);
            boolean tmpfs = hc.tmpfs() != null && hc.tmpfs().keySet().stream()
                    .anyMatch(t -> MountSpecs.clean(t).equals(mp.destination()));
            if (!tmpfs) {
                byDest.putIfAbsent(mp.destination(), mp);
            }
        }
        List<MountPoint> out = new ArrayList<>();
        for (MountPoint mp : byDest.values()) {
            if (mp.isVolume() && (mp.anonymous() && mp.name().isEmpty() || !mp.anonymous()
                    && !mp.source().startsWith("/"))) {
                Volume v = volumes.create(mp.name(), null);
                mp = new MountPoint(mp.type(), v.name(), v.mountpoint(), mp.destination(), mp.driver(), mp.mode(),
                        mp.rw(), mp.propagation(), mp.anonymous(), mp.copyData(), false, false, "");
            }
            out.add(mp);
        }
        return List.copyOf(out);
    }

    // tag::command-mounts[]
    /**
     * The mounts a starting container gets, parents before children (sorted by the depth of the destination,
     * as dockerd sorts them): binds and volumes as {@code rbind} (or {@code bind}) with {@code ro} when read-only
     * and the propagation of a bind; tmpfs with dockerd's {@code noexec,nosuid,nodev,rprivate} then the user's
     * options. Before that, a {@code -v} bind's missing source becomes a directory and a volume still empty gets
     * the content of the image's directory at its destination (unless {@code nocopy}).
     *
     * @param points the container's mount points
     * @param tmpfs  {@code --tmpfs}: destination to options ({@code size=64m,mode=1777}); null for none
     * @param rootfs the container's mounted root filesystem (the image's directories are read there)
     * @return the mounts, runtime-spec shaped
     * @throws SystemException a source cannot be created or a volume cannot be filled
     */
    public List<Mount> commandMounts(List<MountPoint> points, Map<String, String> tmpfs, Path rootfs) {
        List<Mount> out = new ArrayList<>();
        for (MountPoint mp : nullToEmpty(points)) {
            switch (mp.type()) {
                case "tmpfs" -> out.add(tmpfsMount(mp.destination(), mp.tmpfsOptions(), !mp.rw()));
                case "bind", "volume" -> {
                    Path source = Path.of(mp.source());
                    if (mp.createSource() && !Files.exists(source)) {
                        mkdirs(source);
                    }
                    if (mp.isVolume() && mp.copyData()) {
                        copyImageContent(rootfs, mp.destination(), source);
                    }
                    List<String> options = new ArrayList<>();
                    options.add(mp.nonRecursive() ? "bind" : "rbind");
                    if (!mp.rw()) {
                        options.add("ro");
                    }
                    if (mp.propagation() != null && !mp.propagation().isEmpty()) {
                        options.add(mp.propagation());
                    }
                    out.add(new Mount("bind", mp.source(), mp.destination(), options));
                }
                default -> throw new SystemException("unknown mount type " + mp.type() + " at " + mp.destination());
            }
        }
        if (tmpfs != null) {
            tmpfs.forEach((dest, opts) -> out.add(tmpfsMount(MountSpecs.clean(dest), opts, false)));
        }
        out.sort(Comparator.comparingInt(m -> depth(m.destination())));
        return List.copyOf(out);
    }
    // end::command-mounts[]

    /**
     * A container was removed: with {@code removeVolumes} ({@code rm -v}, {@code --rm}) its anonymous volumes go
     * too, those another container still uses excepted (as dockerd, without an error).
     *
     * @param points the removed container's mount points
     * @param users  the IDs of the (remaining) containers that use a volume, by its name
     */
    public void removed(List<MountPoint> points, boolean removeVolumes, Function<String, List<String>> users) {
        if (!removeVolumes) {
            return;
        }
        for (MountPoint mp : nullToEmpty(points)) {
            if (mp.isVolume() && mp.anonymous()) {
                try {
                    volumes.remove(mp.name(), true, users);
                } catch (EngineException e) {
                    EngineLog.info("volume " + mp.name() + " kept: " + e.getMessage());
                }
            }
        }
    }

    private static Mount tmpfsMount(String dest, String userOptions, boolean readOnly) {
        List<String> options = new ArrayList<>(TMPFS_DEFAULTS);
        if (readOnly) {
            options.add("ro");
        }
        if (userOptions != null && !userOptions.isEmpty()) {
            for (String o : userOptions.split(",")) {
                if (!o.isEmpty()) {
                    options.add(o);
                }
            }
        }
        return new Mount("tmpfs", "tmpfs", dest, options);
    }

    /**
     * Fills an empty volume from the image: the directory at {@code destination} in the rootfs (resolved inside
     * it, never through a symlink out of it), copied with owners, modes and links ({@code cp -a}), as dockerd's
     * {@code copyExistingContents}. Nothing happens when the volume holds anything or the image has no directory
     * there.
     */
    private static void copyImageContent(Path rootfs, String destination, Path volumeData) {
        Path from;
        try {
            from = RootfsPaths.resolve(rootfs, destination);
        } catch (EngineException e) {
            return;
        }
        if (!Files.isDirectory(from, LinkOption.NOFOLLOW_LINKS) || !isEmptyDir(volumeData)) {
            return;
        }
        try {
            Process p = new ProcessBuilder("cp", "-a", "--", from + "/.", volumeData + "/")
                    .redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            if (p.waitFor() != 0) {
                throw new SystemException("copying " + destination + " of the image into its volume: " + out.trim());
            }
        } catch (IOException e) {
            throw new SystemException("copying " + destination + " of the image into its volume: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SystemException("interrupted while filling a volume");
        }
    }

    private static boolean isEmptyDir(Path dir) {
        try (var entries = Files.list(dir)) {
            return entries.findAny().isEmpty();
        } catch (IOException e) {
            return false;
        }
    }

    private static void mkdirs(Path source) {
        try {
            Files.createDirectories(source);
        } catch (IOException e) {
            throw new SystemException("error while creating mount source path '" + source + "': " + e.getMessage(),
                    e);
        }
    }

    private static int depth(String path) {
        return (int) Path.of(path).normalize().getNameCount();
    }

    private static InvalidParameterException duplicate(String dest) {
        return new InvalidParameterException("Duplicate mount point: " + dest);
    }

    private static <T> List<T> nullToEmpty(List<T> list) {
        return list == null ? List.of() : list;
    }
}
