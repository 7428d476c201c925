package dev.rabbithole.stage1.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rabbithole.stage1.daemon.Daemon;
import dev.rabbithole.stage1.daemon.DaemonMain;
import dev.rabbithole.stage1.daemon.fakes.FakeSecurity;
import dev.rabbithole.stage1.daemon.fakes.FakeStorageDriver;
import dev.rabbithole.stage1.daemon.fakes.ScriptedExecDriver;
import dev.rabbithole.stage1.image.Image;
import dev.rabbithole.stage1.image.LocalImageStore;
import dev.rabbithole.stage1.image.TestArchives;
import dev.rabbithole.stage1.storage.FileTrees;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code docker save} over the API ({@code GET /images/get?names=...}, {@code GET /images/{name}/get}) against a
 * real image store: the archive has the layout Docker 20.10 writes (checked against {@code docker save} of
 * Debian's dockerd: CONFIGHEX.json, V1ID/{VERSION,json,layer.tar}, manifest.json, repositories, in walk order)
 * with Docker 25's OCI layout beside it, and reads back with {@code load}.
 */
class SaveRoutesTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static Path root;
    static LocalImageStore store;
    static DaemonMain.Running running;
    static UnixHttp http;
    static byte[] lower;
    static byte[] upper;

    @BeforeAll
    static void start() throws Exception {
        root = Files.createTempDirectory("rabbithole-save-test");   // not @TempDir: busybox's applet links
        store = new LocalImageStore(root.resolve("image"));
        lower = new TestArchives.Tar().dir("etc").file("etc/motd", "lower\n").build();
        upper = new TestArchives.Tar().file("etc/motd", "upper\n").symlink("etc/link", "motd").build();
        store.load(new ByteArrayInputStream(TestArchives.dockerSave(List.of("two:layers", "two:other"),
                List.of(lower, upper), "true")));
        Daemon daemon = new Daemon(root.resolve("data"), store, new FakeStorageDriver(root.resolve("rootfs")),
                new ScriptedExecDriver(), new FakeSecurity());
        running = DaemonMain.start(daemon, root.resolve("docker.sock"));
        http = new UnixHttp(root.resolve("docker.sock"));
    }

    @AfterAll
    static void stop() throws IOException {
        if (running != null) {
            running.close();
        }
        FileTrees.deleteRecursively(root);
    }

    record Saved(List<TarArchiveEntry> entries, Map<String, byte[]> files) {
        JsonNode json(String name) throws IOException {
            return JSON.readTree(files.get(name));
        }

        List<String> names() {
            return entries.stream().map(TarArchiveEntry::getName).toList();
        }
    }

    static Saved save(String path) throws Exception {
        try (UnixHttp.Conn c = http.open("GET", path, null, Map.of())) {
            assertThat(c.status).isEqualTo(200);
            assertThat(c.header("Content-Type")).isEqualTo("application/x-tar");
            byte[] tar = c.body();
            List<TarArchiveEntry> entries = new java.util.ArrayList<>();
            Map<String, byte[]> files = new LinkedHashMap<>();
            Map<String, String> links = new LinkedHashMap<>();
            try (TarArchiveInputStream in = new TarArchiveInputStream(new ByteArrayInputStream(tar))) {
                for (TarArchiveEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
                    entries.add(e);
                    if (e.isSymbolicLink()) {
                        links.put(e.getName(), Path.of(e.getName()).getParent().resolve(e.getLinkName()).normalize()
                                .toString());
                    } else if (!e.isDirectory()) {
                        files.put(e.getName(), in.readAllBytes());
                    }
                }
            }
            links.forEach((name, target) -> files.put(name, files.get(target)));   // as docker load follows them
            return new Saved(entries, files);
        }
    }

    static String sha256(byte[] b) {
        return TestArchives.sha256(b);
    }

    @Test
    void saveWritesDockersLayout() throws Exception {
        Image busybox = store.resolve("busybox");
        Saved s = save("/v1.41/images/get?names=busybox");
        String config = busybox.id().substring(7) + ".json";
        JsonNode manifest = s.json("manifest.json");
        assertThat(manifest).hasSize(1);
        assertThat(manifest.get(0).get("Config").asText()).isEqualTo(config);
        assertThat(manifest.get(0).get("RepoTags").get(0).asText()).isEqualTo("busybox:latest");
        String layer = manifest.get(0).get("Layers").get(0).asText();
        String v1 = layer.substring(0, layer.indexOf('/'));
        assertThat(v1).matches("[0-9a-f]{64}");
        // the order of Docker 20.10's archive: a walk of the directory it tars, names sorted; beside it Docker 25's
        // OCI layout, each layer once under blobs/ (V1ID/layer.tar links to it)
        assertThat(s.names().stream().filter(n -> !n.startsWith("blobs/") && !n.equals("index.json")
                && !n.equals("oci-layout")).toList()).containsExactly(config, v1 + "/", v1 + "/VERSION", v1 + "/json",
                v1 + "/layer.tar", "manifest.json", "repositories");
        String diffHex = busybox.config().rootfs().diffIds().get(0).substring(7);
        assertThat(s.names()).contains("blobs/", "blobs/sha256/", "blobs/sha256/" + diffHex,
                "blobs/sha256/" + busybox.id().substring(7), "index.json", "oci-layout");
        assertThat(s.entries().stream().filter(e -> e.getName().equals(v1 + "/layer.tar")).findFirst().orElseThrow()
                .getLinkName()).isEqualTo("../blobs/sha256/" + diffHex);
        assertThat(s.json("index.json").findValuesAsText("io.containerd.image.name"))
                .containsExactly("docker.io/library/busybox:latest");
        assertThat(sha256(s.files().get(config))).isEqualTo(busybox.id());
        // layers are uncompressed: the layer's sha256 is the config's diff_id
        assertThat(sha256(s.files().get(layer))).isEqualTo(busybox.config().rootfs().diffIds().get(0));
        assertThat(new String(s.files().get(v1 + "/VERSION"), StandardCharsets.UTF_8)).isEqualTo("1.0");
        assertThat(s.json(v1 + "/json").get("id").asText()).isEqualTo(v1);
        assertThat(s.json("repositories").toString()).isEqualTo("{\"busybox\":{\"latest\":\"" + v1 + "\"}}");
        for (TarArchiveEntry e : s.entries()) {
            assertThat(e.getUserName()).isEqualTo("root");
            assertThat(e.getMode() & 07777).isEqualTo(e.isDirectory() ? 0755 : e.isSymbolicLink() ? 0777 : 0644);
            if (e.getName().equals("manifest.json") || e.getName().equals("repositories")) {
                assertThat(e.getModTime().getTime()).isZero();
            }
        }
    }

    @Test
    void aNameWithoutTagSavesEveryTagAnIdSavesNone() throws Exception {
        Image two = store.resolve("two:layers");
        Saved all = save("/v1.41/images/get?names=two");
        JsonNode m = all.json("manifest.json").get(0);
        assertThat(m.get("RepoTags").toString()).isEqualTo("[\"two:layers\",\"two:other\"]");
        assertThat(m.get("Layers")).hasSize(2);
        String first = m.get("Layers").get(0).asText();
        String second = m.get("Layers").get(1).asText();
        assertThat(sha256(all.files().get(first))).isEqualTo(two.config().rootfs().diffIds().get(0));
        assertThat(sha256(all.files().get(second))).isEqualTo(two.config().rootfs().diffIds().get(1));
        String firstId = first.substring(0, 64);
        String secondId = second.substring(0, 64);
        assertThat(all.json(secondId + "/json").get("parent").asText()).isEqualTo(firstId);
        assertThat(all.json(firstId + "/json").has("parent")).isFalse();
        assertThat(all.json("repositories").get("two").get("other").asText()).isEqualTo(secondId);

        Saved byId = save("/v1.41/images/get?names=" + two.id().substring(7, 19));
        assertThat(byId.json("manifest.json").get(0).get("RepoTags").isNull()).isTrue();
        assertThat(byId.names()).doesNotContain("repositories");

        Saved one = save("/v1.41/images/two:other/get");
        assertThat(one.json("manifest.json").get(0).get("RepoTags").toString()).isEqualTo("[\"two:other\"]");

        Saved both = save("/v1.41/images/get?names=busybox&names=two:layers");
        assertThat(both.json("manifest.json")).hasSize(2);
        assertThat(both.json("repositories").has("busybox")).isTrue();
        assertThat(both.json("repositories").get("two").has("other")).isFalse();
    }

    @Test
    void aSavedImageLoadsBackAsTheSameImage() throws Exception {
        Image before = store.resolve("two:layers");
        byte[] tar;
        try (UnixHttp.Conn c = http.open("GET", "/v1.41/images/get?names=two:layers", null, Map.of())) {
            tar = c.body();
        }
        LocalImageStore other = new LocalImageStore(root.resolve("elsewhere"));
        assertThat(other.load(new ByteArrayInputStream(tar))).containsExactly("two:layers");
        Image after = other.resolve("two:layers");
        assertThat(after.id()).isEqualTo(before.id());
        assertThat(after.config().rootfs().diffIds()).isEqualTo(before.config().rootfs().diffIds());
        assertThat(after.size()).isEqualTo(before.size());
    }

    @Test
    void anUnknownNameIs404BeforeAnyByte() throws Exception {
        UnixHttp.Response r = http.call("GET", "/v1.41/images/get?names=nosuch", null);
        assertThat(r.status()).isEqualTo(404);
        assertThat(r.body()).contains("No such image: nosuch");
        assertThat(http.call("GET", "/v1.41/images/get?names=busybox&names=nosuch", null).status()).isEqualTo(404);
        assertThat(http.call("GET", "/v1.41/images/nosuch/get", null).status()).isEqualTo(404);
        // no names: Docker 20.10 answers a tar with only manifest.json, "null"
        Saved none = save("/v1.41/images/get");
        assertThat(none.names()).containsExactly("manifest.json");
        assertThat(new String(none.files().get("manifest.json"), StandardCharsets.UTF_8)).isEqualTo("null\n");
    }
}
