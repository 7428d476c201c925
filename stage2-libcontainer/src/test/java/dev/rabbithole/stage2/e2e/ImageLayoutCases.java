package dev.rabbithole.stage2.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.rabbithole.testsupport.HostFiles;
import dev.rabbithole.testsupport.JarDaemon;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Issue 14 item 4, the image store as an OCI image layout, through the real docker CLI: {@code docker save} of several
 * images writes Docker 20.10's archive and the OCI layout in one tar (skopeo reads both as {@code docker-archive:} and
 * {@code oci-archive:}), {@code docker load} reads it back and reads layouts made by skopeo ({@code oci:DIR:name},
 * {@code oci-archive:}, a bare tag) and umoci ({@code init}/{@code new}/{@code repack}/{@code config}), bad archives
 * are refused with the reason and leave the image list as it was, and {@code docker tag} / {@code image inspect} show
 * the real digests (Id = sha256 of the config, RootFS.Layers = its diff_ids, no RepoDigests for a loaded image, as
 * Docker 20.10). Containers of the loaded images run and see their files.
 *
 * <p>Shared through this module's test jar; a subclass starts one daemon for the class and sets {@link #cli}. The
 * skopeo and umoci steps skip with a message when those are not installed ({@code ./rabbithole test} installs them).
 */
public abstract class ImageLayoutCases {

    /** Set by the subclass's {@code @BeforeAll} once its daemon answers. */
    protected static DockerCli cli;

    private static final ObjectMapper JSON = new ObjectMapper();
    private static Path work;
    private static Path appArchive;

    private static JarDaemon.Result ok(JarDaemon.Result r) {
        assertThat(r.exit()).as(r.toString()).isZero();
        return r;
    }

    private static JarDaemon.Result sh(String... cmd) throws IOException, InterruptedException {
        return JarDaemon.exec(List.of(cmd));
    }

    private static boolean has(String tool) {
        try {
            return sh("sh", "-c", "command -v " + tool).exit() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    private static synchronized Path work() throws IOException {
        if (work == null) work = Files.createTempDirectory("rh-layout-");
        return work;
    }

    @AfterAll
    static void removeWork() throws IOException {
        if (work != null) HostFiles.deleteRecursively(work);
        work = null;
        appArchive = null;
    }

    /**
     * {@code layout/app:1}: busybox and a layer with {@code /data/a} ("hello") made by {@code docker commit}, saved to
     * a file once for the class.
     */
    private static synchronized Path appArchive() throws Exception {
        if (appArchive != null) return appArchive;
        cli.docker("rm", "-f", "il-src");
        ok(cli.docker("run", "--name", "il-src", "busybox", "sh", "-c", "mkdir /data && echo hello > /data/a"));
        ok(cli.docker("commit", "--change", "CMD [\"cat\", \"/data/a\"]", "il-src", "layout/app:1"));
        ok(cli.docker("rm", "il-src"));
        appArchive = work().resolve("app.tar");
        ok(cli.docker("save", "-o", appArchive.toString(), "layout/app:1"));
        return appArchive;
    }

    private static String id(String ref) throws Exception {
        return ok(cli.docker("image", "inspect", "-f", "{{.Id}}", ref)).out().strip();
    }

    private static List<String> imageIds() throws Exception {
        return ok(cli.docker("images", "-a", "-q", "--no-trunc")).out().lines().sorted().toList();
    }

    /** A tar's regular files and symlinks (as "-> target"), by name. */
    private static Map<String, byte[]> entries(Path tar) throws IOException {
        Map<String, byte[]> out = new LinkedHashMap<>();
        try (InputStream in = Files.newInputStream(tar); TarArchiveInputStream t = new TarArchiveInputStream(in)) {
            TarArchiveEntry e;
            while ((e = t.getNextEntry()) != null) {
                if (e.isSymbolicLink()) {
                    out.put(e.getName(), ("-> " + e.getLinkName()).getBytes(StandardCharsets.UTF_8));
                } else if (e.isFile()) {
                    out.put(e.getName(), t.readAllBytes());
                }
            }
        }
        return out;
    }

    private static void tar(Map<String, byte[]> files, Path to) throws IOException {
        try (OutputStream out = Files.newOutputStream(to); TarArchiveOutputStream t = new TarArchiveOutputStream(out)) {
            t.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            for (Map.Entry<String, byte[]> f : files.entrySet()) {
                TarArchiveEntry e = new TarArchiveEntry(f.getKey(), TarConstants.LF_NORMAL);
                e.setSize(f.getValue().length);
                e.setMode(0644);
                t.putArchiveEntry(e);
                t.write(f.getValue());
                t.closeArchiveEntry();
            }
        }
    }

    /** {@code tar -C dir -cf to .}: an OCI layout directory as the tar docker load takes. */
    private static Path tarDir(Path dir, Path to) throws Exception {
        ok(sh("tar", "-C", dir.toString(), "-cf", to.toString(), "."));
        return to;
    }

    private static String sha256(byte[] b) throws Exception {
        return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    // ---------------------------------------------------------------------------------------------------------

    @Test
    public void saveOfSeveralImagesWritesDockersArchiveAndAnOciLayoutThatLoadBack() throws Exception {
        appArchive();
        ok(cli.docker("tag", "layout/app:1", "example.com/layout/app:2"));
        String appId = id("layout/app:1");
        String busyboxId = id("busybox");
        Path saved = work().resolve("several.tar");
        ok(cli.docker("save", "-o", saved.toString(), "layout/app:1", "example.com/layout/app:2", "busybox"));

        Map<String, byte[]> files = entries(saved);
        assertThat(files).containsKeys("manifest.json", "repositories", "oci-layout", "index.json");
        JsonNode manifest = JSON.readTree(files.get("manifest.json"));
        assertThat(manifest).hasSize(2);
        assertThat(manifest.get(0).get("Config").asText()).isEqualTo(appId.substring(7) + ".json");
        assertThat(manifest.get(0).get("RepoTags").toString()).isEqualTo("[\"layout/app:1\",\"example.com/layout/app:2\"]");
        // the config's bytes are the image ID's; its diff_ids are inspect's RootFS.Layers and the OCI layers' digests
        byte[] config = files.get(appId.substring(7) + ".json");
        assertThat(sha256(config)).isEqualTo(appId);
        JsonNode diffIds = JSON.readTree(config).path("rootfs").path("diff_ids");
        JsonNode inspect = JSON.readTree(ok(cli.docker("image", "inspect", "layout/app:1")).out()).get(0);
        assertThat(inspect.get("RootFS").get("Layers")).isEqualTo(diffIds);
        assertThat(diffIds).hasSize(2);
        for (int i = 0; i < diffIds.size(); i++) {
            String hex = diffIds.get(i).asText().substring(7);
            byte[] layer = files.get("blobs/sha256/" + hex);
            assertThat(layer).as("layer %d in blobs/", i).isNotNull();
            assertThat(sha256(layer)).isEqualTo(diffIds.get(i).asText());
            String v1 = manifest.get(0).get("Layers").get(i).asText();
            assertThat(new String(files.get(v1), StandardCharsets.UTF_8)).isEqualTo("-> ../blobs/sha256/" + hex);
        }
        JsonNode index = JSON.readTree(files.get("index.json"));
        assertThat(index.findValuesAsText("io.containerd.image.name")).containsExactly(
                "docker.io/layout/app:1", "example.com/layout/app:2", "docker.io/library/busybox:latest");

        if (has("skopeo")) {
            JsonNode viaDocker = JSON.readTree(ok(sh("skopeo", "inspect", "docker-archive:" + saved + ":layout/app:1")).out());
            assertThat(viaDocker.get("Layers")).hasSize(2);
            JsonNode viaOci = JSON.readTree(ok(sh("skopeo", "inspect", "oci-archive:" + saved + ":2")).out());
            assertThat(viaOci.get("Layers")).isEqualTo(diffIds);
        } else {
            System.err.println("skipped the skopeo reads: skopeo is not installed (apt-get install skopeo)");
        }

        ok(cli.docker("rmi", "layout/app:1", "example.com/layout/app:2"));
        JarDaemon.Result load = ok(cli.docker("load", "-i", saved.toString()));
        assertThat(load.out()).contains("Loaded image: layout/app:1", "Loaded image: example.com/layout/app:2",
                "Loaded image: busybox:latest");
        assertThat(id("example.com/layout/app:2")).isEqualTo(appId);
        assertThat(id("busybox")).isEqualTo(busyboxId);
        assertThat(ok(cli.docker("run", "--rm", "example.com/layout/app:2")).out()).isEqualTo("hello\n");
        // saving the same again gives the same bytes
        Path again = work().resolve("again.tar");
        ok(cli.docker("save", "-o", again.toString(), "layout/app:1", "example.com/layout/app:2", "busybox"));
        assertThat(Files.readAllBytes(again)).isEqualTo(Files.readAllBytes(saved));
        ok(cli.docker("rmi", "example.com/layout/app:2"));
    }

    @Test
    public void skopeosLayoutsLoadByTheirNamesAndABareTagLoadsUntagged() throws Exception {
        assumeTrue(has("skopeo"), "skopeo is not installed (apt-get install skopeo)");
        Path archive = appArchive();
        String appId = id("layout/app:1");
        Path dir = work().resolve("skopeo-oci");
        ok(sh("skopeo", "copy", "docker-archive:" + archive + ":layout/app:1", "oci:" + dir + ":example.com/layout/oci:1"));
        JarDaemon.Result load = ok(cli.docker("load", "-i", tarDir(dir, work().resolve("skopeo-oci.tar")).toString()));
        assertThat(load.out()).contains("Loaded image: example.com/layout/oci:1");
        // skopeo converts Docker's config to an OCI config: another image, the same files
        assertThat(id("example.com/layout/oci:1")).isNotEqualTo(appId);
        assertThat(ok(cli.docker("run", "--rm", "example.com/layout/oci:1")).out()).isEqualTo("hello\n");

        Path ociArchive = work().resolve("oci-archive.tar");
        ok(sh("skopeo", "copy", "docker-archive:" + archive + ":layout/app:1",
                "oci-archive:" + ociArchive + ":example.com/layout/ociarchive:1"));
        assertThat(ok(cli.docker("load", "-i", ociArchive.toString())).out())
                .contains("Loaded image: example.com/layout/ociarchive:1");
        assertThat(id("example.com/layout/ociarchive:1")).isEqualTo(id("example.com/layout/oci:1"));

        // oci:DIR:latest names only a tag, no repository: loaded without a name, by ID (Docker 25 does the same)
        Path bare = work().resolve("skopeo-bare");
        ok(sh("skopeo", "copy", "docker-archive:" + archive + ":layout/app:1", "oci:" + bare + ":latest"));
        ok(cli.docker("rmi", "example.com/layout/oci:1", "example.com/layout/ociarchive:1"));
        load = ok(cli.docker("load", "-i", tarDir(bare, work().resolve("skopeo-bare.tar")).toString()));
        assertThat(load.out()).startsWith("Loaded image ID: sha256:");
        String untagged = load.out().strip().substring("Loaded image ID: ".length());
        assertThat(ok(cli.docker("image", "inspect", "-f", "{{json .RepoTags}}", untagged)).out().strip()).isEqualTo("[]");
        ok(cli.docker("rmi", untagged));
    }

    @Test
    public void umocisLayoutLoadsAndRuns() throws Exception {
        assumeTrue(has("umoci"), "umoci is not installed (apt-get install umoci)");
        assumeTrue(Files.isExecutable(Path.of("/bin/busybox")), "busybox-static is not installed");
        Path layout = work().resolve("umoci");
        Path bundle = work().resolve("umoci-bundle");
        ok(sh("umoci", "init", "--layout", layout.toString()));
        ok(sh("umoci", "new", "--image", layout + ":base"));
        ok(sh("umoci", "unpack", "--image", layout + ":base", bundle.toString()));
        Path rootfs = bundle.resolve("rootfs");
        Files.createDirectories(rootfs.resolve("bin"));
        Files.copy(Path.of("/bin/busybox"), rootfs.resolve("bin/busybox"));
        Files.createSymbolicLink(rootfs.resolve("bin/sh"), Path.of("busybox"));
        Files.createSymbolicLink(rootfs.resolve("bin/cat"), Path.of("busybox"));
        Files.writeString(rootfs.resolve("hello"), "from umoci\n");
        ok(sh("umoci", "repack", "--image", layout + ":base", bundle.toString()));
        ok(sh("umoci", "config", "--image", layout + ":base", "--config.cmd", "/bin/cat", "--config.cmd", "/hello",
                "--tag", "example.com/layout/umoci:1"));

        JarDaemon.Result load = ok(cli.docker("load", "-i", tarDir(layout, work().resolve("umoci.tar")).toString()));
        // umoci's "base" is a bare name too: loaded by ID; the full name tags the configured image
        assertThat(load.out()).contains("Loaded image: example.com/layout/umoci:1").contains("Loaded image ID: sha256:");
        assertThat(ok(cli.docker("run", "--rm", "example.com/layout/umoci:1")).out()).isEqualTo("from umoci\n");
        ok(cli.docker("rmi", "example.com/layout/umoci:1"));
    }

    @Test
    public void badArchivesAreRefusedWithTheReasonAndLeaveTheImagesAsTheyWere() throws Exception {
        Path archive = appArchive();
        Map<String, byte[]> good = entries(archive);
        List<String> before = imageIds();
        String manifestJson = new String(good.get("manifest.json"), StandardCharsets.UTF_8);
        JsonNode manifest = JSON.readTree(manifestJson);
        String configName = manifest.get(0).get("Config").asText();
        String topBlob = "blobs/sha256/" + JSON.readTree(good.get(configName)).path("rootfs").path("diff_ids").get(1)
                .asText().substring(7);
        List<String[]> cases = new ArrayList<>();

        // an OCI layout (manifest.json dropped) whose top layer's bytes are not its digest's
        Map<String, byte[]> tampered = new LinkedHashMap<>(good);
        tampered.keySet().removeIf(k -> !k.startsWith("blobs/") && !k.equals("index.json") && !k.equals("oci-layout"));
        byte[] flipped = tampered.get(topBlob).clone();
        flipped[flipped.length / 3] ^= 0x20;
        tampered.put(topBlob, flipped);
        tar(tampered, work().resolve("tampered.tar"));
        cases.add(new String[] {"tampered.tar", "does not match its digest"});

        // the same layout without that blob
        Map<String, byte[]> missing = new LinkedHashMap<>(tampered);
        missing.remove(topBlob);
        tar(missing, work().resolve("missing.tar"));
        cases.add(new String[] {"missing.tar", "is missing from the archive"});

        // Docker's archive whose top layer leaves the root: ../ and through an absolute symlink; the config's
        // diff_ids say these bytes, so only the layer's content is wrong
        for (String[] evil : List.of(new String[] {"dotdot", "../../../il-escaped"}, new String[] {"symlink", "via/il-escaped"})) {
            ByteArrayOutputStream layer = new ByteArrayOutputStream();
            try (TarArchiveOutputStream t = new TarArchiveOutputStream(layer)) {
                if (evil[0].equals("symlink")) {
                    TarArchiveEntry link = new TarArchiveEntry("via", TarConstants.LF_SYMLINK);
                    link.setLinkName("/tmp");
                    t.putArchiveEntry(link);
                    t.closeArchiveEntry();
                }
                TarArchiveEntry f = new TarArchiveEntry(evil[1], TarConstants.LF_NORMAL);
                f.setSize(2);
                t.putArchiveEntry(f);
                t.write("x\n".getBytes(StandardCharsets.UTF_8));
                t.closeArchiveEntry();
            }
            byte[] layerBytes = layer.toByteArray();
            JsonNode cfg = JSON.readTree(good.get(configName));
            ((com.fasterxml.jackson.databind.node.ArrayNode) cfg.path("rootfs").path("diff_ids")).set(1, sha256(layerBytes));
            byte[] cfgBytes = JSON.writeValueAsBytes(cfg);
            String cfgName = sha256(cfgBytes).substring(7) + ".json";
            Map<String, byte[]> d = new LinkedHashMap<>();
            d.put(cfgName, cfgBytes);
            d.put("l0/layer.tar", good.get("blobs/sha256/" + JSON.readTree(good.get(configName)).path("rootfs")
                    .path("diff_ids").get(0).asText().substring(7)));
            d.put("l1/layer.tar", layerBytes);
            d.put("manifest.json", ("[{\"Config\":\"" + cfgName + "\",\"RepoTags\":[\"layout/evil:" + evil[0]
                    + "\"],\"Layers\":[\"l0/layer.tar\",\"l1/layer.tar\"]}]").getBytes(StandardCharsets.UTF_8));
            tar(d, work().resolve(evil[0] + ".tar"));
            cases.add(new String[] {evil[0] + ".tar", "refusing layer entry"});
        }

        for (String[] c : cases) {
            JarDaemon.Result r = cli.docker("load", "-i", work().resolve(c[0]).toString());
            assertThat(r.exit()).as(c[0] + ": " + r).isNotZero();
            assertThat(r.err()).as(c[0]).contains("invalid image archive").contains(c[1]);
            assertThat(imageIds()).as(c[0]).isEqualTo(before);
        }
        assertThat(Path.of("/tmp/il-escaped")).doesNotExist();
        // the good archive still loads afterwards
        assertThat(ok(cli.docker("load", "-i", archive.toString())).out()).contains("Loaded image: layout/app:1");
    }

    @Test
    public void tagAndInspectShowTheRealDigests() throws Exception {
        appArchive();
        String id = id("layout/app:1");
        ok(cli.docker("tag", "layout/app:1", "layout/tagged"));
        ok(cli.docker("tag", id.substring(7, 19), "example.com/layout/tagged:v1"));
        JsonNode inspect = JSON.readTree(ok(cli.docker("image", "inspect", "layout/tagged:latest")).out()).get(0);
        assertThat(inspect.get("Id").asText()).isEqualTo(id);
        assertThat(inspect.get("RepoTags").toString()).contains("\"layout/app:1\"", "\"layout/tagged:latest\"",
                "\"example.com/layout/tagged:v1\"");
        // Docker 20.10: an image that was not pulled has no RepoDigests
        assertThat(inspect.get("RepoDigests").toString()).isEqualTo("[]");
        // dockerd's container.Config: every field it always prints
        assertThat(inspect.get("Config").has("Hostname")).isTrue();
        assertThat(inspect.get("Config").get("Cmd").toString()).isEqualTo("[\"cat\",\"/data/a\"]");
        assertThat(inspect.get("ContainerConfig").has("Image")).isTrue();
        assertThat(inspect.get("Size").asLong()).isGreaterThan(1_000_000L);
        String digests = ok(cli.docker("images", "--digests", "--format", "{{.Repository}}:{{.Tag}} {{.Digest}}",
                "layout/tagged")).out();
        assertThat(digests.strip()).isEqualTo("layout/tagged:latest <none>");
        assertThat(cli.docker("tag", "layout/app:1", "Not/Valid").exit()).isNotZero();
        ok(cli.docker("rmi", "layout/tagged", "example.com/layout/tagged:v1"));
        assertThat(id("layout/app:1")).isEqualTo(id);
    }
}
