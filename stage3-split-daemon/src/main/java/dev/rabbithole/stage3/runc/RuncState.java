package dev.rabbithole.stage3.runc;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rabbithole.stage2.libcontainer.container.ContainerState;
import dev.rabbithole.stage2.libcontainer.container.LinuxContainer;
import dev.rabbithole.stage2.libcontainer.container.Status;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * What runc knows of a container beyond libcontainer's {@code state.json}: the bundle, the spec's
 * {@code ociVersion} and annotations, kept in {@value #FILE} in the container's state directory; and the
 * runtime-spec state (runtime.md, "State") runc prints for {@code state} and {@code list --format json}:
 * {@code ociVersion, id, pid, status, bundle, rootfs, created, annotations} (when any) {@code , owner}.
 *
 * @param ociVersion  the config's {@code ociVersion}
 * @param bundle      the bundle directory, absolute
 * @param annotations the config's annotations
 * @param hooks       the config's hooks ({@code poststart} and {@code poststop} run by start and delete)
 */
record RuncState(String ociVersion, String bundle, Map<String, String> annotations, Hooks hooks) {
    /** The file's name in the state directory. */
    static final String FILE = "runc.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** @return the hooks, never null */
    Hooks hooksOrNone() {
        return hooks == null ? Hooks.NONE : hooks;
    }

    void write(Path stateDir) throws IOException {
        Files.write(stateDir.resolve(FILE), JSON.writeValueAsBytes(this));
    }

    static RuncState read(Path stateDir) {
        try {
            return JSON.readValue(stateDir.resolve(FILE).toFile(), RuncState.class);
        } catch (IOException e) {
            return new RuncState("1.0.2", "", Map.of(), Hooks.NONE);
        }
    }

    /**
     * @param s a status
     * @return its runtime-spec name: {@code creating}, {@code created}, {@code running}, {@code paused},
     *         {@code stopped}
     */
    static String statusName(Status s) {
        return s == Status.DESTROYED ? "stopped" : s.name().toLowerCase(Locale.ROOT);
    }

    // tag::runc-state[]
    /**
     * The state runc prints. The pid is 0 once the container stopped, as runc.
     *
     * @param c a loaded container
     * @return the JSON object, members in runc's order
     */
    static ObjectNode json(LinuxContainer c) {
        ContainerState s = c.state();
        RuncState r = read(c.stateDir());
        ObjectNode n = JSON.createObjectNode();
        n.put("ociVersion", r.ociVersion());
        n.put("id", s.id());
        n.put("pid", s.status() == Status.STOPPED || s.status() == Status.DESTROYED ? 0 : s.pid());
        n.put("status", statusName(s.status()));
        n.put("bundle", r.bundle());
        n.put("rootfs", s.rootfs());
        n.put("created", goTime(s.created()));
        if (r.annotations() != null && !r.annotations().isEmpty()) {
            ObjectNode a = n.putObject("annotations");
            new LinkedHashMap<>(r.annotations()).forEach(a::put);
        }
        n.put("owner", "");
        return n;
    }
    // end::runc-state[]

    /**
     * Go's RFC 3339 with nanoseconds, as {@code time.Time} marshals: the fraction without trailing zeros.
     *
     * @param iso an ISO-8601 instant ({@code 2026-12-01T18:00:00.120Z}), or null
     * @return e.g. {@code 2026-12-01T18:00:00.12Z}; Go's zero time for null
     */
    static String goTime(String iso) {
        if (iso == null) {
            return "0001-01-01T00:00:00Z";
        }
        java.time.Instant t = java.time.Instant.parse(iso);
        String base = java.time.format.DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss")
                .withZone(java.time.ZoneOffset.UTC).format(t);
        if (t.getNano() == 0) {
            return base + "Z";
        }
        String frac = String.format("%09d", t.getNano()).replaceAll("0+$", "");
        return base + "." + frac + "Z";
    }
}
