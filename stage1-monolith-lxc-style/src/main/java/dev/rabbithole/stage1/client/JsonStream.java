package dev.rabbithole.stage1.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The JSON message streams of {@code POST /images/create} and {@code POST /images/load}: JSON objects one
 * after another ({@code {"status": ...}}, {@code {"stream": ...}}, {@code {"error": ...}}).
 */
public final class JsonStream {
    private JsonStream() { }

    /**
     * @param body the response body
     * @return the objects in order; a body that is not JSON gives one text node holding it
     */
    public static List<JsonNode> parse(byte[] body) {
        List<JsonNode> out = new ArrayList<>();
        try (MappingIterator<JsonNode> it = EngineClient.JSON.readerFor(JsonNode.class).readValues(body)) {
            while (it.hasNextValue()) {
                out.add(it.nextValue());
            }
        } catch (IOException | RuntimeException e) {
            out.clear();
            out.add(EngineClient.JSON.getNodeFactory().textNode(new String(body, java.nio.charset.StandardCharsets.UTF_8)));
        }
        return out;
    }
}
