package dev.rabbithole.stage1.daemon;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rabbithole.stage1.errdefs.InvalidParameterException;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code docker commit --change} and {@code docker import --change}: Dockerfile instructions applied to an image
 * config, as dockerd 20.10's {@code BuildFromConfig} applies them. The instructions it accepts (checked against
 * it) are CMD, ENTRYPOINT, ENV, EXPOSE, HEALTHCHECK, LABEL, ONBUILD, USER, VOLUME and WORKDIR; any other is
 * refused with {@code <instruction> is not a valid change command} (STOPSIGNAL too: 20.10 refuses it). The
 * Dockerfile reference gives the syntax: exec form (a JSON array) or shell form ({@code /bin/sh -c}); ENV, LABEL,
 * EXPOSE, USER, VOLUME and WORKDIR see {@code $VAR} and {@code ${VAR}} from the config's Env.
 *
 * <p>The config is the Engine API's {@code ContainerConfig} JSON object (PascalCase keys), changed in place.
 */
public final class ConfigChanges {
    private ConfigChanges() { }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final Pattern VAR = Pattern.compile("\\$(?:\\{([A-Za-z_][A-Za-z0-9_]*)}|([A-Za-z_][A-Za-z0-9_]*))");
    private static final List<String> VALID = List.of("cmd", "entrypoint", "healthcheck", "env", "expose", "label",
            "onbuild", "user", "volume", "workdir");

    /**
     * Checks every change first, then applies them in order.
     *
     * @param config  the config to change ({@code Cmd}, {@code Env}, ... keys)
     * @param changes Dockerfile lines, each may hold several lines and {@code \} continuations; null for none
     * @throws InvalidParameterException an instruction that is not allowed, or a malformed one (Docker's message)
     */
    public static void apply(ObjectNode config, List<String> changes) {
        if (changes == null || changes.isEmpty()) return;
        List<String[]> instructions = new ArrayList<>();
        for (String line : logicalLines(String.join("\n", changes))) {
            String[] kv = line.trim().split("\\s+", 2);
            String keyword = kv[0].toLowerCase(Locale.ROOT);
            if (!VALID.contains(keyword)) throw new InvalidParameterException(keyword + " is not a valid change command");
            instructions.add(new String[] {keyword, kv.length > 1 ? kv[1].trim() : ""});
        }
        boolean cmdSet = false;
        for (String[] in : instructions) {
            String args = in[1];
            switch (in[0]) {
                case "cmd" -> {
                    config.set("Cmd", command(args, "CMD"));
                    cmdSet = true;
                }
                case "entrypoint" -> {
                    JsonNode ep = command(args, "ENTRYPOINT");
                    config.set("Entrypoint", ep.isArray() && ep.size() == 0 && !args.trim().startsWith("[") ? NullNode.instance : ep);
                    if (!cmdSet) config.set("Cmd", NullNode.instance);   // ENTRYPOINT resets an inherited CMD
                }
                case "env" -> {
                    Map<String, String> pairs = pairs(args, "ENV", config);
                    ArrayNode env = config.get("Env") instanceof ArrayNode a ? a : NODES.arrayNode();
                    for (Map.Entry<String, String> p : pairs.entrySet()) {
                        String entry = p.getKey() + "=" + p.getValue();
                        boolean replaced = false;
                        for (int i = 0; i < env.size(); i++) {
                            if (env.get(i).asText().startsWith(p.getKey() + "=") || env.get(i).asText().equals(p.getKey())) {
                                env.set(i, NODES.textNode(entry));
                                replaced = true;
                            }
                        }
                        if (!replaced) env.add(entry);
                    }
                    config.set("Env", env);
                }
                case "label" -> {
                    ObjectNode labels = config.get("Labels") instanceof ObjectNode o ? o : NODES.objectNode();
                    pairs(args, "LABEL", config).forEach(labels::put);
                    config.set("Labels", labels);
                }
                case "expose" -> {
                    ObjectNode ports = config.get("ExposedPorts") instanceof ObjectNode o ? o : NODES.objectNode();
                    for (String w : words(args, config)) {
                        String port = w.contains("/") ? w.toLowerCase(Locale.ROOT) : w + "/tcp";
                        if (!port.matches("[0-9]+(-[0-9]+)?/(tcp|udp|sctp)")) {
                            throw new InvalidParameterException("Invalid containerPort: " + w);
                        }
                        ports.set(port, NODES.objectNode());
                    }
                    config.set("ExposedPorts", ports);
                }
                case "user" -> {
                    List<String> w = words(args, config);
                    if (w.size() != 1) throw new InvalidParameterException("USER requires exactly one argument");
                    config.put("User", w.get(0));
                }
                case "volume" -> {
                    ObjectNode vols = config.get("Volumes") instanceof ObjectNode o ? o : NODES.objectNode();
                    List<String> paths = args.trim().startsWith("[") ? jsonArray(args, "VOLUME") : words(args, config);
                    if (paths.isEmpty()) throw new InvalidParameterException("VOLUME requires at least one argument");
                    for (String v : paths) {
                        if (v.isBlank()) throw new InvalidParameterException("VOLUME specified can not be an empty string");
                        vols.set(v.trim(), NODES.objectNode());
                    }
                    config.set("Volumes", vols);
                }
                case "workdir" -> {
                    List<String> w = words(args, config);
                    if (w.size() != 1) throw new InvalidParameterException("WORKDIR requires exactly one argument");
                    String dir = w.get(0);
                    String current = config.path("WorkingDir").asText("");
                    if (!dir.startsWith("/")) dir = (current.isEmpty() ? "/" : current) + "/" + dir;
                    config.put("WorkingDir", java.nio.file.Path.of(dir).normalize().toString());
                }
                case "onbuild" -> {
                    String trigger = args.trim();
                    String first = trigger.split("\\s+", 2)[0].toUpperCase(Locale.ROOT);
                    if (first.equals("ONBUILD")) throw new InvalidParameterException("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
                    if (first.equals("FROM") || first.equals("MAINTAINER")) {
                        throw new InvalidParameterException(first + " isn't allowed as an ONBUILD trigger");
                    }
                    ArrayNode onBuild = config.get("OnBuild") instanceof ArrayNode a ? a : NODES.arrayNode();
                    onBuild.add(trigger);
                    config.set("OnBuild", onBuild);
                }
                case "healthcheck" -> config.set("Healthcheck", healthcheck(args));
                default -> throw new IllegalStateException(in[0]);
            }
        }
    }

    /** Lines of a Dockerfile fragment: {@code \} at a line's end joins the next, comments and blank lines go. */
    static List<String> logicalLines(String text) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        for (String raw : text.split("\n", -1)) {
            String line = raw.stripTrailing();
            if (cur.length() == 0 && (line.isBlank() || line.stripLeading().startsWith("#"))) continue;
            if (line.endsWith("\\")) {
                cur.append(line, 0, line.length() - 1);
                continue;
            }
            cur.append(line);
            if (!cur.toString().isBlank()) out.add(cur.toString());
            cur.setLength(0);
        }
        if (!cur.toString().isBlank()) out.add(cur.toString());
        return out;
    }

    /** Exec form (a JSON array of strings) or shell form ({@code ["/bin/sh", "-c", text]}). */
    private static JsonNode command(String args, String what) {
        String a = args.trim();
        if (a.startsWith("[")) {
            try {
                List<String> words = JSON.readValue(a, new TypeReference<List<String>>() { });
                ArrayNode n = NODES.arrayNode();
                words.forEach(n::add);
                return n;
            } catch (java.io.IOException notJson) {
                // Docker falls back to the shell form for a line that is not a JSON array
            }
        }
        if (a.isEmpty()) return NODES.arrayNode();
        ArrayNode n = NODES.arrayNode();
        n.add("/bin/sh").add("-c").add(a);
        return n;
    }

    private static List<String> jsonArray(String args, String what) {
        try {
            return JSON.readValue(args.trim(), new TypeReference<List<String>>() { });
        } catch (java.io.IOException e) {
            return List.of(args.trim());
        }
    }

    /** {@code KEY=VALUE ...} pairs (quotes and {@code $VAR} as a shell word), or the old {@code KEY VALUE...} form. */
    private static Map<String, String> pairs(String args, String what, ObjectNode config) {
        Map<String, String> out = new java.util.LinkedHashMap<>();
        String a = args.trim();
        if (a.isEmpty()) throw new InvalidParameterException(what + " requires at least one argument");
        String first = a.split("\\s+", 2)[0];
        if (!first.contains("=")) {                     // ENV KEY VALUE with spaces
            String[] kv = a.split("\\s+", 2);
            if (kv.length < 2) throw new InvalidParameterException(what + " must have two arguments");
            out.put(kv[0], String.join(" ", words(kv[1], config)));
            return out;
        }
        for (String w : words(a, config)) {
            int eq = w.indexOf('=');
            if (eq <= 0) throw new InvalidParameterException("Syntax error - can't find = in \"" + w + "\". Must be of the form: name=value");
            out.put(w.substring(0, eq), w.substring(eq + 1));
        }
        return out;
    }

    /** Shell-like words: whitespace separates, quotes group, {@code \} escapes, {@code $VAR} expands (not in '...'). */
    static List<String> words(String text, ObjectNode config) {
        Map<String, String> env = new HashMap<>();
        if (config != null && config.get("Env") instanceof ArrayNode a) {
            for (JsonNode e : a) {
                String s = e.asText();
                int eq = s.indexOf('=');
                if (eq > 0) env.put(s.substring(0, eq), s.substring(eq + 1));
            }
        }
        List<String> out = new ArrayList<>();
        StringBuilder w = new StringBuilder();
        boolean inWord = false;
        char quote = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (quote == '\'') {
                if (c == '\'') quote = 0; else w.append(c);
            } else if (c == '\\' && i + 1 < text.length()) {
                w.append(text.charAt(++i));
                inWord = true;
            } else if (quote == '"' && c == '"') {
                quote = 0;
            } else if (quote == 0 && (c == '"' || c == '\'')) {
                quote = c;
                inWord = true;
            } else if (c == '$') {
                Matcher m = VAR.matcher(text).region(i, text.length());
                if (m.lookingAt()) {
                    String name = m.group(1) != null ? m.group(1) : m.group(2);
                    w.append(env.getOrDefault(name, ""));
                    i = m.end() - 1;
                } else {
                    w.append(c);
                }
                inWord = true;
            } else if (quote == 0 && Character.isWhitespace(c)) {
                if (inWord) out.add(w.toString());
                w.setLength(0);
                inWord = false;
            } else {
                w.append(c);
                inWord = true;
            }
        }
        if (inWord) out.add(w.toString());
        return out;
    }

    /** {@code HEALTHCHECK NONE} or {@code HEALTHCHECK [--interval=D] [--timeout=D] [--start-period=D] [--retries=N] CMD ...}. */
    private static JsonNode healthcheck(String args) {
        String a = args.trim();
        ObjectNode hc = NODES.objectNode();
        if (a.equalsIgnoreCase("NONE")) {
            hc.set("Test", NODES.arrayNode().add("NONE"));
            return hc;
        }
        while (a.startsWith("--")) {
            String[] kv = a.split("\\s+", 2);
            String flag = kv[0];
            a = kv.length > 1 ? kv[1].trim() : "";
            int eq = flag.indexOf('=');
            if (eq < 0) throw new InvalidParameterException("HEALTHCHECK flag " + flag + " needs a value");
            String name = flag.substring(2, eq), value = flag.substring(eq + 1);
            switch (name) {
                case "interval" -> hc.put("Interval", nanos(value));
                case "timeout" -> hc.put("Timeout", nanos(value));
                case "start-period" -> hc.put("StartPeriod", nanos(value));
                case "retries" -> hc.put("Retries", Integer.parseInt(value));
                default -> throw new InvalidParameterException("Unknown flag: " + name);
            }
        }
        String[] kv = a.split("\\s+", 2);
        if (!kv[0].equalsIgnoreCase("CMD") || kv.length < 2) {
            throw new InvalidParameterException("Unknown type \"" + kv[0].toUpperCase(Locale.ROOT) + "\" in HEALTHCHECK (try CMD)");
        }
        ArrayNode test = NODES.arrayNode();
        List<String> exec = null;
        if (kv[1].trim().startsWith("[")) {
            try {
                exec = JSON.readValue(kv[1].trim(), new TypeReference<List<String>>() { });
            } catch (java.io.IOException notJson) {
                // shell form
            }
        }
        if (exec != null) {
            test.add("CMD");
            exec.forEach(test::add);
        } else {
            test.add("CMD-SHELL").add(kv[1].trim());
        }
        hc.set("Test", test);
        return hc;
    }

    /** Go duration ({@code 30s}, {@code 1m30s}, {@code 500ms}) in nanoseconds. */
    private static long nanos(String d) {
        Matcher m = Pattern.compile("([0-9]+(?:\\.[0-9]+)?)(ns|us|µs|ms|s|m|h)").matcher(d);
        long total = 0;
        int end = 0;
        while (m.find() && m.start() == end) {
            double v = Double.parseDouble(m.group(1));
            long unit = switch (m.group(2)) {
                case "ns" -> 1L;
                case "us", "µs" -> 1_000L;
                case "ms" -> 1_000_000L;
                case "s" -> 1_000_000_000L;
                case "m" -> Duration.ofMinutes(1).toNanos();
                default -> Duration.ofHours(1).toNanos();
            };
            total += (long) (v * unit);
            end = m.end();
        }
        if (end == 0 || end != d.length()) throw new InvalidParameterException("time: invalid duration \"" + d + "\"");
        return total;
    }
}
