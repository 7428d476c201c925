package dev.rabbithole.stage3.runc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rabbithole.stage2.libcontainer.configs.CapabilitySet;
import dev.rabbithole.stage2.libcontainer.configs.ContainerConfig;
import dev.rabbithole.stage2.libcontainer.configs.ExecConfig;
import dev.rabbithole.stage2.libcontainer.configs.ProcessConfig;
import dev.rabbithole.stage2.libcontainer.configs.Rlimit;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Reads the runtime-spec's {@code process} object (config.md, "Process"), as containerd's shim writes it for
 * {@code runc exec --process FILE}, into libcontainer's {@link ExecConfig}: {@code terminal}, {@code user}
 * ({@code uid}, {@code gid}, {@code additionalGids}), {@code args}, {@code env}, {@code cwd},
 * {@code capabilities} (names with or without {@code CAP_}), {@code rlimits} and {@code noNewPrivileges}.
 * {@code consoleSize}, {@code oomScoreAdj}, {@code apparmorProfile} and {@code selinuxLabel} are accepted and
 * ignored. The process gets no parent-death signal: as runc's, it outlives the {@code runc exec} that started it.
 *
 * <p>Only the {@code process} object: the whole bundle's config.json is the runtime's create converter's.
 */
public final class ProcessSpecs {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ProcessSpecs() { }

    /**
     * Reads a {@code process} JSON file.
     *
     * @param file the file
     * @return the exec config; absent capabilities, rlimits and noNewPrivileges stay null (the container's)
     * @throws IllegalArgumentException naming the field, for a malformed file or value
     * @throws IOException when the file cannot be read
     */
    public static ExecConfig read(Path file) throws IOException {
        JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException("process " + file + ": not JSON: " + e.getOriginalMessage());
        }
        return parse(root);
    }

    /**
     * Converts a parsed {@code process} object.
     *
     * @param p the object
     * @return the exec config
     * @throws IllegalArgumentException naming the field, for a malformed value
     */
    public static ExecConfig parse(JsonNode p) {
        if (p == null || !p.isObject()) {
            throw new IllegalArgumentException("process: must be a JSON object");
        }
        boolean terminal = p.path("terminal").asBoolean(false);
        JsonNode user = p.path("user");
        int uid = user.isObject() ? id(user.path("uid"), "process.user.uid") : 0;
        int gid = user.isObject() ? id(user.path("gid"), "process.user.gid") : 0;
        List<Integer> gids = new ArrayList<>();
        for (JsonNode g : user.path("additionalGids")) {
            gids.add(id(g, "process.user.additionalGids"));
        }
        List<String> args = strings(p.path("args"), "process.args");
        if (args == null || args.isEmpty()) {
            throw new IllegalArgumentException("process.args: must not be empty");
        }
        List<String> env = strings(p.path("env"), "process.env");
        String cwd = p.path("cwd").isTextual() ? p.path("cwd").asText() : "/";
        if (!cwd.startsWith("/")) {
            throw new IllegalArgumentException("process.cwd: " + cwd + " is not an absolute path");
        }
        CapabilitySet caps = null;
        JsonNode c = p.path("capabilities");
        if (c.isObject()) {
            caps = new CapabilitySet(caps(c.path("bounding"), "bounding"), caps(c.path("effective"), "effective"),
                    caps(c.path("permitted"), "permitted"), caps(c.path("inheritable"), "inheritable"),
                    caps(c.path("ambient"), "ambient"));
        }
        List<Rlimit> rlimits = null;
        if (p.path("rlimits").isArray()) {
            rlimits = new ArrayList<>();
            for (JsonNode r : p.path("rlimits")) {
                if (!r.path("type").isTextual() || !r.path("soft").canConvertToLong() || !r.path("hard").canConvertToLong()) {
                    throw new IllegalArgumentException("process.rlimits: each needs type, soft and hard: " + r);
                }
                rlimits.add(new Rlimit(r.path("type").asText(), r.path("soft").asLong(), r.path("hard").asLong()));
            }
        }
        Boolean nnp = p.has("noNewPrivileges") ? p.path("noNewPrivileges").asBoolean() : null;
        ProcessConfig proc = new ProcessConfig(args, env == null ? List.of() : env, cwd, uid, gid, gids, 0);
        return new ExecConfig(proc, caps, nnp, rlimits, null, terminal, null);
    }

    /**
     * For {@code runc create --console-socket}: the container's process with a terminal whose master goes to
     * the console socket. The one line for the create command:
     * {@code config = ProcessSpecs.withConsole(config, terminal, consoleSocket);}.
     *
     * @param config        the converted container config
     * @param terminal      the bundle's {@code process.terminal}
     * @param consoleSocket {@code --console-socket}, or null
     * @return the config, its process with {@link ProcessConfig#terminal()} and the socket set
     * @throws IllegalArgumentException a terminal without a console socket, or a socket without a terminal
     *                                  (runc's "cannot use console socket if runc will not provide a terminal")
     */
    public static ContainerConfig withConsole(ContainerConfig config, boolean terminal, Path consoleSocket) {
        if (terminal && consoleSocket == null) {
            throw new IllegalArgumentException("process.terminal is true: --console-socket is required");
        }
        if (!terminal && consoleSocket != null) {
            throw new IllegalArgumentException("cannot use console socket if runc will not provide a terminal");
        }
        if (!terminal) {
            return config;
        }
        return config.withProcess(config.process().withTerminal(consoleSocket.toAbsolutePath().toString()));
    }

    private static int id(JsonNode n, String field) {
        if (n.isMissingNode() || n.isNull()) {
            return 0;
        }
        if (!n.canConvertToLong() || n.asLong() < 0 || n.asLong() > 0xffffffffL) {
            throw new IllegalArgumentException(field + ": " + n + " is not an id");
        }
        return (int) n.asLong();
    }

    private static List<String> strings(JsonNode n, String field) {
        if (n.isMissingNode() || n.isNull()) {
            return null;
        }
        if (!n.isArray()) {
            throw new IllegalArgumentException(field + ": must be an array of strings");
        }
        List<String> l = new ArrayList<>();
        for (JsonNode s : n) {
            if (!s.isTextual()) {
                throw new IllegalArgumentException(field + ": " + s + " is not a string");
            }
            l.add(s.asText());
        }
        return l;
    }

    private static Set<String> caps(JsonNode n, String set) {
        Set<String> out = new LinkedHashSet<>();
        List<String> names = strings(n, "process.capabilities." + set);
        for (String name : names == null ? List.<String>of() : names) {
            out.add(name.toUpperCase(Locale.ROOT).replaceFirst("^CAP_", ""));
        }
        return out;
    }
}
