package dev.rabbithole.stage3.runc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Iterator;
import java.util.Map;

/**
 * JSON laid out as Go's {@code json.MarshalIndent(v, "", indent)} lays it out, which runc uses for
 * {@code state} (two spaces) and {@code spec} (a tab): one member per line, {@code "key": value}, empty arrays and
 * objects as {@code []} and {@code {}}. Scalars are written by Jackson.
 */
public final class GoJson {
    private static final ObjectMapper JSON = new ObjectMapper();

    private GoJson() {
    }

    /**
     * @param node   the value
     * @param indent one level of indentation, e.g. two spaces or a tab
     * @return the text, without a final newline
     */
    public static String indent(JsonNode node, String indent) {
        StringBuilder b = new StringBuilder();
        write(b, node, indent, "");
        return b.toString();
    }

    private static void write(StringBuilder b, JsonNode n, String indent, String prefix) {
        if (n.isObject()) {
            if (n.isEmpty()) {
                b.append("{}");
                return;
            }
            b.append("{\n");
            for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                b.append(prefix).append(indent).append(scalar(JSON.getNodeFactory().textNode(e.getKey()))).append(": ");
                write(b, e.getValue(), indent, prefix + indent);
                b.append(it.hasNext() ? ",\n" : "\n");
            }
            b.append(prefix).append('}');
        } else if (n.isArray()) {
            if (n.isEmpty()) {
                b.append("[]");
                return;
            }
            b.append("[\n");
            for (int i = 0; i < n.size(); i++) {
                b.append(prefix).append(indent);
                write(b, n.get(i), indent, prefix + indent);
                b.append(i + 1 < n.size() ? ",\n" : "\n");
            }
            b.append(prefix).append(']');
        } else {
            b.append(scalar(n));
        }
    }

    private static String scalar(JsonNode n) {
        try {
            return JSON.writeValueAsString(n);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
