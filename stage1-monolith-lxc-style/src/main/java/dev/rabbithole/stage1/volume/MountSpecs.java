package dev.rabbithole.stage1.volume;

import dev.rabbithole.stage1.daemon.HostConfig;
import dev.rabbithole.stage1.errdefs.InvalidParameterException;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * Parses the mount requests of a create body into {@link MountPoint}s, with dockerd's rules and messages (moby
 * {@code volume/mounts/linux_parser.go}): a {@code -v} string ({@code HostConfig.Binds}), a {@code --mount} object
 * ({@code HostConfig.Mounts}), an anonymous volume ({@code Config.Volumes}). A volume's source is its name here;
 * {@link ContainerMounts} gives it its directory once the volume exists.
 */
public final class MountSpecs {

    private static final Set<String> PROPAGATIONS = Set.of("private", "rprivate", "shared", "rshared", "slave",
            "rslave");
    /** A bind's propagation when none is given (dockerd's {@code DefaultPropagationMode}). */
    static final String DEFAULT_PROPAGATION = "rprivate";

    private MountSpecs() { }

    /**
     * One {@code -v} string as the docker CLI sends it in {@code HostConfig.Binds}:
     * {@code SOURCE:DEST[:MODE]}, {@code DEST[:MODE]}; SOURCE an absolute host path (a bind, its missing source
     * created at start) or a volume name; MODE comma-separated words, at most one of {@code ro}/{@code rw}, one
     * propagation ({@code rprivate}, {@code rshared}, {@code rslave}, ...), {@code nocopy}, {@code z}/{@code Z}.
     *
     * @param spec the string
     * @return the mount point; a volume's {@code source} is its name, empty for an anonymous one
     * @throws InvalidParameterException {@code invalid volume specification: 'SPEC'[: REASON]}, as dockerd
     */
    public static MountPoint bind(String spec) {
        if (spec == null || spec.isEmpty()) {
            throw invalid(spec, null);
        }
        String[] parts = spec.split(":", -1);
        String source = "";
        String dest;
        String mode = "";
        switch (parts.length) {
            case 1 -> dest = parts[0];
            case 2 -> {
                if (validMode(parts[1])) {
                    dest = parts[0];
                    mode = parts[1];
                } else {
                    source = parts[0];
                    dest = parts[1];
                }
            }
            case 3 -> {
                source = parts[0];
                dest = parts[1];
                mode = parts[2];
            }
            default -> throw invalid(spec, null);
        }
        if (parts[0].isEmpty() || dest.isEmpty()) {
            throw invalid(spec, null);
        }
        if (!validMode(mode)) {
            throw invalid(spec, "invalid mode: " + mode);
        }
        boolean isBind = source.startsWith("/");
        String type = isBind ? "bind" : "volume";
        if (!dest.startsWith("/")) {
            throw invalid(spec, "invalid mount config for type \"" + type + "\": invalid mount path: '" + dest
                    + "' mount path must be absolute");
        }
        dest = clean(dest);
        if (dest.equals("/")) {
            throw invalid(spec, "invalid mount config for type \"" + type + "\": invalid specification:"
                    + " destination can't be '/'");
        }
        List<String> words = mode.isEmpty() ? List.of() : List.of(mode.split(","));
        boolean rw = !words.contains("ro");
        String propagation = words.stream().filter(PROPAGATIONS::contains).findFirst().orElse("");
        if (isBind) {
            if (words.contains("nocopy")) {
                throw invalid(spec, "invalid mode: " + mode);
            }
            return new MountPoint("bind", "", clean(source), dest, "", mode, rw,
                    propagation.isEmpty() ? DEFAULT_PROPAGATION : propagation, false, false, true, false, "");
        }
        if (!propagation.isEmpty()) {
            throw invalid(spec, "invalid mount config for type \"volume\": propagation is only supported for bind"
                    + " mounts");
        }
        return new MountPoint("volume", source, source, dest, "local", mode.isEmpty() && !source.isEmpty() ? "z" : mode,
                rw, "", source.isEmpty(), !words.contains("nocopy"), false, false, "");
    }

    /**
     * One {@code --mount} as the Engine API's {@code Mount} object ({@code HostConfig.Mounts}).
     *
     * @return the mount point; a volume's {@code source} is its name, empty for an anonymous one
     * @throws InvalidParameterException {@code invalid mount config for type "TYPE": REASON}, as dockerd; among
     *         them {@code bind source path does not exist: PATH}
     */
    public static MountPoint mount(HostConfig.Mount m) {
        String type = m.type() == null ? "" : m.type();
        String source = m.source() == null ? "" : m.source();
        String target = m.target() == null ? "" : m.target();
        String prefix = "invalid mount config for type \"" + type + "\": ";
        if (!Set.of("bind", "volume", "tmpfs").contains(type)) {
            throw new InvalidParameterException(prefix + "mount type unknown");
        }
        if (target.isEmpty()) {
            throw new InvalidParameterException(prefix + "field Target must not be empty");
        }
        if (!target.startsWith("/")) {
            throw new InvalidParameterException(prefix + "invalid mount path: '" + target
                    + "' mount path must be absolute");
        }
        target = clean(target);
        if (target.equals("/")) {
            throw new InvalidParameterException(prefix + "invalid specification: destination can't be '/'");
        }
        if (!"bind".equals(type) && m.bindOptions() != null) {
            throw new InvalidParameterException(prefix + "field BindOptions must not be specified");
        }
        if (!"volume".equals(type) && m.volumeOptions() != null) {
            throw new InvalidParameterException(prefix + "field VolumeOptions must not be specified");
        }
        if (!"tmpfs".equals(type) && m.tmpfsOptions() != null) {
            throw new InvalidParameterException(prefix + "field TmpfsOptions must not be specified");
        }
        switch (type) {
            case "bind" -> {
                if (source.isEmpty()) {
                    throw new InvalidParameterException(prefix + "field Source must not be empty");
                }
                if (!source.startsWith("/")) {
                    throw new InvalidParameterException(prefix + "invalid mount path: '" + source
                            + "' mount path must be absolute");
                }
                if (!Files.exists(Path.of(source))) {
                    throw new InvalidParameterException(prefix + "bind source path does not exist: " + source);
                }
                HostConfig.Mount.BindOptions b = m.bindOptions();
                String propagation = b == null || b.propagation() == null || b.propagation().isEmpty()
                        ? DEFAULT_PROPAGATION : b.propagation();
                if (!PROPAGATIONS.contains(propagation)) {
                    throw new InvalidParameterException(prefix + "invalid propagation mode: " + propagation);
                }
                return new MountPoint("bind", "", clean(source), target, "", "", !m.readOnly(), propagation,
                        false, false, false, b != null && b.nonRecursive(), "");
            }
            case "volume" -> {
                if (!source.isEmpty()) {
                    VolumeStore.checkName(source);
                }
                boolean noCopy = m.volumeOptions() != null && m.volumeOptions().noCopy();
                return new MountPoint("volume", source, source, target, "local", "z", !m.readOnly(), "",
                        source.isEmpty(), !noCopy, false, false, "");
            }
            default -> {
                if (!source.isEmpty()) {
                    throw new InvalidParameterException(prefix + "field Source must not be specified");
                }
                HostConfig.Mount.TmpfsOptions t = m.tmpfsOptions();
                StringBuilder data = new StringBuilder();
                if (t != null && t.sizeBytes() > 0) {
                    data.append("size=").append(t.sizeBytes());
                }
                if (t != null && t.mode() != 0) {
                    data.append(data.length() > 0 ? "," : "").append("mode=").append(Integer.toOctalString(t.mode()));
                }
                return new MountPoint("tmpfs", "", "", target, "", "", !m.readOnly(), "", false, false, false,
                        false, data.toString());
            }
        }
    }

    /**
     * An anonymous volume of {@code Config.Volumes} (the image's {@code VOLUME}, the CLI's {@code -v /PATH}).
     *
     * @throws InvalidParameterException a relative path
     */
    public static MountPoint anonymous(String destination) {
        if (destination == null || !destination.startsWith("/")) {
            throw new InvalidParameterException("invalid volume specification: '" + destination
                    + "': invalid mount config for type \"volume\": invalid mount path: '" + destination
                    + "' mount path must be absolute");
        }
        return new MountPoint("volume", "", "", clean(destination), "local", "", true, "", true, true, false,
                false, "");
    }

    /**
     * A {@code --tmpfs PATH[:OPTIONS]} entry ({@code HostConfig.Tmpfs}).
     *
     * @return its destination, cleaned
     * @throws InvalidParameterException a relative path
     */
    public static String tmpfsDestination(String destination) {
        if (destination == null || !destination.startsWith("/")) {
            throw new InvalidParameterException("invalid tmpfs specification: '" + destination
                    + "': mount path must be absolute");
        }
        return clean(destination);
    }

    /** @return the path with duplicate and trailing slashes, {@code .} and {@code ..} resolved lexically */
    static String clean(String path) {
        return Path.of("/").resolve(path).normalize().toString();
    }

    private static boolean validMode(String mode) {
        if (mode.isEmpty()) {
            return true;
        }
        int rw = 0;
        int prop = 0;
        int label = 0;
        int copy = 0;
        for (String w : mode.split(",", -1)) {
            switch (w) {
                case "ro", "rw" -> rw++;
                case "z", "Z" -> label++;
                case "nocopy" -> copy++;
                default -> {
                    if (PROPAGATIONS.contains(w)) {
                        prop++;
                    } else {
                        return false;
                    }
                }
            }
        }
        return rw <= 1 && prop <= 1 && label <= 1 && copy <= 1;
    }

    private static InvalidParameterException invalid(String spec, String reason) {
        return new InvalidParameterException("invalid volume specification: '" + spec + "'"
                + (reason == null ? "" : ": " + reason));
    }
}
