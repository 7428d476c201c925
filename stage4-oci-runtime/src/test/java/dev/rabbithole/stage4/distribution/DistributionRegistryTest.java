package dev.rabbithole.stage4.distribution;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.rabbithole.stage1.daemon.Registry;
import dev.rabbithole.stage1.image.Image;
import dev.rabbithole.stage1.image.LocalImageStore;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The registry client against an in-JVM registry that wants bearer tokens (Docker's token authentication: a
 * {@code WWW-Authenticate: Bearer realm,service,scope} challenge and a token server at the realm), into a real
 * {@link LocalImageStore}: anonymous tokens, tokens for credentials, refused credentials, login, a blob whose bytes
 * do not match its digest (nothing stored), the X-Registry-Auth header's forms.
 */
class DistributionRegistryTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TOKEN_ANON = "anon-token";
    private static final String TOKEN_ALICE = "alice-token";

    @TempDir
    Path tmp;
    private HttpServer server;
    private final Map<String, byte[]> blobs = new ConcurrentHashMap<>();
    private final Map<String, byte[]> manifests = new ConcurrentHashMap<>();
    private final List<String> tokenRequests = new CopyOnWriteArrayList<>();
    private volatile boolean anonymousAllowed = true;
    private LocalImageStore store;
    private DistributionRegistry registry;

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/token", this::token);
        server.createContext("/v2/", this::v2);
        server.start();
        store = new LocalImageStore(tmp.resolve("image"));
        registry = new DistributionRegistry(store, new RegistryHosts(List.of(), null), null);
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private String address() {
        return "127.0.0.1:" + server.getAddress().getPort();
    }

    private void token(HttpExchange ex) throws IOException {
        String q = ex.getRequestURI().getQuery();
        tokenRequests.add(q);
        String a = ex.getRequestHeaders().getFirst("Authorization");
        String token;
        if (a == null) {
            token = anonymousAllowed ? TOKEN_ANON : null;
        } else {
            String up = new String(Base64.getDecoder().decode(a.substring("Basic ".length())), StandardCharsets.UTF_8);
            token = up.equals("alice:s3cret") ? TOKEN_ALICE : null;
        }
        if (token == null) {
            send(ex, 401, "{\"details\":\"incorrect username or password\"}".getBytes(StandardCharsets.UTF_8), Map.of());
            return;
        }
        send(ex, 200, ("{\"token\":\"" + token + "\",\"expires_in\":300}").getBytes(StandardCharsets.UTF_8), Map.of());
    }

    private void v2(HttpExchange ex) throws IOException {
        String a = ex.getRequestHeaders().getFirst("Authorization");
        String path = ex.getRequestURI().getPath();
        boolean ok = ("Bearer " + TOKEN_ALICE).equals(a) || (("Bearer " + TOKEN_ANON).equals(a) && anonymousAllowed);
        if (!ok) {
            String scope = path.equals("/v2/") ? "" : ",scope=\"repository:app:pull\"";
            send(ex, 401, "{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":\"authentication required\"}]}".getBytes(StandardCharsets.UTF_8),
                    Map.of("WWW-Authenticate", "Bearer realm=\"http://" + address() + "/token\",service=\"test-registry\"" + scope));
            return;
        }
        if (path.equals("/v2/")) {
            send(ex, 200, "{}".getBytes(StandardCharsets.UTF_8), Map.of());
            return;
        }
        if (path.startsWith("/v2/app/manifests/")) {
            byte[] m = manifests.get(path.substring("/v2/app/manifests/".length()));
            if (m == null) {
                send(ex, 404, "{\"errors\":[{\"code\":\"MANIFEST_UNKNOWN\",\"message\":\"manifest unknown\"}]}".getBytes(StandardCharsets.UTF_8), Map.of());
            } else {
                send(ex, 200, m, Map.of("Content-Type", MediaTypes.DOCKER_MANIFEST, "Docker-Content-Digest", MediaTypes.digest(m)));
            }
            return;
        }
        if (path.startsWith("/v2/app/blobs/")) {
            byte[] b = blobs.get(path.substring("/v2/app/blobs/".length()));
            send(ex, b == null ? 404 : 200, b == null ? new byte[0] : b, Map.of());
            return;
        }
        send(ex, 404, new byte[0], Map.of());
    }

    private static void send(HttpExchange ex, int status, byte[] body, Map<String, String> headers) throws IOException {
        headers.forEach((k, v) -> ex.getResponseHeaders().add(k, v));
        boolean head = ex.getRequestMethod().equals("HEAD");
        ex.sendResponseHeaders(status, head || body.length == 0 ? -1 : body.length);
        if (!head && body.length > 0) ex.getResponseBody().write(body);
        ex.close();
    }

    /** Puts an image made of {@code layers} (gzip'ed) under {@code app:TAG}; @return its ID */
    private String publish(String tag, long seed, boolean corruptSecondLayer) throws IOException {
        TestImages.Made image = TestImages.make(seed, 20_000, 30_000);
        ObjectNode m = JSON.createObjectNode();
        m.put("schemaVersion", 2);
        m.put("mediaType", MediaTypes.DOCKER_MANIFEST);
        m.putObject("config").put("mediaType", MediaTypes.DOCKER_CONFIG).put("size", image.config().length)
                .put("digest", MediaTypes.digest(image.config()));
        blobs.put(MediaTypes.digest(image.config()), image.config());
        int i = 0;
        for (byte[] tar : image.layers()) {
            ByteArrayOutputStream gz = new ByteArrayOutputStream();
            try (GzipCompressorOutputStream out = new GzipCompressorOutputStream(gz)) {
                out.write(tar);
            }
            byte[] bytes = gz.toByteArray();
            String digest = MediaTypes.digest(bytes);
            m.withArray("layers").addObject().put("mediaType", MediaTypes.DOCKER_LAYER_GZIP).put("size", bytes.length)
                    .put("digest", digest);
            if (corruptSecondLayer && i == 1) {
                bytes = bytes.clone();
                bytes[bytes.length / 2] ^= 0x55;
            }
            blobs.put(digest, bytes);
            i++;
        }
        manifests.put(tag, JSON.writeValueAsBytes(m));
        return image.id();
    }

    private static final class Recorder implements Registry.Progress {
        final List<ObjectNode> messages = new CopyOnWriteArrayList<>();

        @Override
        public void message(ObjectNode message) {
            messages.add(message);
        }

        @Override
        public ObjectNode object() {
            return JSON.createObjectNode();
        }

        List<String> statuses() {
            List<String> s = new ArrayList<>();
            for (ObjectNode m : messages) s.add(m.path("status").asText());
            return s;
        }
    }

    private static String header(String json) {
        return Base64.getUrlEncoder().encodeToString(json.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void pullsWithAnAnonymousBearerToken() throws IOException {
        String id = publish("1", 21, false);
        Recorder progress = new Recorder();
        Image image = registry.pull(address() + "/app", "1", null, progress);
        assertThat(image.id()).isEqualTo(id);
        assertThat(image.repoTags()).containsExactly(address() + "/app:1");
        assertThat(tokenRequests).anySatisfy(q -> assertThat(q).contains("service=test-registry", "scope=repository:app:pull"));
        assertThat(progress.statuses()).contains("Pulling fs layer", "Downloading", "Download complete", "Pull complete")
                .last().isEqualTo("Status: Downloaded newer image for " + address() + "/app:1");
        // the digest of the manifest the registry served is recorded, as Docker's pull records it (RepoDigests)
        String digest = address() + "/app@" + MediaTypes.digest(manifests.get("1"));
        assertThat(store.repoDigests(id)).containsExactly(digest);
        assertThat(registry.pull(address() + "/app", "1", null, new Recorder()).id()).isEqualTo(id);   // up to date
        assertThat(store.repoDigests(id)).containsExactly(digest);
    }

    @Test
    void pullsWithCredentialsFromTheRegistryAuthHeaderAndRefusesWrongOnes() throws IOException {
        anonymousAllowed = false;
        String id = publish("1", 22, false);
        assertThatThrownBy(() -> registry.pull(address() + "/app", "1", null, new Recorder()))
                .isInstanceOf(RegistryException.class).hasMessageContaining("unauthorized");
        assertThatThrownBy(() -> registry.pull(address() + "/app", "1",
                header("{\"username\":\"alice\",\"password\":\"nope\"}"), new Recorder()))
                .isInstanceOf(RegistryException.class).hasMessageContaining("incorrect username or password")
                .satisfies(e -> assertThat(((RegistryException) e).httpStatus()).isEqualTo(500));
        // the CLI's form: base64url JSON with "auth" (base64 user:password) also works
        String auth = Base64.getEncoder().encodeToString("alice:s3cret".getBytes(StandardCharsets.UTF_8));
        Image image = registry.pull(address() + "/app", "1", header("{\"auth\":\"" + auth + "\",\"serveraddress\":\"" + address() + "\"}"),
                new Recorder());
        assertThat(image.id()).isEqualTo(id);
    }

    @Test
    void loginAsksTheTokenServer() {
        anonymousAllowed = false;
        assertThat(registry.login(("{\"username\":\"alice\",\"password\":\"s3cret\",\"serveraddress\":\"" + address() + "\"}")
                .getBytes(StandardCharsets.UTF_8)).path("Status").asText()).isEqualTo("Login Succeeded");
        assertThatThrownBy(() -> registry.login(("{\"username\":\"alice\",\"password\":\"x\",\"serveraddress\":\"" + address() + "\"}")
                .getBytes(StandardCharsets.UTF_8))).isInstanceOf(RegistryException.class)
                .satisfies(e -> assertThat(((RegistryException) e).httpStatus()).isEqualTo(500));
    }

    @Test
    void aBlobThatDoesNotMatchItsDigestStoresNothing() throws IOException {
        publish("bad", 23, true);
        List<Path> before = listStore();
        assertThatThrownBy(() -> registry.pull(address() + "/app", "bad", null, new Recorder()))
                .isInstanceOf(RegistryException.class).hasMessageContaining("filesystem layer verification failed for digest");
        assertThat(listStore()).isEqualTo(before);
        assertThat(store.list()).isEmpty();
    }

    @Test
    void anUnknownTagIsManifestUnknown() {
        assertThatThrownBy(() -> registry.pull(address() + "/app", "nope", null, new Recorder()))
                .isInstanceOf(RegistryException.class)
                .hasMessage("manifest for " + address() + "/app:nope not found: manifest unknown: manifest unknown")
                .satisfies(e -> assertThat(((RegistryException) e).httpStatus()).isEqualTo(404));
    }

    @Test
    void aManifestThatIsNotJsonIsSaidInOneLine() {
        manifests.put("junk", "this is not json".getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> registry.pull(address() + "/app", "junk", null, new Recorder()))
                .isInstanceOf(RegistryException.class)
                .hasMessageStartingWith("the registry's manifest is not valid JSON: Unrecognized token 'this'")
                .hasMessageEndingWith(" at line 1, column 1")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n", "REDACTED", "StreamReadFeature"));
    }

    @Test
    void nothingListeningIsConnectionRefusedAsDockerdSaysIt() throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        String expected = "Get \"http://127.0.0.1:" + port + "/v2/\": dial tcp 127.0.0.1:" + port + ": connect: connection refused";
        assertThatThrownBy(() -> registry.pull("127.0.0.1:" + port + "/app", "1", null, new Recorder()))
                .isInstanceOf(RegistryException.class).hasMessage(expected);
        assertThatThrownBy(() -> registry.login(("{\"username\":\"alice\",\"password\":\"x\",\"serveraddress\":\"127.0.0.1:"
                + port + "\"}").getBytes(StandardCharsets.UTF_8))).isInstanceOf(RegistryException.class).hasMessage(expected);
    }

    @Test
    void aPeerThatIsNotAnHttpServerIsAMalformedResponse() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
            Thread t = new Thread(() -> {
                while (!s.isClosed()) {
                    try (Socket c = s.accept()) {
                        c.getInputStream().read(new byte[4096]);
                        c.getOutputStream().write("garbage garbage\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                    } catch (IOException e) {
                        // closed: the test is over
                    }
                }
            });
            t.setDaemon(true);
            t.start();
            int port = s.getLocalPort();
            assertThatThrownBy(() -> registry.pull("127.0.0.1:" + port + "/app", "1", null, new Recorder()))
                    .isInstanceOf(RegistryException.class)
                    .hasMessage("Get \"http://127.0.0.1:" + port + "/v2/\": malformed HTTP response \"garbage garbage\" (not an HTTP server)");
        }
    }

    @Test
    void aNameThatDoesNotResolveIsNoSuchHost() {
        // .invalid never resolves (RFC 6761)
        assertThatThrownBy(() -> registry.pull("nosuchhost.invalid/app", "1", null, new Recorder()))
                .isInstanceOf(RegistryException.class)
                .hasMessage("Get \"https://nosuchhost.invalid/v2/\": dial tcp: lookup nosuchhost.invalid: no such host");
    }

    private List<Path> listStore() throws IOException {
        try (var s = Files.walk(tmp.resolve("image"))) {
            return s.filter(p -> !p.toString().contains("/layers/.tmp")).sorted().toList();
        }
    }
}
