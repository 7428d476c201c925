package dev.rabbithole.stage4.distribution;

import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;

/**
 * Debian's docker-registry (distribution 2.8) on {@code 127.0.0.1:PORT}: {@code docker-registry serve CONFIG} with a
 * storage directory of the test's, optionally TLS (a certificate and key the test made) and htpasswd basic auth.
 * Stopped by its pid.
 */
final class LocalRegistry implements AutoCloseable {
    final Path dir;
    final Path storage;
    final int port;
    private final Process process;

    /**
     * @param dir      the registry's own directory (config, storage, log)
     * @param tls      {certificate, key} PEM files, or null for plain HTTP
     * @param htpasswd an htpasswd file (bcrypt), or null for no authentication
     */
    LocalRegistry(Path dir, Path[] tls, Path htpasswd) throws IOException {
        this.dir = Files.createDirectories(dir);
        this.storage = Files.createDirectories(dir.resolve("storage"));
        this.port = freePort();
        List<String> yml = new ArrayList<>(List.of(
                "version: 0.1",
                "log:",
                "  level: warn",
                "storage:",
                "  filesystem:",
                "    rootdirectory: " + storage,
                "  delete:",
                "    enabled: true",
                "http:",
                "  addr: 127.0.0.1:" + port));
        if (tls != null) {
            yml.addAll(List.of("  tls:", "    certificate: " + tls[0], "    key: " + tls[1]));
        }
        if (htpasswd != null) {
            yml.addAll(List.of("auth:", "  htpasswd:", "    realm: rabbithole-test", "    path: " + htpasswd));
        }
        Path config = Files.write(dir.resolve("config.yml"), yml);
        process = new ProcessBuilder("docker-registry", "serve", config.toString()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("registry.log").toFile()).start();
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).until(() -> {
            if (!process.isAlive()) throw new IllegalStateException("docker-registry exited: " + Files.readString(dir.resolve("registry.log")));
            try (Socket s = new Socket("127.0.0.1", port)) {
                return true;
            } catch (IOException e) {
                return false;
            }
        });
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** @return {@code 127.0.0.1:PORT} */
    String address() {
        return "127.0.0.1:" + port;
    }

    /** @return the file the registry keeps a blob's bytes in (distribution's filesystem driver layout) */
    Path blobData(String digest) {
        String hex = digest.substring(7);
        return storage.resolve("docker/registry/v2/blobs/sha256").resolve(hex.substring(0, 2)).resolve(hex).resolve("data");
    }

    /** {@code GET /v2/REPO/manifests/REF} over plain HTTP, with Accept for every manifest type. */
    String manifest(String repo, String ref) throws IOException, InterruptedException {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://" + address() + "/v2/" + repo + "/manifests/" + ref))
                .header("Accept", MediaTypes.ACCEPT).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) throw new IOException("manifest " + repo + ":" + ref + ": " + r.statusCode() + " " + r.body());
        return r.body();
    }

    /** Uploads a blob (POST, then PUT with the bytes) over plain HTTP; @return its digest */
    String putBlob(String repo, byte[] bytes) throws IOException, InterruptedException {
        HttpClient c = HttpClient.newHttpClient();
        String digest = MediaTypes.digest(bytes);
        HttpResponse<String> post = c.send(HttpRequest.newBuilder(URI.create("http://" + address() + "/v2/" + repo + "/blobs/uploads/"))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        String loc = post.headers().firstValue("Location").orElseThrow();
        URI put = URI.create("http://" + address()).resolve(loc + (loc.contains("?") ? "&" : "?") + "digest=" + digest);
        HttpResponse<String> r = c.send(HttpRequest.newBuilder(put).header("Content-Type", "application/octet-stream")
                .PUT(HttpRequest.BodyPublishers.ofByteArray(bytes)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 201) throw new IOException("blob upload: " + r.statusCode() + " " + r.body());
        return digest;
    }

    /** PUT a manifest; @return its digest */
    String putManifest(String repo, String ref, String mediaType, byte[] bytes) throws IOException, InterruptedException {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://" + address() + "/v2/" + repo + "/manifests/" + ref)).header("Content-Type", mediaType)
                .PUT(HttpRequest.BodyPublishers.ofByteArray(bytes)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 201) throw new IOException("manifest upload: " + r.statusCode() + " " + r.body());
        return MediaTypes.digest(bytes);
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor();
        }
    }

    /** Reads a stream whole. */
    static byte[] readAll(InputStream in) throws IOException {
        try (in) {
            return in.readAllBytes();
        }
    }
}
