package dev.rabbithole.stage1.image;

import dev.rabbithole.stage1.errdefs.InvalidParameterException;
import dev.rabbithole.stage1.errdefs.NotFoundException;
import dev.rabbithole.stage1.storage.FileTrees;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The store's archives beyond the plain cases of {@link LocalImageStoreTest}: what {@code docker save} writes (Docker
 * 20.10's archive and Docker 25's OCI layout in one tar), OCI layouts as skopeo, umoci and Docker 25 write them
 * (nested indexes, uncompressed layers, names as a bare tag, a full name, containerd's annotation), the refusals
 * (digest, size, missing blob, media type, escaping layers; each leaves the store as it was), and digest references.
 */
class OciArchivesTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private Path tmp;
    private LocalImageStore store;

    @BeforeEach
    void open() throws IOException {
        tmp = Files.createTempDirectory("rabbithole-oci-test");
        store = new LocalImageStore(tmp.resolve("image"));
    }

    @AfterEach
    void delete() throws IOException {
        FileTrees.deleteRecursively(tmp);
    }

    /** An OCI layout built blob by blob; {@link #tar} with the index's descriptors. */
    private static final class Layout {
        final Map<String, byte[]> files = new LinkedHashMap<>();

        String blob(byte[] b) {
            String d = Digests.of(b);
            files.put("blobs/sha256/" + Digests.hex(d), b);
            return d;
        }

        static String desc(String mediaType, String digest, long size, String extra) {
            return "{\"mediaType\":\"" + mediaType + "\",\"digest\":\"" + digest + "\",\"size\":" + size
                    + (extra == null ? "" : "," + extra) + "}";
        }

        /** A manifest of {@code layers} (blobs stored as given, with these media types) and a config for them. */
        String manifest(List<byte[]> layerBlobs, List<byte[]> layerTars, List<String> types, Map<String, String> cfgOver) {
            List<String> diffIds = new ArrayList<>();
            StringBuilder ls = new StringBuilder();
            for (int i = 0; i < layerBlobs.size(); i++) {
                diffIds.add(Digests.of(layerTars.get(i)));
                String d = blob(layerBlobs.get(i));
                ls.append(i == 0 ? "" : ",").append(desc(types.get(i), d, layerBlobs.get(i).length, null));
            }
            byte[] config = TestArchives.config(diffIds, "sh");
            String cd = blob(config);
            String cType = cfgOver.getOrDefault("configType", Oci.MEDIA_TYPE_CONFIG);
            byte[] m = ("{\"schemaVersion\":2,\"mediaType\":\"" + cfgOver.getOrDefault("type", Oci.MEDIA_TYPE_MANIFEST)
                    + "\",\"config\":" + desc(cType, cd, config.length, null) + ",\"layers\":[" + ls + "]}")
                    .getBytes(StandardCharsets.UTF_8);
            return desc(cfgOver.getOrDefault("type", Oci.MEDIA_TYPE_MANIFEST), blob(m), m.length, null);
        }

        byte[] tar(String... descriptors) {
            files.put("oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}".getBytes(StandardCharsets.UTF_8));
            files.put("index.json", ("{\"schemaVersion\":2,\"manifests\":[" + String.join(",", descriptors) + "]}")
                    .getBytes(StandardCharsets.UTF_8));
            return TestArchives.tarOf(files);
        }
    }

    private static String named(String descriptor, String annotations) {
        return descriptor.substring(0, descriptor.length() - 1) + ",\"annotations\":{" + annotations + "}}";
    }

    private static String ref(String name) {
        return "\"" + Oci.ANNOTATION_REF_NAME + "\":\"" + name + "\"";
    }

    private static final byte[] LAYER = new TestArchives.Tar().dir("etc").file("etc/hello", "hi\n").build();

    private Layout oneImage() {
        return new Layout();
    }

    private String simple(Layout l) {
        return l.manifest(List.of(TestArchives.gzip(LAYER)), List.of(LAYER), List.of(Oci.MEDIA_TYPE_LAYER_GZIP), Map.of());
    }

    private static ByteArrayInputStream in(byte[] b) {
        return new ByteArrayInputStream(b);
    }

    private List<String> files() throws IOException {
        Path root = tmp.resolve("image");
        try (Stream<Path> s = Files.walk(root)) {
            return s.map(p -> root.relativize(p).toString()).sorted().toList();
        }
    }

    // --- names ----------------------------------------------------------------------------------

    @Test
    void aFullRefNameTagsABareTagLoadsUntaggedAndContainerdsNameWins() {
        Layout l = oneImage();
        String m = simple(l);
        byte[] full = l.tar(named(m, ref("example.com/team/app:1")));
        assertThat(store.load(in(full))).containsExactly("example.com/team/app:1");

        Layout bare = oneImage();
        byte[] other = new TestArchives.Tar().file("other", "2\n").build();
        String m2 = bare.manifest(List.of(other), List.of(other), List.of(Oci.MEDIA_TYPE_LAYER_TAR), Map.of());
        List<String> loaded = store.load(in(bare.tar(named(m2, ref("latest")))));
        // skopeo's oci:DIR:latest names no repository: the image is loaded untagged, by ID (Docker 25 does the same)
        assertThat(loaded).hasSize(1);
        assertThat(loaded.get(0)).startsWith("sha256:");
        assertThat(store.resolve(loaded.get(0)).repoTags()).isEmpty();

        // Docker 25's index: containerd's full name beside the bare tag
        assertThat(store.load(in(bare.tar(named(m2, "\"" + Oci.ANNOTATION_CONTAINERD_NAME
                + "\":\"docker.io/library/busybox:1.36\"," + ref("1.36")))))).containsExactly("busybox:1.36");
        assertThat(store.resolve("busybox:1.36").id()).isEqualTo(loaded.get(0));
    }

    @Test
    void aNestedIndexIsFollowedToThisPlatformsManifest() {
        Layout l = oneImage();
        String m = simple(l);
        String arch = BusyboxImage.hostArchitecture();
        String other = arch.equals("arm64") ? "amd64" : "arm64";
        // another platform's manifest that is not even in the layout: never read
        String foreign = Layout.desc(Oci.MEDIA_TYPE_MANIFEST, Digests.of("elsewhere".getBytes(StandardCharsets.UTF_8)), 9,
                "\"platform\":{\"architecture\":\"" + other + "\",\"os\":\"linux\"}");
        String mine = m.substring(0, m.length() - 1) + ",\"platform\":{\"architecture\":\"" + arch + "\",\"os\":\"linux\"}}";
        byte[] inner = ("{\"schemaVersion\":2,\"mediaType\":\"" + Oci.MEDIA_TYPE_INDEX + "\",\"manifests\":[" + foreign
                + "," + mine + "]}").getBytes(StandardCharsets.UTF_8);
        String innerDesc = Layout.desc(Oci.MEDIA_TYPE_INDEX, l.blob(inner), inner.length, null);
        byte[] outer = ("{\"schemaVersion\":2,\"mediaType\":\"" + Oci.MEDIA_TYPE_INDEX + "\",\"manifests\":[" + innerDesc
                + "]}").getBytes(StandardCharsets.UTF_8);
        String outerDesc = Layout.desc(Oci.MEDIA_TYPE_INDEX, l.blob(outer), outer.length, null);

        assertThat(store.load(in(l.tar(named(outerDesc, ref("multi/arch:2")))))).containsExactly("multi/arch:2");
        Path dir = store.layerDirs(store.resolve("multi/arch:2")).get(0);
        assertThat(dir.resolve("etc/hello")).hasContent("hi");
    }

    // --- refusals -------------------------------------------------------------------------------

    @Test
    void badLayoutsAreRefusedClearlyAndLeaveNothing() throws IOException {
        List<String> before = files();

        // a blob whose bytes do not hash to its name
        Layout tampered = oneImage();
        String m = simple(tampered);
        tampered.files.replaceAll((k, v) -> v == tampered.files.values().iterator().next() ? flip(v) : v);
        assertThatThrownBy(() -> store.load(in(tampered.tar(named(m, ref("bad/a:1"))))))
                .isInstanceOf(InvalidParameterException.class).hasMessageContaining("does not match its digest");

        // a manifest naming a blob the layout lacks
        Layout missing = oneImage();
        String m2 = simple(missing);
        missing.files.remove(missing.files.keySet().iterator().next());
        assertThatThrownBy(() -> store.load(in(missing.tar(named(m2, ref("bad/b:1"))))))
                .isInstanceOf(InvalidParameterException.class).hasMessageContaining("is missing from the archive");

        // a size that is not the blob's
        Layout sized = oneImage();
        String m3 = simple(sized);
        String wrongSize = m3.replaceFirst("\"size\":(\\d+)", "\"size\":1");
        assertThatThrownBy(() -> store.load(in(sized.tar(named(wrongSize, ref("bad/c:1"))))))
                .isInstanceOf(InvalidParameterException.class).hasMessageContaining("descriptor says 1");

        // media types: a layer type nobody unpacks, zstd, an artifact's config, a manifest that is something else
        Layout unknown = oneImage();
        String m4 = unknown.manifest(List.of(LAYER), List.of(LAYER), List.of("application/vnd.example.thing"), Map.of());
        assertThatThrownBy(() -> store.load(in(unknown.tar(named(m4, ref("bad/d:1"))))))
                .isInstanceOf(InvalidParameterException.class)
                .hasMessageContaining("has media type application/vnd.example.thing");
        Layout zstd = oneImage();
        String m5 = zstd.manifest(List.of(LAYER), List.of(LAYER), List.of("application/vnd.oci.image.layer.v1.tar+zstd"),
                Map.of());
        assertThatThrownBy(() -> store.load(in(zstd.tar(named(m5, ref("bad/e:1"))))))
                .isInstanceOf(InvalidParameterException.class).hasMessageContaining("zstd");
        Layout artifact = oneImage();
        String m6 = artifact.manifest(List.of(LAYER), List.of(LAYER), List.of(Oci.MEDIA_TYPE_LAYER_TAR),
                Map.of("configType", "application/vnd.example.sbom.config+json"));
        assertThatThrownBy(() -> store.load(in(artifact.tar(named(m6, ref("bad/f:1"))))))
                .isInstanceOf(InvalidParameterException.class)
                .hasMessageContaining("media type application/vnd.example.sbom.config+json");

        // layers that leave their directory: by ../, and through an absolute symlink
        byte[] dotdot = new TestArchives.Tar().file("../../escaped", "x").build();
        byte[] viaLink = new TestArchives.Tar().symlink("etc", "/etc").file("etc/owned", "x").build();
        for (byte[] evil : List.of(dotdot, viaLink)) {
            Layout l = oneImage();
            String me = l.manifest(List.of(LAYER, evil), List.of(LAYER, evil),
                    List.of(Oci.MEDIA_TYPE_LAYER_TAR, Oci.MEDIA_TYPE_LAYER_TAR), Map.of());
            assertThatThrownBy(() -> store.load(in(l.tar(named(me, ref("bad/g:1"))))))
                    .isInstanceOf(InvalidParameterException.class).hasMessageContaining("refusing layer entry");
        }
        assertThat(Path.of("/etc/owned")).doesNotExist();

        assertThat(files()).isEqualTo(before);
        assertThat(store.list()).isEmpty();
    }

    private static byte[] flip(byte[] b) {
        byte[] c = b.clone();
        c[c.length / 2] ^= 1;
        return c;
    }

    // --- docker save ----------------------------------------------------------------------------

    @Test
    void saveWritesDockersArchiveAndAnOciLayoutThatEachLoadAlone() throws IOException {
        Layout l = oneImage();
        String m = simple(l);
        store.load(in(l.tar(named(m, ref("example.com/team/app:1")))));
        Image img = store.resolve("example.com/team/app:1");
        store.tag(img.id(), "app:2");

        ByteArrayOutputStream out = new ByteArrayOutputStream();
        SaveArchive.select(store, List.of("example.com/team/app:1", "app:2")).write(out);
        byte[] saved = out.toByteArray();
        Map<String, TarArchiveEntry> entries = new LinkedHashMap<>();
        Map<String, byte[]> content = new LinkedHashMap<>();
        try (TarArchiveInputStream t = new TarArchiveInputStream(in(saved))) {
            TarArchiveEntry e;
            while ((e = t.getNextEntry()) != null) {
                entries.put(e.getName(), e);
                content.put(e.getName(), t.readAllBytes());
            }
        }
        String diffHex = Digests.hex(img.config().rootfs().diffIds().get(0));
        String v1 = SaveArchive.v1Layers(content.get(Digests.hex(img.id()) + ".json")).get(0).id();
        assertThat(entries).containsKeys("manifest.json", "repositories", "oci-layout", "index.json",
                v1 + "/VERSION", v1 + "/json", "blobs/sha256/" + Digests.hex(img.id()), "blobs/sha256/" + diffHex);
        // the layer is in the tar once, uncompressed; Docker 20.10's layer.tar links to it
        assertThat(content.get("blobs/sha256/" + diffHex)).isEqualTo(LAYER);
        assertThat(entries.get(v1 + "/layer.tar").isSymbolicLink()).isTrue();
        assertThat(entries.get(v1 + "/layer.tar").getLinkName()).isEqualTo("../blobs/sha256/" + diffHex);
        JsonNode index = JSON.readTree(content.get("index.json"));
        assertThat(index.get("manifests")).hasSize(2);
        assertThat(index.findValuesAsText(Oci.ANNOTATION_CONTAINERD_NAME))
                .containsExactly("example.com/team/app:1", "docker.io/library/app:2");
        assertThat(index.findValuesAsText(Oci.ANNOTATION_REF_NAME)).containsExactly("1", "2");
        // the same images saved again: the same bytes
        ByteArrayOutputStream again = new ByteArrayOutputStream();
        SaveArchive.select(store, List.of("example.com/team/app:1", "app:2")).write(again);
        assertThat(again.toByteArray()).isEqualTo(saved);

        // Docker's side alone (manifest.json, the OCI files ignored) and the OCI side alone (manifest.json removed)
        LocalImageStore docker = new LocalImageStore(tmp.resolve("docker"));
        assertThat(docker.load(in(saved))).containsExactly("example.com/team/app:1", "app:2");
        assertThat(docker.resolve("app:2").id()).isEqualTo(img.id());
        Map<String, byte[]> ociOnly = new LinkedHashMap<>(content);
        ociOnly.keySet().removeIf(k -> !k.startsWith("blobs/") && !k.equals("index.json") && !k.equals("oci-layout"));
        ociOnly.keySet().removeIf(k -> k.endsWith("/"));
        LocalImageStore oci = new LocalImageStore(tmp.resolve("oci"));
        assertThat(oci.load(in(TestArchives.tarOf(ociOnly)))).containsExactly("example.com/team/app:1", "app:2");
        assertThat(oci.resolve("example.com/team/app:1").id()).isEqualTo(img.id());
    }

    // --- digest references ----------------------------------------------------------------------

    @Test
    void aRecordedRepoDigestShowsResolvesAndGoesWithTheRepositorysLastTag() {
        Layout l = oneImage();
        store.load(in(l.tar(named(simple(l), ref("example.com/team/app:1")))));
        Image img = store.resolve("example.com/team/app:1");
        String digest = Digests.of("the registry's manifest".getBytes(StandardCharsets.UTF_8));

        assertThat(store.recordRepoDigest(img.id(), "example.com/team/app:1", digest))
                .isEqualTo("example.com/team/app@" + digest);
        assertThat(store.recordRepoDigest(img.id(), "docker.io/library/busybox", digest)).isEqualTo("busybox@" + digest);
        assertThat(store.repoDigests(img.id())).containsExactly("example.com/team/app@" + digest, "busybox@" + digest);
        assertThat(store.resolve("example.com/team/app:1").repoTags()).containsExactly("example.com/team/app:1");
        assertThat(store.resolve("busybox@" + digest).id()).isEqualTo(img.id());
        assertThatThrownBy(() -> store.resolve("busybox@" + Digests.of(new byte[1]))).isInstanceOf(NotFoundException.class);
        assertThatThrownBy(() -> store.recordRepoDigest(img.id(), "Bad Name", digest))
                .isInstanceOf(InvalidParameterException.class);

        // untagging the repository's last tag takes its digest; the other repository's digest keeps the image
        assertThat(store.remove("example.com/team/app:1"))
                .containsExactly("Untagged: example.com/team/app:1", "Untagged: example.com/team/app@" + digest);
        assertThat(store.repoDigests(img.id())).containsExactly("busybox@" + digest);
        assertThat(store.remove("busybox@" + digest)).containsExactly("Untagged: busybox@" + digest,
                "Deleted: " + img.id(), "Deleted: " + img.layerDigests().get(0));
        assertThat(store.list()).isEmpty();
    }

}
