package dev.rabbithole.stage1.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rabbithole.stage1.daemon.Container;
import dev.rabbithole.stage1.errdefs.InvalidParameterException;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * The {@code filters} parameter of {@code GET /containers/json} (Engine API 1.41): a JSON object from filter
 * name to values, {@code {"name":{"web":true},"status":{"exited":true}}} (or, from older clients,
 * {@code {"name":["web"]}}). Values of one name are alternatives, names are combined with AND.
 *
 * <p>Stage 1 implements {@code id} and {@code name} (regular expressions searched in the full ID and in the
 * name with its leading slash, as Docker matches them), {@code status} (created, running, exited, ...; it
 * implies {@code all}), {@code exited} (exit codes of containers that ran) and {@code label} ({@code key} or
 * {@code key=value}). Docker's other filter names are refused as not supported; unknown names as Docker does,
 * {@code invalid filter 'x'}.
 */
final class ContainerFilters {

    private static final Set<String> IMPLEMENTED = Set.of("id", "name", "status", "exited", "label");
    private static final Set<String> DOCKER_ONLY = Set.of("ancestor", "before", "since", "health", "isolation",
            "is-task", "volume", "network", "publish", "expose");
    private static final Set<String> STATES = Set.of("created", "restarting", "running", "removing", "paused",
            "exited", "dead");

    private final Map<String, List<String>> filters;

    private ContainerFilters(Map<String, List<String>> filters) {
        this.filters = filters;
    }

    /**
     * Parses and validates the parameter.
     *
     * @param json  the mapper
     * @param param the URL-decoded {@code filters} value; null or empty for none
     * @return the filters
     * @throws InvalidParameterException malformed JSON, {@code invalid filter 'x'} for a name Docker does not
     *                                   know, {@code invalid filter 'status=x'} / {@code 'exited=x'} for a bad
     *                                   value, or a Docker filter stage 1 does not implement
     */
    static ContainerFilters parse(ObjectMapper json, String param) {
        return new ContainerFilters(FilterArgs.decode(json, param, (name, values) -> {
            if (!IMPLEMENTED.contains(name)) {
                if (DOCKER_ONLY.contains(name)) {
                    throw new InvalidParameterException("filter '" + name + "' is not supported by stage 1"
                            + " (stage 1 filters by id, name, status, exited and label)");
                }
                throw new InvalidParameterException("invalid filter '" + name + "'");
            }
            for (String value : values) {
                if (name.equals("status") && !STATES.contains(value)) {
                    throw new InvalidParameterException("invalid filter 'status=" + value + "'");
                }
                if (name.equals("exited")) {
                    try {
                        Integer.parseInt(value);
                    } catch (NumberFormatException e) {
                        throw new InvalidParameterException("invalid filter 'exited=" + value + "'");
                    }
                }
            }
        }));
    }

    /** @return whether the filters ask for stopped containers too ({@code status}, as in Docker) */
    boolean impliesAll() {
        return filters.containsKey("status");
    }

    /**
     * @param c a container
     * @return whether it passes every filter
     */
    boolean matches(Container c) {
        for (Map.Entry<String, List<String>> f : filters.entrySet()) {
            List<String> values = f.getValue();
            if (values.isEmpty()) {
                continue;
            }
            boolean any = switch (f.getKey()) {
                case "id" -> values.stream().anyMatch(v -> search(v, c.id()));
                case "name" -> values.stream().anyMatch(v -> search(v, c.name()));
                case "status" -> values.contains(c.state().status());
                case "exited" -> !c.state().running() && !c.state().status().equals("created")
                        && values.stream().anyMatch(v -> Integer.parseInt(v) == c.state().exitCode());
                case "label" -> values.stream().allMatch(v -> label(v, c.config().labels()));
                default -> false;
            };
            if (!any) {
                return false;
            }
        }
        return true;
    }

    /** Docker matches id and name filters as regular expressions found anywhere in the value. */
    private static boolean search(String regex, String value) {
        try {
            return Pattern.compile(regex).matcher(value).find();
        } catch (PatternSyntaxException e) {
            return value.contains(regex);
        }
    }

    private static boolean label(String filter, Map<String, String> labels) {
        if (labels == null) {
            return false;
        }
        int eq = filter.indexOf('=');
        if (eq < 0) {
            return labels.containsKey(filter);
        }
        return filter.substring(eq + 1).equals(labels.get(filter.substring(0, eq)));
    }
}
