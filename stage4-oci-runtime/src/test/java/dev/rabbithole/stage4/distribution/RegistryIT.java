package dev.rabbithole.stage4.distribution;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rabbithole.testsupport.JarDaemon;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code docker pull}, {@code push} and {@code login} with the docker CLI against stage 4's dockerd, and Debian's
 * docker-registry on loopback: plain HTTP (an insecure registry: 127.0.0.0/8 is one, as for dockerd), TLS with a CA
 * the test makes (given to dockerd with {@code --registry-certs-dir}), htpasswd basic auth. Images are put there by
 * skopeo (Docker schema 2, OCI, zstd) or by hand (uncompressed layers, a manifest list). The bearer-token path is
 * {@link DistributionRegistryTest}'s (an in-JVM registry and token server).
 */
class RegistryIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static Path dir;
    private static LocalRegistry plain;
    private static LocalRegistry tls;
    private static LocalRegistry auth;
    private static Stage4Daemon daemon;
    private static TestImages.Made multi;

    @BeforeAll
    static void start() throws Exception {
        Assumptions.assumeTrue(JarDaemon.isRoot(), "skipped: stage 4's dockerd needs root");
        for (String bin : List.of("docker-registry", "skopeo", "docker", "containerd", "openssl", "htpasswd")) {
            Assumptions.assumeTrue(onPath(bin), "skipped: " + bin + " is not installed (Debian packages docker-registry, "
                    + "skopeo, docker.io, containerd, openssl, apache2-utils)");
        }
        dir = Files.createTempDirectory("rh-s4reg-");
        plain = new LocalRegistry(dir.resolve("plain"), null, null);
        Path certs = makeCertificates(dir.resolve("pki"));
        tls = new LocalRegistry(dir.resolve("tls"), new Path[] {certs.resolve("server.crt"), certs.resolve("server.key")}, null);
        Path certsD = Files.createDirectories(dir.resolve("certs.d").resolve(tls.address()));
        Files.copy(certs.resolve("ca.crt"), certsD.resolve("ca.crt"));
        Path htpasswd = dir.resolve("htpasswd");
        run(List.of("htpasswd", "-Bbc", htpasswd.toString(), "alice", "s3cret"));
        auth = new LocalRegistry(dir.resolve("auth"), null, htpasswd);
        daemon = new Stage4Daemon(dir.resolve("d"), "--registry-certs-dir", dir.resolve("certs.d").toString());

        multi = TestImages.make(1, 3_000_000, 2_000_000, 1_000);
        skopeo(multi, "docker://" + plain.address() + "/multi:1");
    }

    @AfterAll
    static void stop() throws Exception {
        for (AutoCloseable c : new AutoCloseable[] {daemon, plain, tls, auth}) {
            if (c != null) c.close();
        }
        if (dir != null) {
            try (Stream<Path> s = Files.walk(dir)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Test
    void pullsAMultiLayerDockerImageWithProgress() throws Exception {
        JarDaemon.Result r = daemon.docker("pull", plain.address() + "/multi:1");
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.out()).contains("1: Pulling from multi", "Pulling fs layer", "Verifying Checksum", "Download complete",
                "Pull complete", "Digest: sha256:", "Status: Downloaded newer image for " + plain.address() + "/multi:1");
        assertThat(imageId(plain.address() + "/multi:1")).isEqualTo(multi.id());
        // RepoDigests: NAME@ the digest the registry served for the tag, as dockerd records it; run by digest works
        String digest = r.out().lines().filter(l -> l.startsWith("Digest: ")).findFirst().orElseThrow().substring(8);
        assertThat(daemon.docker("image", "inspect", "-f", "{{json .RepoDigests}}", plain.address() + "/multi:1").out())
                .contains(plain.address() + "/multi@" + digest);
        assertThat(daemon.docker("image", "inspect", "-f", "{{.Id}}", plain.address() + "/multi@" + digest).out().trim())
                .isEqualTo(multi.id());
        // the Engine API stream itself: Downloading lines carry progressDetail for the CLI's bars
        assertThat(daemon.docker("rmi", plain.address() + "/multi:1").exit()).isZero();
        List<JsonNode> stream = apiPull(plain.address() + "/multi", "1");
        assertThat(stream).anySatisfy(m -> {
            assertThat(m.path("status").asText()).isEqualTo("Downloading");
            assertThat(m.path("progressDetail").path("total").asLong()).isGreaterThan(1_000_000);
            assertThat(m.path("id").asText()).hasSize(12);
        });
        assertThat(stream.get(stream.size() - 1).path("status").asText()).startsWith("Status: Downloaded newer image for");
        JarDaemon.Result again = daemon.docker("pull", plain.address() + "/multi:1");
        assertThat(again.out()).contains("Already exists", "Status: Image is up to date for " + plain.address() + "/multi:1");
    }

    @Test
    void pullsOciManifestsAndZstdLayers() throws Exception {
        TestImages.Made oci = TestImages.make(2, 500_000, 700_000);
        skopeo(oci, "docker://" + plain.address() + "/oci:1", "--format", "oci");
        TestImages.Made zstd = TestImages.make(3, 500_000, 700_000);
        skopeo(zstd, "docker://" + plain.address() + "/zstd:1", "--format", "oci", "--dest-compress", "--dest-compress-format", "zstd");
        assertThat(plain.manifest("zstd", "1")).contains("application/vnd.oci.image.layer.v1.tar+zstd");
        for (String repo : List.of("oci", "zstd")) {
            JarDaemon.Result r = daemon.docker("pull", plain.address() + "/" + repo + ":1");
            assertThat(r.exit()).as(r.toString()).isZero();
            String configDigest = JSON.readTree(plain.manifest(repo, "1")).path("config").path("digest").asText();
            assertThat(imageId(plain.address() + "/" + repo + ":1")).isEqualTo(configDigest);
        }
    }

    @Test
    void pullsUncompressedLayersAndResolvesAManifestListToThisPlatform() throws Exception {
        TestImages.Made image = TestImages.make(4, 300_000, 400_000);
        String repo = "plainlayers";
        ObjectNode m = JSON.createObjectNode();
        m.put("schemaVersion", 2);
        m.put("mediaType", MediaTypes.OCI_MANIFEST);
        ObjectNode c = m.putObject("config");
        c.put("mediaType", "application/vnd.oci.image.config.v1+json");
        c.put("digest", plain.putBlob(repo, image.config()));
        c.put("size", image.config().length);
        for (byte[] l : image.layers()) {
            m.withArray("layers").addObject().put("mediaType", "application/vnd.oci.image.layer.v1.tar")
                    .put("digest", plain.putBlob(repo, l)).put("size", l.length);
        }
        byte[] manifest = JSON.writeValueAsBytes(m);
        String manifestDigest = plain.putManifest(repo, "1", MediaTypes.OCI_MANIFEST, manifest);

        // an index whose other entry (arm64, listed first) is a manifest of another image
        TestImages.Made other = TestImages.make(5, 1_000);
        ObjectNode om = m.deepCopy();
        om.putObject("config").put("mediaType", "application/vnd.oci.image.config.v1+json")
                .put("digest", plain.putBlob(repo, other.config())).put("size", other.config().length);
        om.putArray("layers").addObject().put("mediaType", "application/vnd.oci.image.layer.v1.tar")
                .put("digest", plain.putBlob(repo, other.layers().get(0))).put("size", other.layers().get(0).length);
        byte[] otherManifest = JSON.writeValueAsBytes(om);
        String otherDigest = plain.putManifest(repo, "other", MediaTypes.OCI_MANIFEST, otherManifest);
        ObjectNode index = JSON.createObjectNode();
        index.put("schemaVersion", 2);
        index.put("mediaType", MediaTypes.OCI_INDEX);
        index.withArray("manifests").addObject().put("mediaType", MediaTypes.OCI_MANIFEST).put("digest", otherDigest)
                .put("size", otherManifest.length).putObject("platform").put("os", "linux").put("architecture", "arm64");
        index.withArray("manifests").addObject().put("mediaType", MediaTypes.OCI_MANIFEST).put("digest", manifestDigest)
                .put("size", manifest.length).putObject("platform").put("os", "linux").put("architecture", MediaTypes.hostArchitecture());
        String indexDigest = plain.putManifest(repo, "list", MediaTypes.OCI_INDEX, JSON.writeValueAsBytes(index));

        JarDaemon.Result r = daemon.docker("pull", plain.address() + "/" + repo + ":1");
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(imageId(plain.address() + "/" + repo + ":1")).isEqualTo(image.id());
        JarDaemon.Result list = daemon.docker("pull", plain.address() + "/" + repo + ":list");
        assertThat(list.exit()).as(list.toString()).isZero();
        assertThat(list.out()).contains("Digest: " + indexDigest);
        assertThat(imageId(plain.address() + "/" + repo + ":list")).isEqualTo(image.id());
    }

    @Test
    void pullsOverTlsWithTheCaFromTheCertsDirectory() throws Exception {
        TestImages.Made image = TestImages.make(6, 200_000);
        Path archive = TestImages.dockerArchive(image, "tlsimage:1", dir.resolve("tls-image.tar"));
        run(List.of("skopeo", "copy", "--dest-cert-dir", dir.resolve("certs.d").resolve(tls.address()).toString(),
                "docker-archive:" + archive, "docker://" + tls.address() + "/tlsimage:1"));
        JarDaemon.Result r = daemon.docker("pull", tls.address() + "/tlsimage:1");
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(imageId(tls.address() + "/tlsimage:1")).isEqualTo(image.id());
    }

    @Test
    void theCertificateIsCheckedAgainstTheCaDirectoryWhenTheRegistryIsNotInsecure() throws Exception {
        // dockerd tries HTTPS without checks first for 127.0.0.0/8 (an insecure range), so the CA matters only for a
        // registry that is not insecure: the same loopback registry, with that rule off
        RegistryClient trusted = new RegistryClient(new RegistryHosts(List.of(), dir.resolve("certs.d"), false),
                tls.address(), "tlsimage", AuthConfig.ANONYMOUS, "pull");
        trusted.probe();
        assertThat(trusted.base().toString()).isEqualTo("https://" + tls.address());
        RegistryClient untrusted = new RegistryClient(new RegistryHosts(List.of(), Files.createDirectories(dir.resolve("no-cas")), false),
                tls.address(), "tlsimage", AuthConfig.ANONYMOUS, "pull");
        org.assertj.core.api.Assertions.assertThatThrownBy(untrusted::probe).isInstanceOf(RegistryException.class)
                .hasMessageContaining("https://" + tls.address()).hasMessageContaining("SSLHandshakeException");
    }

    @Test
    void basicAuthNeedsLoginAndThenPullsAndPushes() throws Exception {
        TestImages.Made image = TestImages.make(7, 300_000, 1_000);
        Path archive = TestImages.dockerArchive(image, "private:1", dir.resolve("private.tar"));
        run(List.of("skopeo", "copy", "--dest-tls-verify=false", "--dest-creds", "alice:s3cret",
                "docker-archive:" + archive, "docker://" + auth.address() + "/private:1"));

        JarDaemon.Result anonymous = daemon.docker("pull", auth.address() + "/private:1");
        assertThat(anonymous.exit()).isNotZero();
        assertThat(anonymous.err()).contains("no basic auth credentials");
        JarDaemon.Result wrong = daemon.docker("login", "-u", "alice", "-p", "wrong", auth.address());
        assertThat(wrong.exit()).isNotZero();
        assertThat(wrong.err()).contains("401 Unauthorized");
        JarDaemon.Result login = daemon.docker("login", "-u", "alice", "-p", "s3cret", auth.address());
        assertThat(login.exit()).as(login.toString()).isZero();
        assertThat(login.out()).contains("Login Succeeded");

        JarDaemon.Result pull = daemon.docker("pull", auth.address() + "/private:1");
        assertThat(pull.exit()).as(pull.toString()).isZero();
        assertThat(imageId(auth.address() + "/private:1")).isEqualTo(image.id());

        TestImages.Made mine = TestImages.make(8, 200_000, 2_000);
        load(mine, auth.address() + "/mine:1");
        JarDaemon.Result push = daemon.docker("push", auth.address() + "/mine:1");
        assertThat(push.exit()).as(push.toString()).isZero();
        assertThat(push.out()).contains("The push refers to repository [" + auth.address() + "/mine]", "Pushed", "1: digest: sha256:");
        assertThat(daemon.docker("logout", auth.address()).exit()).isZero();
        assertThat(daemon.docker("push", auth.address() + "/mine:1").exit()).isNotZero();
    }

    @Test
    void pushThenPullBackGivesTheSameImage() throws Exception {
        TestImages.Made image = TestImages.make(9, 1_500_000, 600_000, 10);
        String ref = plain.address() + "/roundtrip:1";
        load(image, ref);
        JarDaemon.Result push = daemon.docker("push", ref);
        assertThat(push.exit()).as(push.toString()).isZero();
        assertThat(push.out()).contains("Preparing", "Pushed", "1: digest: sha256:");
        String digest = push.out().replaceAll("(?s).*1: digest: (sha256:[0-9a-f]{64}).*", "$1");
        JarDaemon.Result again = daemon.docker("push", ref);
        assertThat(again.out()).contains("Layer already exists");
        assertThat(daemon.docker("rmi", ref).exit()).isZero();
        JarDaemon.Result pull = daemon.docker("pull", ref);
        assertThat(pull.exit()).as(pull.toString()).isZero();
        assertThat(pull.out()).contains("Digest: " + digest);
        assertThat(imageId(ref)).isEqualTo(image.id());
    }

    @Test
    void aMissingManifestIsManifestUnknown() throws Exception {
        JarDaemon.Result r = daemon.docker("pull", plain.address() + "/multi:nosuchtag");
        assertThat(r.exit()).isNotZero();
        assertThat(r.err()).contains("manifest for " + plain.address() + "/multi:nosuchtag not found: manifest unknown: manifest unknown");
        JarDaemon.Result hub = daemon.docker("pull", "alpine:3");
        assertThat(hub.exit()).isNotZero();
        assertThat(hub.err()).contains("registry-1.docker.io");
    }

    @Test
    void aBlobWithTheWrongDigestFailsThePullAndStoresNothing() throws Exception {
        TestImages.Made image = TestImages.make(10, 400_000, 400_000);
        skopeo(image, "docker://" + plain.address() + "/corrupt:1");
        String layer = JSON.readTree(plain.manifest("corrupt", "1")).path("layers").get(1).path("digest").asText();
        Path data = plain.blobData(layer);
        try (FileChannel ch = FileChannel.open(data, StandardOpenOption.WRITE, StandardOpenOption.READ)) {
            java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(1);
            ch.read(b, 1000);
            b.flip();
            b.put(0, (byte) (b.get(0) ^ 0x55));
            ch.write(b, 1000);
        }
        List<String> before = daemon.storeFiles();
        JarDaemon.Result r = daemon.docker("pull", plain.address() + "/corrupt:1");
        assertThat(r.exit()).isNotZero();
        assertThat(r.out() + r.err()).contains("filesystem layer verification failed for digest " + layer);
        assertThat(daemon.docker("images", "-q", plain.address() + "/corrupt").out()).isBlank();
        assertThat(daemon.storeFiles()).isEqualTo(before);
    }

    @Test
    void aConnectionCutInALayerFailsThePullAndStoresNothing() throws Exception {
        TestImages.Made image = TestImages.make(11, 2_000_000, 10);
        skopeo(image, "docker://" + plain.address() + "/cut:1");
        List<String> before = daemon.storeFiles();
        try (CuttingProxy proxy = new CuttingProxy(plain.port, 500_000)) {
            String ref = "127.0.0.1:" + proxy.port() + "/cut:1";
            JarDaemon.Result r = daemon.docker("pull", ref);
            assertThat(r.exit()).isNotZero();
            assertThat(r.out() + r.err()).contains("error pulling layer sha256:");
            assertThat(proxy.cuts.get()).isPositive();
            assertThat(daemon.docker("images", "-q", "127.0.0.1:" + proxy.port() + "/cut").out()).isBlank();
        }
        assertThat(daemon.storeFiles()).isEqualTo(before);
    }

    // ------------------------------------------------------------------------------------------------------------

    private static String imageId(String ref) throws Exception {
        JarDaemon.Result r = daemon.docker("image", "inspect", "--format", "{{.Id}}", ref);
        assertThat(r.exit()).as(r.toString()).isZero();
        return r.out().trim();
    }

    private static void load(TestImages.Made image, String ref) throws Exception {
        Path archive = TestImages.dockerArchive(image, ref, Files.createTempFile(dir, "load", ".tar"));
        JarDaemon.Result r = daemon.docker("load", "-i", archive.toString());
        assertThat(r.exit()).as(r.toString()).isZero();
    }

    /** The raw Engine API stream of a pull, one JSON message a line. */
    private static List<JsonNode> apiPull(String from, String tag) throws Exception {
        JarDaemon.Result r = JarDaemon.exec(List.of("curl", "-sS", "--unix-socket", daemon.socket.toString(), "-X", "POST",
                "http://localhost/v1.41/images/create?fromImage=" + from + "&tag=" + tag));
        assertThat(r.exit()).as(r.toString()).isZero();
        List<JsonNode> out = new ArrayList<>();
        for (String line : r.out().split("\n")) {
            if (!line.isBlank()) out.add(JSON.readTree(line));
        }
        return out;
    }

    private static void skopeo(TestImages.Made image, String dest, String... flags) throws Exception {
        Path archive = TestImages.dockerArchive(image, "test:1", Files.createTempFile(dir, "image", ".tar"));
        List<String> cmd = new ArrayList<>(List.of("skopeo", "copy", "--dest-tls-verify=false"));
        cmd.addAll(List.of(flags));
        cmd.addAll(List.of("docker-archive:" + archive, dest));
        run(cmd);
    }

    private static void run(List<String> cmd) throws Exception {
        JarDaemon.Result r = JarDaemon.exec(cmd);
        assertThat(r.exit()).as(cmd + "\n" + r).isZero();
    }

    /** A CA, and a server certificate it signed for 127.0.0.1 and localhost. */
    private static Path makeCertificates(Path d) throws Exception {
        Files.createDirectories(d);
        String s = d.toString();
        run(List.of("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", s + "/ca.key", "-out", s + "/ca.crt",
                "-days", "2", "-subj", "/CN=rabbithole test CA"));
        run(List.of("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", s + "/server.key", "-out", s + "/server.csr",
                "-subj", "/CN=127.0.0.1"));
        Files.writeString(d.resolve("ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
        run(List.of("openssl", "x509", "-req", "-in", s + "/server.csr", "-CA", s + "/ca.crt", "-CAkey", s + "/ca.key",
                "-CAcreateserial", "-out", s + "/server.crt", "-days", "2", "-extfile", s + "/ext"));
        return d;
    }

    private static boolean onPath(String bin) {
        for (String p : (System.getenv("PATH") + ":/usr/sbin:/usr/bin").split(":")) {
            if (!p.isEmpty() && Files.isExecutable(Path.of(p, bin))) return true;
        }
        return false;
    }
}
