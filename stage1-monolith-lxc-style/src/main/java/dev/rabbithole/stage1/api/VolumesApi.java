package dev.rabbithole.stage1.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rabbithole.stage1.daemon.Daemon;
import dev.rabbithole.stage1.errdefs.InvalidParameterException;
import dev.rabbithole.stage1.volume.MountPoint;
import dev.rabbithole.stage1.volume.Volume;
import dev.rabbithole.stage1.volume.VolumeStore;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The volume endpoints of the Engine API 1.41 ({@code docker volume ...}): {@code GET /volumes} (filters
 * {@code dangling}, {@code name}, {@code driver}, {@code label}), {@code POST /volumes/create},
 * {@code GET /volumes/{name}}, {@code DELETE /volumes/{name}[?force=]} (409 while a container uses it),
 * {@code POST /volumes/prune}; and the {@code Mounts} array of a container's inspect.
 */
final class VolumesApi {

    private static final Set<String> FILTERS = Set.of("dangling", "name", "driver", "label");

    private VolumesApi() { }

    /** @return whether the path was a volume endpoint (then it was answered) */
    static boolean route(Daemon daemon, ObjectMapper json, Exchange ex, String path, boolean get, boolean post,
                         boolean delete) throws IOException {
        if (!path.equals("/volumes") && !path.startsWith("/volumes/")) {
            return false;
        }
        VolumeStore store = daemon.volumes();
        switch (path) {
            case "/volumes" -> {
                if (!get) {
                    return false;
                }
                ObjectNode out = json.createObjectNode();
                ArrayNode list = out.putArray("Volumes");
                for (Volume v : filter(daemon, json, ex.param("filters"), store.list())) {
                    list.add(json.valueToTree(v));
                }
                out.putNull("Warnings");
                ex.json(200, out);
                return true;
            }
            case "/volumes/create" -> {
                if (!post) {
                    return false;
                }
                JsonNode body = ex.body().length == 0 ? json.createObjectNode() : json.readTree(ex.body());
                String driver = body.path("Driver").asText("");
                if (!driver.isEmpty() && !driver.equals("local")) {
                    throw new InvalidParameterException("volume driver " + driver + " is not supported: only local");
                }
                if (body.path("DriverOpts").size() > 0) {
                    throw new InvalidParameterException("options of the local driver (DriverOpts) are not supported");
                }
                Map<String, String> labels = new LinkedHashMap<>();
                body.path("Labels").fields().forEachRemaining(e -> labels.put(e.getKey(), e.getValue().asText()));
                ex.json(201, store.create(body.path("Name").asText(""), labels));
                return true;
            }
            case "/volumes/prune" -> {
                if (!post) {
                    return false;
                }
                VolumeStore.Pruned p = store.prune(daemon::volumeUsers);
                ObjectNode out = json.createObjectNode();
                ArrayNode names = out.putArray("VolumesDeleted");
                p.names().forEach(names::add);
                out.put("SpaceReclaimed", p.spaceReclaimed());
                ex.json(200, out);
                return true;
            }
            default -> {
                String name = path.substring("/volumes/".length());
                if (get) {
                    ex.json(200, store.get(name));
                    return true;
                }
                if (delete) {
                    store.remove(name, ex.flag("force"), daemon::volumeUsers);
                    ex.empty(204);
                    return true;
                }
                return false;
            }
        }
    }

    private static List<Volume> filter(Daemon daemon, ObjectMapper json, String param, List<Volume> all) {
        Map<String, List<String>> f = FilterArgs.decode(json, param, (name, values) -> {
            if (!FILTERS.contains(name)) {
                throw new InvalidParameterException("Invalid filter '" + name + "'");
            }
        });
        List<Volume> out = new ArrayList<>();
        for (Volume v : all) {
            if (f.containsKey("dangling")) {
                boolean dangling = f.get("dangling").stream().anyMatch(x -> x.equals("true") || x.equals("1"));
                if (daemon.volumeUsers(v.name()).isEmpty() != dangling) {
                    continue;
                }
            }
            if (f.containsKey("name") && f.get("name").stream().noneMatch(n -> v.name().contains(n))) {
                continue;
            }
            if (f.containsKey("driver") && !f.get("driver").contains(v.driver())) {
                continue;
            }
            if (f.containsKey("label") && !f.get("label").stream().allMatch(l -> hasLabel(v, l))) {
                continue;
            }
            out.add(v);
        }
        return out;
    }

    private static boolean hasLabel(Volume v, String filter) {
        Map<String, String> labels = v.labels() == null ? Map.of() : v.labels();
        int eq = filter.indexOf('=');
        return eq < 0 ? labels.containsKey(filter) : filter.substring(eq + 1).equals(labels.get(filter.substring(0, eq)));
    }

    /**
     * A container's {@code Mounts} as {@code GET /containers/{id}/json} shows them (Engine API {@code MountPoint}):
     * Type, Name (volumes only), Source, Destination, Driver (volumes only), Mode, RW, Propagation.
     */
    static ArrayNode mounts(ObjectMapper json, List<MountPoint> points) {
        ArrayNode out = json.createArrayNode();
        for (MountPoint m : points) {
            ObjectNode n = out.addObject();
            n.put("Type", m.type());
            if (m.isVolume()) {
                n.put("Name", m.name());
            }
            n.put("Source", m.source());
            n.put("Destination", m.destination());
            if (m.isVolume()) {
                n.put("Driver", m.driver());
            }
            n.put("Mode", m.mode());
            n.put("RW", m.rw());
            n.put("Propagation", m.propagation());
        }
        return out;
    }
}
