package dev.rabbithole.stage1.client;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * A complete Engine API answer.
 *
 * @param status  the HTTP status code
 * @param headers response headers, names in lower case (one value each; the last wins)
 * @param body    the body bytes (empty when there is none)
 */
public record EngineResponse(int status, Map<String, String> headers, byte[] body) {

    /** @return the body as UTF-8 text */
    public String text() {
        return new String(body, StandardCharsets.UTF_8);
    }

    /**
     * @return the body parsed as JSON (a missing node for an empty body)
     * @throws EngineClientException when the body is not JSON
     */
    public JsonNode json() {
        try {
            return body.length == 0 ? EngineClient.JSON.missingNode() : EngineClient.JSON.readTree(body);
        } catch (IOException e) {
            throw new EngineClientException("the daemon answered " + status + " with a body that is not JSON: " + Listings.ellipsis(text(), 200), e);
        }
    }

    /**
     * The error message of an error answer: the {@code message} field of {@code {"message": ...}}, or the body text.
     *
     * @return one line for the user
     */
    public String errorMessage() {
        try {
            JsonNode node = EngineClient.JSON.readTree(body);
            if (node != null && node.hasNonNull("message")) {
                return node.get("message").asText();
            }
        } catch (IOException | RuntimeException notJson) {
            // fall through: plain text body
        }
        String text = text().strip();
        return text.isEmpty() ? "HTTP " + status : text;
    }
}
