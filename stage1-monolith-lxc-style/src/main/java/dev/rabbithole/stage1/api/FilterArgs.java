package dev.rabbithole.stage1.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.rabbithole.stage1.errdefs.InvalidParameterException;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * The {@code filters} query parameter of the Engine API's list endpoints ({@code GET /containers/json},
 * {@code GET /images/json}): a JSON object from filter name to values, in either of the two forms the docker
 * CLI has sent over the years, {@code {"label":{"a=b":true}}} or {@code {"label":["a=b"]}} (Docker's
 * {@code filters.Args}).
 */
final class FilterArgs {
    private FilterArgs() {}

    /**
     * Decodes the parameter, handing each entry to {@code check} as soon as it is read, so that a list endpoint's
     * own errors (an unknown name, a bad value) come in the order of the entries.
     *
     * @param json  the mapper
     * @param param the URL-decoded {@code filters} value; null or blank for none
     * @param check called with each name and its values; throws the endpoint's {@link InvalidParameterException}
     * @return the names and their values, in the parameter's order
     * @throws InvalidParameterException {@code invalid filters: PARAM} for JSON that is not such an object
     */
    static Map<String, List<String>> decode(ObjectMapper json, String param, BiConsumer<String, List<String>> check) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        if (param == null || param.isBlank()) {
            return out;
        }
        JsonNode root;
        try {
            root = json.readTree(param);
        } catch (IOException e) {
            throw new InvalidParameterException("invalid filters: " + param);
        }
        if (root == null || !root.isObject()) {
            throw new InvalidParameterException("invalid filters: " + param);
        }
        var names = root.fieldNames();
        while (names.hasNext()) {
            String name = names.next();
            JsonNode v = root.get(name);
            List<String> values = new ArrayList<>();
            if (v.isObject()) {
                v.fieldNames().forEachRemaining(values::add);
            } else if (v.isArray()) {
                v.forEach(x -> values.add(x.asText()));
            } else {
                throw new InvalidParameterException("invalid filters: " + param);
            }
            check.accept(name, values);
            out.put(name, values);
        }
        return out;
    }
}
