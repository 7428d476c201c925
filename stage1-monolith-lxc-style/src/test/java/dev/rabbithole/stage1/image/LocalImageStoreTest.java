package dev.rabbithole.stage1.image;

import dev.rabbithole.stage1.errdefs.InvalidParameterException;
import dev.rabbithole.stage1.errdefs.NotFoundException;
import dev.rabbithole.stage1.storage.FileTrees;

import com.fasterxml.jackson.databind.JsonNode;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LocalImageStoreTest {

    private Path tmp;

    @BeforeEach
    void createTemp() throws IOException {
        tmp = Files.createTempDirectory("rabbithole-image-test");
    }

    @AfterEach
    void deleteTemp() throws IOException {
        FileTrees.deleteRecursively(tmp);     // not @TempDir: it warns about every busybox applet symlink
    }

    private static ByteArrayInputStream in(byte[] b) {
        return new ByteArrayInputStream(b);
    }

    /** Every file under the store except the ones its own housekeeping rewrites. */
    private static List<String> files(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            return s.map(p -> root.relativize(p).toString()).sorted().toList();
        }
    }

    @Test
    void busyboxIsBuiltOnFirstUseAsAnOciImage() throws IOException {
        LocalImageStore store = new LocalImageStore(tmp.resolve("image"));
        assertThat(store.list()).isEmpty();

        Image busybox = store.resolve("busybox");

        assertThat(busybox.id()).matches("sha256:[0-9a-f]{64}");
        assertThat(busybox.repoTags()).containsExactly("busybox:latest");
        assertThat(busybox.config().config().cmd()).containsExactly("sh");
        assertThat(busybox.config().config().env()).containsExactly("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        assertThat(busybox.config().os()).isEqualTo("linux");
        assertThat(busybox.config().architecture()).isIn("amd64", "arm64");
        assertThat(busybox.layerDigests()).hasSize(1);

        Path root = tmp.resolve("image");
        assertThat(Files.readString(root.resolve("oci-layout"))).contains("\"imageLayoutVersion\":\"1.0.0\"");
        JsonNode index = Oci.JSON.readTree(root.resolve("index.json").toFile());
        assertThat(index.get("schemaVersion").asInt()).isEqualTo(2);
        assertThat(index.get("manifests")).hasSize(1);
        JsonNode d = index.get("manifests").get(0);
        assertThat(d.get("annotations").get(Oci.ANNOTATION_REF_NAME).asText()).isEqualTo("busybox:latest");
        assertThat(d.get("digest").asText()).isEqualTo(busybox.manifestDigest());

        // every blob is content-addressed: its name is the sha256 of its bytes
        byte[] manifestBytes = Files.readAllBytes(root.resolve("blobs/sha256/" + Digests.hex(busybox.manifestDigest())));
        assertThat(Digests.of(manifestBytes)).isEqualTo(busybox.manifestDigest());
        JsonNode manifest = Oci.JSON.readTree(manifestBytes);
        assertThat(manifest.get("mediaType").asText()).isEqualTo(Oci.MEDIA_TYPE_MANIFEST);
        assertThat(manifest.get("config").get("digest").asText()).isEqualTo(busybox.id());
        assertThat(manifest.get("layers").get(0).get("mediaType").asText()).isEqualTo(Oci.MEDIA_TYPE_LAYER_GZIP);
        byte[] config = Files.readAllBytes(root.resolve("blobs/sha256/" + Digests.hex(busybox.id())));
        assertThat(Digests.of(config)).isEqualTo(busybox.id());
        byte[] layer = Files.readAllBytes(root.resolve("blobs/sha256/" + Digests.hex(busybox.layerDigests().get(0))));
        assertThat(layer[0] & 0xff).isEqualTo(0x1f);
        assertThat(layer[1] & 0xff).isEqualTo(0x8b);
        // SIZE is the unpacked size, as Docker's overlay2 measures its diff directory (docker images showed
        // 1982314 for a rootfs of a 1982256-byte busybox, a 30-byte passwd and four links to "busybox")
        assertThat(busybox.size()).isEqualTo(sizeAsDockerMeasuresIt(store.layerDirs(busybox).get(0)))
                .isNotEqualTo(layer.length);
    }

    @Test
    void theUnpackedSizeIsMeasuredOnceKeptAndForgottenWithTheLayer() throws IOException {
        Path root = tmp.resolve("image");
        LocalImageStore store = new LocalImageStore(root);
        byte[] layer = new TestArchives.Tar().dir("etc").file("etc/motd", "12345\n").symlink("etc/l", "motd")
                .hardlink("etc/again", "etc/motd").build();
        store.load(in(TestArchives.dockerSave(List.of("sized:v1"), List.of(layer), "true")));
        Image sized = store.resolve("sized:v1");
        assertThat(sized.size()).isEqualTo(6 + 4);    // the file once, the link's target "motd"
        String blob = Digests.hex(sized.layerDigests().get(0));
        assertThat(Files.readString(root.resolve("sizes").resolve(blob))).isEqualTo("10");
        assertThat(new LocalImageStore(root).list()).extracting(Image::size).containsExactly(10L);
        store.remove("sized:v1");
        assertThat(root.resolve("sizes").resolve(blob)).doesNotExist();
    }

    /** Docker's directory.Size: lstat sizes of everything but directories, each inode once. */
    private static long sizeAsDockerMeasuresIt(Path dir) throws IOException {
        java.util.Set<Object> inodes = new java.util.HashSet<>();
        long size = 0;
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.toList()) {
                var attrs = Files.readAttributes(p, java.nio.file.attribute.BasicFileAttributes.class,
                        java.nio.file.LinkOption.NOFOLLOW_LINKS);
                if (attrs.isDirectory() || attrs.size() == 0 || !inodes.add(attrs.fileKey())) continue;
                size += attrs.size();
            }
        }
        return size;
    }

    @Test
    void busyboxIsReproducibleAndResolvesByNameIdAndPrefix() {
        LocalImageStore a = new LocalImageStore(tmp.resolve("a"));
        LocalImageStore b = new LocalImageStore(tmp.resolve("b"));
        Image one = a.resolve("busybox:latest");
        Image two = b.resolve("busybox");
        assertThat(two.id()).isEqualTo(one.id());
        assertThat(two.layerDigests()).isEqualTo(one.layerDigests());
        assertThat(two.manifestDigest()).isEqualTo(one.manifestDigest());

        String hex = Digests.hex(one.id());
        assertThat(a.resolve(one.id()).id()).isEqualTo(one.id());
        assertThat(a.resolve(hex).id()).isEqualTo(one.id());
        assertThat(a.resolve(hex.substring(0, 12)).id()).isEqualTo(one.id());
        assertThat(a.resolve("sha256:" + hex.substring(0, 8)).id()).isEqualTo(one.id());
        assertThat(a.resolve("docker.io/library/busybox:latest").id()).isEqualTo(one.id());
        assertThat(a.list()).extracting(Image::id).containsExactly(one.id());

        assertThatThrownBy(() -> a.resolve("busybox:1.36")).isInstanceOf(NotFoundException.class)
                .hasMessage("No such image: busybox:1.36");
        assertThatThrownBy(() -> a.resolve("nope")).isInstanceOf(NotFoundException.class).hasMessage("No such image: nope");
        assertThatThrownBy(() -> a.resolve(hex.startsWith("f") ? "e" + hex.substring(1, 10) : "f" + hex.substring(1, 10)))
                .isInstanceOf(NotFoundException.class);
    }

    @Test
    void busyboxLayerUnpacksToARootfs() throws IOException {
        LocalImageStore store = new LocalImageStore(tmp.resolve("image"));
        Image busybox = store.resolve("busybox");
        List<Path> dirs = store.layerDirs(busybox);
        assertThat(dirs).hasSize(1);
        Path rootfs = dirs.get(0);
        assertThat(rootfs).isEqualTo(tmp.resolve("image/layers/" + Digests.hex(busybox.config().rootfs().diffIds().get(0))));
        assertThat(Files.isRegularFile(rootfs.resolve("bin/busybox"), LinkOption.NOFOLLOW_LINKS)).isTrue();
        assertThat(Files.isExecutable(rootfs.resolve("bin/busybox"))).isTrue();
        assertThat(Files.readSymbolicLink(rootfs.resolve("bin/sh")).toString()).isEqualTo("/bin/busybox");
        assertThat(Files.readSymbolicLink(rootfs.resolve("usr/bin/env")).toString()).isEqualTo("/bin/busybox");
        assertThat(Files.readString(rootfs.resolve("etc/passwd"))).contains("root:x:0:0:").contains("nobody:x:65534:65534:");
        assertThat(Files.readString(rootfs.resolve("etc/group"))).contains("root:x:0:");
        assertThat((Integer) Files.getAttribute(rootfs.resolve("tmp"), "unix:mode") & 07777).isEqualTo(01777);
        for (String d : List.of("proc", "sys", "dev", "root", "etc", "var", "home")) {
            assertThat(rootfs.resolve(d)).isDirectory();
        }
        // unpacked once: the second call finds it
        assertThat(store.layerDirs(busybox)).isEqualTo(dirs);
        try (Stream<Path> s = Files.list(tmp.resolve("image/layers"))) {
            assertThat(s.map(p -> p.getFileName().toString()).toList()).noneMatch(n -> n.startsWith(".tmp"));
        }
    }

    @Test
    void loadsADockerSaveArchive() throws IOException {
        LocalImageStore store = new LocalImageStore(tmp.resolve("image"));
        byte[] layer = new TestArchives.Tar().dir("app").file("app/hello.txt", "hello\n").build();
        byte[] archive = TestArchives.dockerSave(List.of("test/hello:1"), List.of(layer), "/app/run");

        assertThat(store.load(in(archive))).containsExactly("test/hello:1");

        Image img = store.resolve("test/hello:1");
        assertThat(img.config().config().cmd()).containsExactly("/app/run");
        assertThat(img.config().rootfs().diffIds()).containsExactly(TestArchives.sha256(layer));
        // the uncompressed layer.tar was stored gzip-compressed
        byte[] blob = Files.readAllBytes(tmp.resolve("image/blobs/sha256/" + Digests.hex(img.layerDigests().get(0))));
        assertThat(blob[0] & 0xff).isEqualTo(0x1f);
        Path dir = store.layerDirs(img).get(0);
        assertThat(Files.readString(dir.resolve("app/hello.txt"))).isEqualTo("hello\n");
        assertThat(store.list()).extracting(Image::id).containsExactly(img.id());
        assertThat(Files.list(tmp.resolve("image/tmp"))).isEmpty();
    }

    @Test
    void loadsAnOciLayoutTar() throws IOException {
        LocalImageStore store = new LocalImageStore(tmp.resolve("image"));
        byte[] layer = new TestArchives.Tar().file("etc/os-release", "ID=test\n").build();
        assertThat(store.load(in(TestArchives.ociLayout("oci/img:v1", List.of(layer), "true")))).containsExactly("oci/img:v1");
        Image img = store.resolve("oci/img:v1");
        assertThat(Files.readString(store.layerDirs(img).get(0).resolve("etc/os-release"))).isEqualTo("ID=test\n");
    }

    @Test
    void malformedArchivesAreRefusedAndLeaveNothing() throws IOException {
        LocalImageStore store = new LocalImageStore(tmp.resolve("image"));
        Path root = tmp.resolve("image");
        List<String> before = files(root);
        String indexBefore = Files.readString(root.resolve("index.json"));
        byte[] layer = new TestArchives.Tar().file("a.txt", "a").build();

        // missing config
        byte[] good = TestArchives.dockerSave(List.of("bad/one:1"), List.of(layer), "sh");
        byte[] missingConfig = TestArchives.tarOf(Map.of(
                "layer0/layer.tar", layer,
                "manifest.json", "[{\"Config\":\"nope.json\",\"RepoTags\":[\"bad/one:1\"],\"Layers\":[\"layer0/layer.tar\"]}]"
                        .getBytes(StandardCharsets.UTF_8)));
        assertThatThrownBy(() -> store.load(in(missingConfig))).isInstanceOf(InvalidParameterException.class)
                .hasMessageContaining("config nope.json is missing");

        // manifest.json of the wrong shape: said in the archive's terms, not Jackson's
        byte[] objectManifest = TestArchives.tarOf(Map.of("manifest.json",
                "{\"Config\":\"c.json\"}".getBytes(StandardCharsets.UTF_8)));
        assertThatThrownBy(() -> store.load(in(objectManifest))).isInstanceOf(InvalidParameterException.class)
                .hasMessage("invalid docker save archive: manifest.json must be a JSON array");
        byte[] badEntry = TestArchives.tarOf(Map.of("manifest.json",
                "[{\"Config\":\"c.json\",\"Layers\":\"one\"}]".getBytes(StandardCharsets.UTF_8)));
        assertThatThrownBy(() -> store.load(in(badEntry))).isInstanceOf(InvalidParameterException.class)
                .hasMessageStartingWith("invalid docker save archive: manifest.json must be a JSON array of objects")
                .hasMessageNotContaining("java.").hasMessageNotContaining("deserialize");

        // a diff_id that does not match the layer
        byte[] lying = TestArchives.config(List.of(TestArchives.sha256("something else".getBytes(StandardCharsets.UTF_8))), "sh");
        assertThatThrownBy(() -> store.load(in(TestArchives.dockerSave(List.of("bad/two:1"), List.of(layer), lying))))
                .isInstanceOf(InvalidParameterException.class).hasMessageContaining("diff_id");

        // more layers than diff_ids
        byte[] short1 = TestArchives.config(List.of(TestArchives.sha256(layer)), "sh");
        assertThatThrownBy(() -> store.load(in(TestArchives.dockerSave(List.of("bad/three:1"), List.of(layer, layer), short1))))
                .isInstanceOf(InvalidParameterException.class).hasMessageContaining("diff_ids");

        // not a tar at all
        assertThatThrownBy(() -> store.load(in("this is not an image archive\n".getBytes(StandardCharsets.UTF_8))))
                .isInstanceOf(InvalidParameterException.class).hasMessageStartingWith("invalid image archive:");
        byte[] noise = new byte[4096];
        new java.util.Random(42).nextBytes(noise);
        assertThatThrownBy(() -> store.load(in(noise))).isInstanceOf(InvalidParameterException.class);

        // a layer that is not a tar
        byte[] junkLayer = "definitely not a tar".repeat(40).getBytes(StandardCharsets.UTF_8);
        assertThatThrownBy(() -> store.load(in(TestArchives.dockerSave(List.of("bad/four:1"), List.of(junkLayer), "sh"))))
                .isInstanceOf(InvalidParameterException.class);

        // a tar that is valid but no image
        assertThatThrownBy(() -> store.load(in(TestArchives.tarOf(Map.of("hello", new byte[1])))))
                .isInstanceOf(InvalidParameterException.class).hasMessageContaining("manifest.json");

        assertThat(files(root)).isEqualTo(before);
        assertThat(Files.readString(root.resolve("index.json"))).isEqualTo(indexBefore);
        assertThat(store.list()).isEmpty();
        // the good one still loads afterwards
        assertThat(store.load(in(good))).containsExactly("bad/one:1");
    }

    @Test
    void removeUntagsThenDeletesAndKeepsSharedBlobs() throws IOException {
        LocalImageStore store = new LocalImageStore(tmp.resolve("image"));
        Path root = tmp.resolve("image");
        byte[] base = new TestArchives.Tar().file("base.txt", "shared").build();
        byte[] top = new TestArchives.Tar().file("top.txt", "only a").build();
        store.load(in(TestArchives.dockerSave(List.of("x/a:1", "x/a:2"), List.of(base, top), "a")));
        store.load(in(TestArchives.dockerSave(List.of("x/b:1"), List.of(base), "b")));
        Image a = store.resolve("x/a:1");
        Image b = store.resolve("x/b:1");
        assertThat(a.repoTags()).containsExactlyInAnyOrder("x/a:1", "x/a:2");
        assertThat(a.layerDigests().get(0)).isEqualTo(b.layerDigests().get(0));
        List<Path> aDirs = store.layerDirs(a);
        store.layerDirs(b);

        assertThat(store.remove("x/a:1")).containsExactly("Untagged: x/a:1");
        assertThat(store.resolve("x/a:2").id()).isEqualTo(a.id());
        assertThatThrownBy(() -> store.resolve("x/a:1")).isInstanceOf(NotFoundException.class);

        List<String> lines = store.remove("x/a:2");
        assertThat(lines).containsExactly("Untagged: x/a:2", "Deleted: " + a.id(), "Deleted: " + a.layerDigests().get(1));
        assertThatThrownBy(() -> store.resolve(a.id())).isInstanceOf(NotFoundException.class);
        assertThat(root.resolve("blobs/sha256/" + Digests.hex(a.id()))).doesNotExist();
        assertThat(root.resolve("blobs/sha256/" + Digests.hex(a.manifestDigest()))).doesNotExist();
        assertThat(root.resolve("blobs/sha256/" + Digests.hex(a.layerDigests().get(1)))).doesNotExist();
        assertThat(aDirs.get(1)).doesNotExist();
        // the shared base layer stays for b
        assertThat(root.resolve("blobs/sha256/" + Digests.hex(a.layerDigests().get(0)))).exists();
        assertThat(aDirs.get(0)).isDirectory();

        // by ID: untag and delete in one go
        assertThat(store.remove(Digests.hex(b.id()).substring(0, 12)))
                .containsExactly("Untagged: x/b:1", "Deleted: " + b.id(), "Deleted: " + b.layerDigests().get(0));
        assertThat(store.list()).isEmpty();
        try (Stream<Path> s = Files.list(root.resolve("blobs/sha256"))) {
            assertThat(s.toList()).isEmpty();
        }
        try (Stream<Path> s = Files.list(root.resolve("layers"))) {
            assertThat(s.toList()).isEmpty();
        }
        assertThatThrownBy(() -> store.remove("x/b:1")).isInstanceOf(NotFoundException.class).hasMessage("No such image: x/b:1");
    }

    @Test
    void aTagMovesToTheNewImageAndTheOldOneStaysUntagged() {
        LocalImageStore store = new LocalImageStore(tmp.resolve("image"));
        byte[] l = new TestArchives.Tar().file("f", "1").build();
        store.load(in(TestArchives.dockerSave(List.of("m/app:latest"), List.of(l), "one")));
        Image first = store.resolve("m/app");
        store.load(in(TestArchives.dockerSave(List.of("m/app:latest"), List.of(l), "two")));
        Image second = store.resolve("m/app");
        assertThat(second.id()).isNotEqualTo(first.id());
        List<Image> all = new ArrayList<>(store.list());
        assertThat(all).extracting(Image::id).containsExactlyInAnyOrder(first.id(), second.id());
        assertThat(store.resolve(first.id()).repoTags()).isEmpty();
    }
}
