package dev.rabbithole.stage1.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rabbithole.stage1.daemon.Event;

import java.util.List;
import java.util.Map;

/**
 * The {@code filters} parameter of {@code GET /events} (Engine API 1.41), matched as dockerd's
 * {@code daemon/events/filter.go}: values of one name are alternatives, names are combined with AND.
 * {@code type} (container, image, ...), {@code event} (the action, or its part before a colon:
 * {@code exec_create} matches {@code exec_create: sh}), {@code container} (an ID or name, or a prefix of either),
 * {@code image} (the container's image or the image event's actor, with or without its tag), {@code label}
 * ({@code key} or {@code key=value} among the attributes). Other names are ignored, as dockerd 20.10 does.
 */
final class EventFilters {

    private final Map<String, List<String>> filters;

    private EventFilters(Map<String, List<String>> filters) {
        this.filters = filters;
    }

    /**
     * @param param the URL-decoded parameter, null or empty for none
     * @throws dev.rabbithole.stage1.errdefs.InvalidParameterException JSON that is not a filter object
     */
    static EventFilters parse(ObjectMapper json, String param) {
        return new EventFilters(FilterArgs.decode(json, param, (name, values) -> { }));
    }

    /** @return whether the event passes every filter */
    boolean matches(Event e) {
        return any("type", v -> v.equals(e.type()))
                && any("event", v -> v.equals(e.action()) || v.equals(e.baseAction()))
                && any("container", v -> e.type().equals("container") && (e.actorId().startsWith(v)
                        || e.attributes().getOrDefault("name", "").startsWith(v)))
                && any("image", v -> image(e, v))
                && any("label", v -> label(e, v));
    }

    private boolean any(String name, java.util.function.Predicate<String> test) {
        List<String> values = filters.get(name);
        return values == null || values.isEmpty() || values.stream().anyMatch(test);
    }

    private static boolean image(Event e, String v) {
        String img = e.type().equals("image") ? e.actorId() : e.attributes().getOrDefault("image", "");
        return img.equals(v) || stripTag(img).equals(stripTag(v)) && !v.contains(":")
                || e.attributes().getOrDefault("name", "").equals(v) && e.type().equals("image");
    }

    private static String stripTag(String ref) {
        int colon = ref.lastIndexOf(':');
        return colon > ref.lastIndexOf('/') && colon >= 0 ? ref.substring(0, colon) : ref;
    }

    private static boolean label(Event e, String v) {
        int eq = v.indexOf('=');
        if (eq < 0) {
            return e.attributes().containsKey(v);
        }
        return v.substring(eq + 1).equals(e.attributes().get(v.substring(0, eq)));
    }
}
