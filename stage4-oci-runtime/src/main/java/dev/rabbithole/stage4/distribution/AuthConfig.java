package dev.rabbithole.stage4.distribution;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.rabbithole.stage1.errdefs.InvalidParameterException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * The credentials the docker CLI sends: Engine API 1.41's {@code AuthConfig}, in the {@code X-Registry-Auth}
 * header of pull and push (base64url of the JSON) and as the body of {@code POST /auth}. {@code auth} is
 * {@code base64(username:password)}, as in the CLI's config.json; {@code identitytoken} is an OAuth2 refresh
 * token a token server gave at login.
 *
 * @param username      or null
 * @param password      or null
 * @param auth          {@code base64(user:password)} or null
 * @param serverAddress the registry, e.g. {@code 127.0.0.1:5000} or {@code https://127.0.0.1:5000}, or null
 * @param identityToken a refresh token, or null
 * @param registryToken a bearer token to use as it is, or null
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record AuthConfig(@JsonProperty("username") String username, @JsonProperty("password") String password,
                         @JsonProperty("auth") String auth, @JsonProperty("serveraddress") String serverAddress,
                         @JsonProperty("identitytoken") String identityToken,
                         @JsonProperty("registrytoken") String registryToken) {

    /** No credentials: anonymous access. */
    public static final AuthConfig ANONYMOUS = new AuthConfig(null, null, null, null, null, null);

    private static final ObjectMapper JSON = JsonMapper.builder()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).build();

    /**
     * Decodes an {@code X-Registry-Auth} header (base64url, padded or not; standard base64 is accepted too).
     *
     * @param header the header's value, or null/empty for anonymous
     * @throws InvalidParameterException not base64 JSON
     */
    public static AuthConfig fromHeader(String header) {
        if (header == null || header.isBlank()) return ANONYMOUS;
        String h = header.trim().replace('+', '-').replace('/', '_');
        byte[] json;
        try {
            json = Base64.getUrlDecoder().decode(h);
        } catch (IllegalArgumentException e) {
            throw new InvalidParameterException("invalid X-Registry-Auth header: " + e.getMessage());
        }
        if (json.length == 0 || new String(json, StandardCharsets.UTF_8).trim().equals("{}")) return ANONYMOUS;
        return fromJson(json);
    }

    /**
     * @param json the JSON AuthConfig
     * @throws InvalidParameterException not a JSON object
     */
    public static AuthConfig fromJson(byte[] json) {
        try {
            AuthConfig a = JSON.readValue(json, AuthConfig.class);
            return a == null ? ANONYMOUS : a.withAuthSplit();
        } catch (IOException e) {
            throw new InvalidParameterException("invalid auth configuration: " + e.getMessage());
        }
    }

    /** @return this, with username and password taken from {@code auth} when they are missing */
    private AuthConfig withAuthSplit() {
        if ((username == null || username.isEmpty()) && auth != null && !auth.isEmpty()) {
            try {
                String up = new String(Base64.getDecoder().decode(auth.trim()), StandardCharsets.UTF_8);
                int colon = up.indexOf(':');
                if (colon > 0) {
                    return new AuthConfig(up.substring(0, colon), up.substring(colon + 1), auth, serverAddress,
                            identityToken, registryToken);
                }
            } catch (IllegalArgumentException ignored) {
                // not base64: keep as it is
            }
        }
        return this;
    }

    /** @return true when a username and password are given */
    public boolean hasPassword() {
        return username != null && !username.isEmpty() && password != null;
    }

    /** @return true when there is nothing to authenticate with */
    public boolean anonymous() {
        return !hasPassword() && empty(identityToken) && empty(registryToken);
    }

    private static boolean empty(String s) {
        return s == null || s.isEmpty();
    }

    /** @return {@code Basic base64(username:password)} */
    String basicHeader() {
        return "Basic " + Base64.getEncoder().encodeToString((username + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    /** Never shows the password or tokens. */
    @Override
    public String toString() {
        return "AuthConfig[username=" + username + ", serverAddress=" + serverAddress + "]";
    }
}
