package dev.rabbithole.stage4.dockerd;

import dev.rabbithole.stage1.daemon.OciRuntimes;
import dev.rabbithole.stage3.dockerd.ContainerdRuntime;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Stage 4's OCI runtimes, as dockerd 20.10 configures its own: built-in ones, {@code --add-runtime NAME=PATH}
 * (repeatable) and {@code --default-runtime NAME}; a container picks one with {@code docker run --runtime NAME}.
 * Every runtime runs under one containerd shim ({@code --shim}) with the runtime's path as runc's shim option
 * {@code BinaryName}, as dockerd runs each of its runtimes under containerd's runc shim.
 *
 * <p>Built in: {@value #RUNC} (Debian's runc, looked up on the shim's {@code PATH}, as dockerd's), {@value #OURS}
 * (stage 4's {@code bin/rabbithole-runc}), and the two names dockerd 20.10 also lists for its runc
 * ({@link #RUNC_ALIASES}). The refusals are dockerd 20.10's words (checked against Debian's dockerd):
 * {@code invalid argument "X" for "--add-runtime" flag: invalid runtime argument: X}, {@code runtime name 'runc' is
 * reserved}, {@code runtime 'X' was already defined}, {@code specified default runtime 'X' does not exist}.
 *
 * <p>Each runtime keeps its containers' state under its own root, {@code EXEC_ROOT/runtime-NAME} (the shim adds the
 * containerd namespace: {@code EXEC_ROOT/runtime-NAME/moby/ID}). dockerd 20.10 gives all its runtimes one root,
 * {@code EXEC_ROOT/runtime-runc}; a root per runtime keeps each runtime's {@code list} to its own state formats
 * (runc's {@code state.json}, crun's {@code status}) and shows from outside which runtime holds a container.
 */
public final class Runtimes {

    /** The stock runtime's name, reserved: Debian's runc. */
    public static final String RUNC = "runc";
    /** Our runtime's name, reserved: {@code bin/rabbithole-runc}. */
    public static final String OURS = "rabbithole";
    /** Our runtime's executable name. */
    public static final String OUR_BINARY = "rabbithole-runc";
    /** containerd's runtime names dockerd 20.10 lists beside {@code runc}, with runc's path. */
    public static final List<String> RUNC_ALIASES = List.of("io.containerd.runc.v2", "io.containerd.runtime.v1.linux");

    private final OciRuntimes table;
    private final String shimName;
    private final Path execRoot;

    private Runtimes(OciRuntimes table, String shimName, Path execRoot) {
        this.table = table;
        this.shimName = shimName;
        this.execRoot = execRoot;
    }

    /**
     * Builds the runtimes from dockerd's flags.
     *
     * @param added       {@code --add-runtime} values, {@code NAME=PATH}, in the order given; null for none
     * @param defaultName {@code --default-runtime}; null for {@value #OURS} when {@code ourBinary} was found, else
     *                    {@value #RUNC}
     * @param ourBinary   the absolute path of {@value #OUR_BINARY}, or null when it is not installed (then
     *                    {@value #OURS} names the executable for the shim to find on its {@code PATH})
     * @param shimName    the containerd shim every runtime runs under, e.g. {@code io.containerd.rabbithole.v2}
     * @param execRoot    dockerd's exec root: runtime {@code NAME}'s state root is {@code EXEC_ROOT/runtime-NAME}
     * @return the runtimes
     * @throws IllegalArgumentException a malformed, reserved or repeated {@code --add-runtime}, a name unfit for a
     *                                  directory, or a default that is not a runtime; the message is dockerd's
     */
    public static Runtimes of(List<String> added, String defaultName, String ourBinary, String shimName,
                              Path execRoot) {
        Map<String, String> paths = new LinkedHashMap<>();
        paths.put(RUNC, RUNC);
        paths.put(OURS, ourBinary != null ? ourBinary : OUR_BINARY);
        RUNC_ALIASES.forEach(alias -> paths.put(alias, RUNC));
        List<String> seen = new java.util.ArrayList<>();
        for (String value : added == null ? List.<String>of() : added) {
            int eq = value.indexOf('=');
            String name = eq < 0 ? "" : value.substring(0, eq).trim();
            String path = eq < 0 ? "" : value.substring(eq + 1).trim();
            if (name.isEmpty() || path.isEmpty()) {
                throw flag(value, "invalid runtime argument: " + value);
            }
            if (name.equals(RUNC) || name.equals(OURS)) {
                throw flag(value, "runtime name '" + name + "' is reserved");
            }
            if (seen.contains(name)) {
                throw flag(value, "runtime '" + name + "' was already defined");
            }
            if (!name.matches("[A-Za-z0-9_.-]+") || name.equals(".") || name.equals("..")) {
                throw flag(value, "invalid runtime name '" + name
                        + "': letters, digits, '_', '.' and '-' only (it names the runtime's state directory)");
            }
            seen.add(name);
            paths.put(name, path);
        }
        String def = defaultName != null && !defaultName.isEmpty() ? defaultName : ourBinary != null ? OURS : RUNC;
        return new Runtimes(new OciRuntimes(def, paths), shimName, execRoot);
    }

    private static IllegalArgumentException flag(String value, String why) {
        return new IllegalArgumentException("invalid argument \"" + value + "\" for \"--add-runtime\" flag: " + why);
    }

    /** @return the names, paths and default, as {@code GET /info} lists them */
    public OciRuntimes table() {
        return table;
    }

    /** @return the containerd shim every runtime runs under */
    public String shimName() {
        return shimName;
    }

    /**
     * The state root of a runtime's containers.
     *
     * @param name a runtime's name
     * @return {@code EXEC_ROOT/runtime-NAME} (the shim adds the containerd namespace)
     */
    public Path root(String name) {
        return execRoot.resolve("runtime-" + name);
    }

    /**
     * What a container starts with: the shim, its runtime's path and state root.
     *
     * @param runtime the container's {@code HostConfig.Runtime}; null or empty for the default (a container created
     *                before its daemon recorded one)
     * @return the shim and runc options of its start
     * @throws dev.rabbithole.stage1.errdefs.InvalidParameterException {@code Unknown runtime specified NAME}: the
     *         runtime it was created with is no longer configured (dockerd 20.10 refuses such a start alike)
     */
    // tag::runtimes-shim[]
    public ContainerdRuntime.Shim shim(String runtime) {
        String name = table.nameOf(runtime);
        return new ContainerdRuntime.Shim(shimName, table.paths().get(name), root(name).toString());
    }
    // end::runtimes-shim[]
}
