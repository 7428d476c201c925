package dev.rabbithole.stage4.distribution;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One repository on one registry, reached as the distribution-spec says: the {@code GET /v2/} probe picks the
 * endpoint (HTTPS, then plain HTTP for an insecure registry) and learns the challenge; every request then carries
 * what the challenge asks for:
 * <ul>
 * <li>{@code WWW-Authenticate: Basic realm=...}: {@code Authorization: Basic} with the AuthConfig's credentials;</li>
 * <li>{@code WWW-Authenticate: Bearer realm=R,service=S[,scope=...]}: a token from {@code R?service=S&scope=repository:NAME:ACTIONS}
 *     (Docker's token authentication: anonymously, with Basic credentials, or with an identity token as an
 *     OAuth2 refresh token), sent as {@code Authorization: Bearer TOKEN}.</li>
 * </ul>
 * A 401 on a request fetches a token for the scope its challenge names and retries once.
 */
final class RegistryClient {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern PARAM = Pattern.compile("([a-zA-Z_]+)=\"([^\"]*)\"");
    /** How long a response's headers may take. */
    static final Duration REQUEST_TIMEOUT = Duration.ofMinutes(2);
    /** How long the HTTPS probe of an insecure registry may take before plain HTTP is tried. */
    static final Duration PROBE_FALLBACK_TIMEOUT = Duration.ofSeconds(3);

    private final RegistryHosts hosts;
    private final String domain;
    private final String repository;
    private final AuthConfig auth;
    private final String actions;
    private RegistryHosts.Endpoint endpoint;
    private Map<String, String> challenge;      // scheme (lower case) and parameters; null: none
    private volatile String authorization;      // the header value to send, or null

    /**
     * @param repository the repository path, e.g. {@code app}
     * @param actions    {@code pull} or {@code pull,push}
     */
    RegistryClient(RegistryHosts hosts, String domain, String repository, AuthConfig auth, String actions) {
        this.hosts = hosts;
        this.domain = domain;
        this.repository = repository;
        this.auth = auth;
        this.actions = actions;
    }

    /** @return the repository path, e.g. {@code app} */
    String repository() {
        return repository;
    }

    /** @return the registry's base URI once {@link #probe()} ran, e.g. {@code http://127.0.0.1:5000} */
    URI base() {
        return endpoint.base();
    }

    /**
     * {@code GET /v2/} on each endpoint in turn until one answers (200 or 401), and keeps its challenge.
     *
     * @throws RegistryException no endpoint answered, or the registry is not a v2 registry
     */
    synchronized void probe() {
        if (endpoint != null) return;
        List<RegistryHosts.Endpoint> endpoints = hosts.endpoints(domain);
        String lastError = null;
        for (int i = 0; i < endpoints.size(); i++) {
            RegistryHosts.Endpoint e = endpoints.get(i);
            URI uri = e.base().resolve("/v2/");
            // an insecure registry's HTTPS try gives up soon: a plain HTTP server may never answer a TLS hello
            Duration timeout = i < endpoints.size() - 1 ? PROBE_FALLBACK_TIMEOUT : REQUEST_TIMEOUT;
            try {
                HttpResponse<byte[]> r = e.client().send(HttpRequest.newBuilder(uri).timeout(timeout).GET().build(),
                        HttpResponse.BodyHandlers.ofByteArray());
                if (r.statusCode() == 200 || r.statusCode() == 401) {
                    endpoint = e;
                    challenge = r.statusCode() == 401 ? parseChallenge(r.headers().firstValue("WWW-Authenticate").orElse("")) : null;
                    return;
                }
                lastError = "Get \"" + uri + "\": unexpected status " + r.statusCode() + " (not a registry's /v2/ API)";
            } catch (IOException ex) {
                lastError = "Get \"" + uri + "\": " + describe(ex, uri);
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                throw new RegistryException(500, null, "interrupted while reaching " + uri);
            }
        }
        throw new RegistryException(500, null, lastError);
    }

    /** @return the probe's challenge, scheme under {@code "scheme"}; null when {@code /v2/} needed none */
    synchronized Map<String, String> challenge() {
        probe();
        return challenge;
    }

    /**
     * Sends a request with this client's authorization; on a 401 authenticates for the challenge and retries once.
     *
     * @param method  {@code GET}, {@code HEAD}, {@code PUT}, {@code POST}, {@code PATCH}
     * @param target  a path ({@code /v2/...}) or an absolute URI (an upload's {@code Location})
     * @param headers request headers
     * @param body    makes the body anew for each try; null for none
     * @return the response with its body as a stream (the caller closes it)
     * @throws RegistryException unreachable, or a 401 after authenticating
     * @throws IOException       the connection failed
     */
    HttpResponse<InputStream> send(String method, String target, Map<String, String> headers,
                                   Supplier<HttpRequest.BodyPublisher> body) throws IOException {
        probe();
        URI uri = target.startsWith("http://") || target.startsWith("https://") ? URI.create(target) : endpoint.base().resolve(target);
        if (authorization == null && challenge != null) authenticate(challenge, method + " \"" + uri + "\"");
        for (int attempt = 0; ; attempt++) {
            HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(REQUEST_TIMEOUT)
                    .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : body.get());
            headers.forEach(b::header);
            String a = authorization;
            if (a != null) b.header("Authorization", a);
            HttpResponse<InputStream> r;
            try {
                r = endpoint.client().send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
            if (r.statusCode() != 401 || attempt > 0) return r;
            Map<String, String> c = parseChallenge(r.headers().firstValue("WWW-Authenticate").orElse(""));
            if (c.isEmpty()) return r;
            r.body().close();
            authenticate(c, method + " \"" + uri + "\"");
        }
    }

    /**
     * Sets {@link #authorization} for a challenge.
     *
     * @param failed the request, for the message: {@code GET "URI"}
     */
    // tag::registry-challenge[]
    private synchronized void authenticate(Map<String, String> c, String failed) {
        String scheme = c.getOrDefault("scheme", "");
        if (scheme.equals("basic")) {
            if (!auth.hasPassword()) {
                throw new RegistryException(500, "UNAUTHORIZED", failed + ": no basic auth credentials");
            }
            String h = auth.basicHeader();
            if (h.equals(authorization)) {
                throw new RegistryException(500, "UNAUTHORIZED", failed + ": unauthorized: authentication required");
            }
            authorization = h;
        } else if (scheme.equals("bearer")) {
            String scope = c.get("scope");
            if (scope == null || scope.isEmpty()) scope = "repository:" + repository + ":" + actions;
            String token = token(c.get("realm"), c.get("service"), scope);
            String h = "Bearer " + token;
            if (h.equals(authorization)) {
                throw new RegistryException(500, "UNAUTHORIZED", failed + ": unauthorized: authentication required");
            }
            authorization = h;
        } else {
            throw new RegistryException(500, null, "unsupported authentication scheme in WWW-Authenticate: " + scheme);
        }
    }
    // end::registry-challenge[]

    /**
     * Fetches a bearer token (Docker's token authentication specification): {@code GET realm?service=&scope=},
     * with Basic credentials when there are some, or {@code POST realm} with
     * {@code grant_type=refresh_token} for an identity token.
     *
     * @param scope e.g. {@code repository:app:pull}, or null for a login (no scope)
     * @return the token
     * @throws RegistryException the token server refused (401) or failed
     */
    String token(String realm, String service, String scope) {
        if (auth.registryToken() != null && !auth.registryToken().isEmpty()) return auth.registryToken();
        if (realm == null || realm.isEmpty()) throw new RegistryException(500, null, "bearer challenge without a realm");
        StringBuilder q = new StringBuilder();
        if (service != null) q.append("service=").append(enc(service));
        if (scope != null) q.append(q.length() > 0 ? "&" : "").append("scope=").append(enc(scope));
        HttpRequest.Builder b;
        if (auth.identityToken() != null && !auth.identityToken().isEmpty()) {
            String form = "grant_type=refresh_token&client_id=docker&refresh_token=" + enc(auth.identityToken()) + "&" + q;
            b = HttpRequest.newBuilder(URI.create(realm)).header("Content-Type", "application/x-www-form-urlencoded")
                    .POST(HttpRequest.BodyPublishers.ofString(form));
        } else {
            b = HttpRequest.newBuilder(URI.create(realm + (realm.contains("?") ? "&" : "?") + q)).GET();
            if (auth.hasPassword()) b.header("Authorization", auth.basicHeader());
        }
        URI realmUri = URI.create(realm);
        HttpClient client = realmUri.getScheme().equals("http") ? HttpClient.newBuilder().connectTimeout(RegistryHosts.CONNECT_TIMEOUT).build()
                : endpoint.client();
        try {
            HttpResponse<byte[]> r = client.send(b.timeout(REQUEST_TIMEOUT).build(), HttpResponse.BodyHandlers.ofByteArray());
            if (r.statusCode() == 401 || r.statusCode() == 403) {
                throw new RegistryException(500, "UNAUTHORIZED", "Get \"" + realm + "\": unauthorized: incorrect username or password");
            }
            if (r.statusCode() != 200) {
                throw new RegistryException(500, null, "token server " + realm + " answered " + r.statusCode());
            }
            JsonNode n = JSON.readTree(r.body());
            String t = n.path("token").asText("");
            if (t.isEmpty()) t = n.path("access_token").asText("");
            if (t.isEmpty()) throw new RegistryException(500, null, "token server " + realm + " sent no token");
            return t;
        } catch (IOException e) {
            throw new RegistryException(500, null, "Get \"" + realm + "\": " + describe(e, realmUri));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RegistryException(500, null, "interrupted while fetching a token");
        }
    }

    /** Parses {@code Basic realm="x"} or {@code Bearer realm="R",service="S",scope="SC"}; empty when none. */
    static Map<String, String> parseChallenge(String header) {
        Map<String, String> m = new LinkedHashMap<>();
        String h = header.trim();
        if (h.isEmpty()) return m;
        int sp = h.indexOf(' ');
        m.put("scheme", (sp < 0 ? h : h.substring(0, sp)).toLowerCase(Locale.ROOT));
        Matcher pm = PARAM.matcher(sp < 0 ? "" : h.substring(sp + 1));
        while (pm.find()) m.put(pm.group(1).toLowerCase(Locale.ROOT), pm.group(2));
        return m;
    }

    /**
     * Reads a registry's error body ({@code {"errors": [{"code", "message", "detail"}]}}) as Docker words it:
     * {@code CODE_IN_WORDS: message}, several joined by {@code , }.
     *
     * @return the message, or {@code "unexpected status N"} without an error body
     */
    static RegistryException error(HttpResponse<InputStream> r, String context) {
        byte[] body;
        try (InputStream in = r.body()) {
            body = in.readNBytes(64 * 1024);
        } catch (IOException e) {
            body = new byte[0];
        }
        StringBuilder msg = new StringBuilder();
        String firstCode = null;
        try {
            JsonNode errors = JSON.readTree(body).path("errors");
            for (JsonNode e : errors) {
                String code = e.path("code").asText("");
                if (firstCode == null) firstCode = code;
                if (msg.length() > 0) msg.append(", ");
                msg.append(code.toLowerCase(Locale.ROOT).replace('_', ' ')).append(": ").append(e.path("message").asText(""));
            }
        } catch (IOException | RuntimeException ignored) {
            // not JSON
        }
        if (msg.length() == 0) msg.append("unexpected status ").append(r.statusCode());
        int status = switch (r.statusCode()) {
            case 404 -> 404;
            case 401, 403 -> 500;         // dockerd 20.10 answers refused credentials with 500 (a 401 makes the CLI prompt)
            default -> 500;
        };
        return new RegistryException(status, firstCode, (context == null ? "" : context + ": ") + msg);
    }

    /** @return an I/O error in words (the JDK's messages are often null) */
    static String describe(Throwable e) {
        return describe(e, null);
    }

    /**
     * An I/O error in words, as dockerd 20.10 (Go's net and net/http) words the usual three: a name that does
     * not resolve ({@code dial tcp: lookup HOST: no such host}), nothing listening on the port ({@code dial tcp
     * HOST:PORT: connect: connection refused}) and a peer that is not an HTTP server ({@code malformed HTTP
     * response "FIRST LINE"}); any other error as its exception chain (the JDK's messages are often null).
     *
     * @param e   the error of an HTTP exchange
     * @param uri the URI asked for, to name its host and port; null when unknown
     * @return the words, never null
     */
    static String describe(Throwable e, URI uri) {
        String host = uri == null || uri.getHost() == null ? null : uri.getHost();
        String hostPort = host == null ? null
                : host + ":" + (uri.getPort() >= 0 ? uri.getPort() : "https".equals(uri.getScheme()) ? 443 : 80);
        for (Throwable c = e; c != null; c = c.getCause()) {
            if (c instanceof java.nio.channels.UnresolvedAddressException || c instanceof java.net.UnknownHostException) {
                return "dial tcp: lookup " + (host == null ? "the registry's host" : host) + ": no such host";
            }
        }
        if (e instanceof java.net.ConnectException && (e.getCause() instanceof java.nio.channels.ClosedChannelException
                || e.getMessage() == null || e.getMessage().toLowerCase(Locale.ROOT).contains("refused"))) {
            return "dial tcp" + (hostPort == null ? "" : " " + hostPort) + ": connect: connection refused";
        }
        if (e instanceof java.net.ProtocolException && e.getMessage() != null) {
            Matcher m = Pattern.compile("Invalid status line: (\".*\")").matcher(e.getMessage());
            if (m.find()) return "malformed HTTP response " + m.group(1) + " (not an HTTP server)";
        }
        Throwable t = e;
        StringBuilder sb = new StringBuilder();
        while (t != null) {
            String m = t.getMessage();
            String part = t.getClass().getSimpleName() + (m == null ? "" : ": " + m);
            if (sb.indexOf(part) < 0) {
                if (sb.length() > 0) sb.append(": ");
                sb.append(part);
            }
            t = t.getCause();
            if (sb.length() > 300) break;
        }
        return sb.toString();
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
