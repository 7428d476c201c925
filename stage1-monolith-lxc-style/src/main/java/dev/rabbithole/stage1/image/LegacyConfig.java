package dev.rabbithole.stage1.image;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.CharacterEscapes;
import com.fasterxml.jackson.core.io.SerializedString;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;

/**
 * Docker 20.10's own shapes of an image config's fields, rebuilt from the config blob so that what we print and
 * hash is what dockerd prints and hashes: the Engine API's {@code ContainerConfig} (dockerd's
 * {@code container.Config}, every field in its order, the {@code omitempty} ones only when set) that
 * {@code docker image inspect} shows as {@code Config} and {@code ContainerConfig}, the legacy "v1 image" JSON a
 * {@code docker save} archive carries per layer ({@code V1ID/json}), and Go's {@code encoding/json} spelling
 * ({@code <}, {@code >}, {@code &}, U+2028 and U+2029 escaped) that the v1 IDs are sha256 of. Keys of the source
 * are matched case-insensitively, as Go's decoder does; unknown keys are dropped, as Go's struct decoding does.
 */
public final class LegacyConfig {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    private static final ObjectMapper GO = goMapper();

    private LegacyConfig() {
    }

    /**
     * Docker's {@code container.Config} for a config's {@code config} or {@code container_config} object: Hostname,
     * Domainname, User, AttachStdin, AttachStdout, AttachStderr, ExposedPorts (only when set), Tty, OpenStdin,
     * StdinOnce, Env, Cmd, Healthcheck and ArgsEscaped (only when set), Image, Volumes, WorkingDir, Entrypoint,
     * NetworkDisabled and MacAddress (only when set), OnBuild, Labels, StopSignal, StopTimeout and Shell (only when
     * set). Maps come with their keys sorted, as Go writes them.
     *
     * @param src the object from the config blob; null or a non-object gives the empty struct
     * @return a new object in that order
     */
    public static ObjectNode containerConfig(JsonNode src) {
        JsonNode s = src != null && src.isObject() ? src : F.objectNode();
        ObjectNode c = F.objectNode();
        c.put("Hostname", text(s, "Hostname"));
        c.put("Domainname", text(s, "Domainname"));
        c.put("User", text(s, "User"));
        c.put("AttachStdin", bool(s, "AttachStdin"));
        c.put("AttachStdout", bool(s, "AttachStdout"));
        c.put("AttachStderr", bool(s, "AttachStderr"));
        JsonNode ports = set(s, "ExposedPorts");
        if (ports.isObject() && !ports.isEmpty()) c.set("ExposedPorts", ports);
        c.put("Tty", bool(s, "Tty"));
        c.put("OpenStdin", bool(s, "OpenStdin"));
        c.put("StdinOnce", bool(s, "StdinOnce"));
        c.set("Env", strings(s, "Env"));
        c.set("Cmd", strings(s, "Cmd"));
        JsonNode hc = get(s, "Healthcheck");
        if (hc != null && hc.isObject()) c.set("Healthcheck", healthcheck(hc));
        if (bool(s, "ArgsEscaped")) c.put("ArgsEscaped", true);
        c.put("Image", text(s, "Image"));
        c.set("Volumes", set(s, "Volumes"));
        c.put("WorkingDir", text(s, "WorkingDir"));
        c.set("Entrypoint", strings(s, "Entrypoint"));
        if (bool(s, "NetworkDisabled")) c.put("NetworkDisabled", true);
        if (!text(s, "MacAddress").isEmpty()) c.put("MacAddress", text(s, "MacAddress"));
        c.set("OnBuild", strings(s, "OnBuild"));
        c.set("Labels", sortedStrings(get(s, "Labels")));
        if (!text(s, "StopSignal").isEmpty()) c.put("StopSignal", text(s, "StopSignal"));
        JsonNode stopTimeout = get(s, "StopTimeout");
        if (stopTimeout != null && stopTimeout.canConvertToInt()) c.put("StopTimeout", stopTimeout.asInt());
        JsonNode shell = strings(s, "Shell");
        if (shell.isArray() && !shell.isEmpty()) c.set("Shell", shell);
        return c;
    }

    /**
     * The v1 image JSON of an image's top layer (dockerd's {@code image.V1Image} as read from the config blob):
     * comment, created, container, container_config, docker_version, author, config, architecture, variant, os,
     * each left out when empty except {@code created} and {@code container_config}. Without {@code id} and
     * {@code parent}, which {@code docker save} sets per layer.
     *
     * @param rawConfig the parsed config blob
     * @return a new object in that order
     */
    public static ObjectNode v1Image(JsonNode rawConfig) {
        ObjectNode v = F.objectNode();
        putIfText(v, "parent", text(rawConfig, "parent"));
        putIfText(v, "comment", text(rawConfig, "comment"));
        v.put("created", goTime(text(rawConfig, "created")));
        putIfText(v, "container", text(rawConfig, "container"));
        v.set("container_config", containerConfig(get(rawConfig, "container_config")));
        putIfText(v, "docker_version", text(rawConfig, "docker_version"));
        putIfText(v, "author", text(rawConfig, "author"));
        JsonNode config = get(rawConfig, "config");
        if (config != null && config.isObject()) v.set("config", containerConfig(config));
        putIfText(v, "architecture", text(rawConfig, "architecture"));
        putIfText(v, "variant", text(rawConfig, "variant"));
        putIfText(v, "os", text(rawConfig, "os"));
        return v;
    }

    /**
     * The v1 image JSON of a layer below the top: only {@code created} (the epoch) and an empty
     * {@code container_config}, as dockerd writes for pre-1.9 clients.
     */
    public static ObjectNode v1Lower() {
        ObjectNode v = F.objectNode();
        v.put("created", "1970-01-01T00:00:00Z");
        v.set("container_config", containerConfig(null));
        return v;
    }

    /**
     * Compact JSON as Go's {@code encoding/json} writes it: {@code <}, {@code >}, {@code &}, U+2028, U+2029 and
     * control characters other than {@code \n}, {@code \r}, {@code \t} as {@code \}{@code u00xx}, key order as given.
     *
     * @param node what to write
     * @return UTF-8 bytes
     */
    public static byte[] goJson(JsonNode node) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try (JsonGenerator g = GO.getFactory().createGenerator(out)) {
                GO.writeTree(g, node);
            }
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** An RFC 3339 time as Go's {@code time.Time} writes it back (RFC3339Nano: no trailing zeros); unparsable as is. */
    static String goTime(String t) {
        if (t == null || t.isEmpty()) return "0001-01-01T00:00:00Z";
        try {
            OffsetDateTime odt = OffsetDateTime.parse(t);
            StringBuilder b = new StringBuilder(odt.format(DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss")));
            int nanos = odt.getNano();
            if (nanos != 0) {
                String frac = String.format("%09d", nanos).replaceAll("0+$", "");
                b.append('.').append(frac);
            }
            b.append(odt.getOffset().equals(ZoneOffset.UTC) ? "Z" : odt.getOffset().getId());
            return b.toString();
        } catch (RuntimeException e) {
            return t;
        }
    }

    // --- Go's decoding of the fields --------------------------------------------------------

    /** A field by name, case-insensitively (an exact match first), as Go's decoder finds it. */
    private static JsonNode get(JsonNode s, String name) {
        if (s == null || !s.isObject()) return null;
        JsonNode exact = s.get(name);
        if (exact != null) return exact;
        for (Iterator<Map.Entry<String, JsonNode>> it = s.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getKey().equalsIgnoreCase(name)) return e.getValue();
        }
        return null;
    }

    private static String text(JsonNode s, String name) {
        JsonNode n = get(s, name);
        return n != null && n.isTextual() ? n.asText() : "";
    }

    private static boolean bool(JsonNode s, String name) {
        JsonNode n = get(s, name);
        return n != null && n.isBoolean() && n.asBoolean();
    }

    /** {@code []string} and {@code strslice.StrSlice} (a lone string is a one-element list): null when unset. */
    private static JsonNode strings(JsonNode s, String name) {
        JsonNode n = get(s, name);
        if (n == null || n.isNull()) return NullNode.instance;
        if (n.isTextual()) return F.arrayNode().add(n.asText());
        if (!n.isArray()) return NullNode.instance;
        ArrayNode a = F.arrayNode();
        n.forEach(e -> a.add(e.asText()));
        return a;
    }

    /** {@code map[string]struct{}} (ExposedPorts, Volumes): keys sorted, values {}; null when unset. */
    private static JsonNode set(JsonNode s, String name) {
        JsonNode n = get(s, name);
        if (n == null || !n.isObject()) return NullNode.instance;
        ObjectNode o = F.objectNode();
        new TreeMap<>(iterable(n)).keySet().forEach(k -> o.set(k, F.objectNode()));
        return o;
    }

    /** {@code map[string]string}: keys sorted; null when unset. */
    private static JsonNode sortedStrings(JsonNode n) {
        if (n == null || !n.isObject()) return NullNode.instance;
        ObjectNode o = F.objectNode();
        new TreeMap<>(iterable(n)).forEach((k, v) -> o.put(k, v.asText()));
        return o;
    }

    private static Map<String, JsonNode> iterable(JsonNode n) {
        Map<String, JsonNode> m = new TreeMap<>();
        n.fields().forEachRemaining(e -> m.put(e.getKey(), e.getValue()));
        return m;
    }

    /** {@code container.HealthConfig}: Test, Interval, Timeout, StartPeriod, Retries, each only when set. */
    private static ObjectNode healthcheck(JsonNode hc) {
        ObjectNode h = F.objectNode();
        JsonNode test = strings(hc, "Test");
        if (test.isArray() && !test.isEmpty()) h.set("Test", test);
        for (String d : new String[] {"Interval", "Timeout", "StartPeriod"}) {
            JsonNode v = get(hc, d);
            if (v != null && v.canConvertToLong() && v.asLong() != 0) h.put(d, v.asLong());
        }
        JsonNode retries = get(hc, "Retries");
        if (retries != null && retries.canConvertToInt() && retries.asInt() != 0) h.put("Retries", retries.asInt());
        return h;
    }

    private static void putIfText(ObjectNode o, String key, String value) {
        if (!value.isEmpty()) o.put(key, value);
    }

    // --- Go's encoding ----------------------------------------------------------------------

    private static ObjectMapper goMapper() {
        ObjectMapper m = new ObjectMapper();
        m.getFactory().setCharacterEscapes(new GoEscapes());
        return m;
    }

    /** encoding/json's escaping with HTML escaping on (json.Marshal's default). */
    private static final class GoEscapes extends CharacterEscapes {
        private final int[] table;

        GoEscapes() {
            table = standardAsciiEscapesForJSON();
            table['<'] = ESCAPE_CUSTOM;
            table['>'] = ESCAPE_CUSTOM;
            table['&'] = ESCAPE_CUSTOM;
            for (int c = 0; c < 0x20; c++) {
                if (c != '\n' && c != '\r' && c != '\t') table[c] = ESCAPE_CUSTOM;
            }
        }

        @Override
        public int[] getEscapeCodesForAscii() {
            return table;
        }

        @Override
        public SerializableString getEscapeSequence(int ch) {
            if (ch < 0x80 || ch == 0x2028 || ch == 0x2029) {
                return new SerializedString(String.format("\\u%04x", ch));
            }
            return null;
        }
    }
}
