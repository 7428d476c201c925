package dev.rabbithole.stage1.image;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rabbithole.stage1.errdefs.NotFoundException;
import dev.rabbithole.stage1.errdefs.SystemException;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Writes images as {@code docker save} does ({@code GET /images/get}, {@code GET /images/{name}/get}, Engine
 * API 1.41): the archive Docker 20.10 writes and every {@code docker load} reads, and in the same tar the OCI image
 * layout that Docker 25 added (image-spec image-layout.md), so that OCI tools ({@code skopeo ... oci-archive:},
 * containerd's import) read it too:
 *
 * <pre>
 * CONFIGHEX.json          the image's config blob as stored (its sha256 is the image ID)
 * V1ID/                   one directory per layer, named by the legacy v1 ID Docker derives from the layer chain
 * V1ID/VERSION            "1.0"
 * V1ID/json               the legacy v1 image JSON of the layer (id, parent, created, ...), as Docker writes it
 * V1ID/layer.tar          a symlink to ../blobs/sha256/DIFFIDHEX, the layer (Docker 20.10 symlinks a layer it
 *                         already wrote, too)
 * manifest.json           [{"Config": "CONFIGHEX.json", "RepoTags": ["busybox:latest"] or null,
 *                           "Layers": ["V1ID/layer.tar", ...]}], one entry per image
 * repositories            {"busybox": {"latest": "V1ID of the top layer"}}, only when a tag is saved
 * oci-layout              {"imageLayoutVersion":"1.0.0"}
 * index.json              an OCI index: per saved tag one manifest descriptor annotated, as Docker 25's,
 *                         io.containerd.image.name = "docker.io/library/busybox:latest" and
 *                         org.opencontainers.image.ref.name = "latest"; an untagged image without annotations
 * blobs/sha256/HEX        the config, an OCI manifest per image, and each layer uncompressed
 *                         (application/vnd.oci.image.layer.v1.tar, so its digest is its diff_id)
 * </pre>
 *
 * Entries come in the order of a walk of that tree (names sorted), owned by root, files 0644 and directories
 * 0755, stamped with the image's creation time; {@code manifest.json}, {@code repositories}, {@code oci-layout},
 * {@code index.json} and manifests with time 0. Two saves of the same images are the same bytes. With no image
 * to save, only {@code manifest.json} ({@code null}), as Docker 20.10.
 *
 * <p>Which images and tags: {@code name:tag} saves that tag; a name without a tag saves every tag of that
 * repository; an ID (or ID prefix) saves the image without tags ({@code RepoTags} null), unless another name
 * brought tags for it.
 */
public final class SaveArchive {
    private static final ObjectMapper JSON = new ObjectMapper().disable(SerializationFeature.INDENT_OUTPUT);

    private final ImageStore store;
    private final Map<String, Image> images = new LinkedHashMap<>();
    private final Map<String, Set<String>> tags = new LinkedHashMap<>();

    private SaveArchive(ImageStore store) {
        this.store = store;
    }

    /**
     * Selects what to save; nothing is written yet, so an unknown name fails before any byte goes out.
     *
     * @param store the image store
     * @param names image names, {@code name:tag} references or (prefixes of) IDs, in the order given; none
     *              gives an archive with only {@code manifest.json} holding {@code null}, as Docker's
     * @return the archive, ready to {@link #write}
     * @throws NotFoundException {@code No such image: NAME}
     */
    public static SaveArchive select(ImageStore store, List<String> names) {
        SaveArchive a = new SaveArchive(store);
        for (String name : names == null ? List.<String>of() : names) {
            a.add(name);
        }
        return a;
    }

    private void add(String name) {
        if (!name.startsWith("sha256:") && !name.contains("@") && !hasTag(name)) {
            String repo = References.normalize(name);
            if (repo != null) {
                String prefix = repo.substring(0, repo.lastIndexOf(':') + 1);
                boolean any = false;
                for (Image i : store.list()) {
                    for (String t : i.repoTags()) {
                        if (t.startsWith(prefix)) {
                            associate(i, t);
                            any = true;
                        }
                    }
                }
                if (any) {
                    return;
                }
            }
        }
        Image i = store.resolve(name);
        String tag = name.startsWith("sha256:") ? null : References.normalize(name);
        associate(i, tag != null && i.repoTags().contains(tag) ? tag : null);
    }

    private static boolean hasTag(String name) {
        return name.lastIndexOf(':') > name.lastIndexOf('/');
    }

    private void associate(Image i, String tag) {
        images.putIfAbsent(i.id(), i);
        Set<String> t = tags.computeIfAbsent(i.id(), k -> new LinkedHashSet<>());
        if (tag != null) {
            t.add(tag);
        }
    }

    /** @return the IDs of the selected images, in order */
    public List<String> imageIds() {
        return List.copyOf(images.keySet());
    }

    /** One file, directory or symlink of the archive. */
    private record Entry(List<String> path, boolean directory, Instant mtime, Content content, String linkTarget) {
        Entry(List<String> path, boolean directory, Instant mtime, Content content) {
            this(path, directory, mtime, content, null);
        }
    }

    @FunctionalInterface
    private interface Content {
        /** @return the bytes, or null for a layer that is streamed (its length known beforehand) */
        byte[] bytes() throws IOException;
    }

    /**
     * One layer's legacy v1 entry, as {@code docker save} of Docker 20.10 derives it.
     *
     * @param id   the v1 ID, 64 hex characters
     * @param json the {@code V1ID/json} file's bytes
     */
    record V1Layer(String id, byte[] json) { }

    /**
     * The legacy v1 IDs and JSON files of an image's layers, lowest first, as Docker 20.10's {@code docker save}
     * writes them: a layer below the top gets only the epoch as {@code created} and an empty
     * {@code container_config}, the top layer the config's own fields ({@link LegacyConfig#v1Image}); the ID is
     * the sha256 of that JSON (keys of the top level sorted) with the layer's chain ID as {@code layer_id} and
     * the parent's v1 ID as {@code parent}; the file then carries {@code id}, {@code parent} (hex) and {@code os}.
     *
     * @param rawConfig the config blob
     * @return one entry per {@code rootfs.diff_ids} entry
     * @throws IOException the config is not JSON
     */
    static List<V1Layer> v1Layers(byte[] rawConfig) throws IOException {
        JsonNode raw = Oci.JSON.readTree(rawConfig);
        List<String> diffIds = new ArrayList<>();
        raw.path("rootfs").path("diff_ids").forEach(d -> diffIds.add(d.asText()));
        String os = raw.path("os").asText("");
        List<V1Layer> out = new ArrayList<>();
        String chain = null;
        String parent = null;
        for (int n = 0; n < diffIds.size(); n++) {
            chain = chain == null ? diffIds.get(n)
                    : Digests.of((chain + " " + diffIds.get(n)).getBytes(StandardCharsets.UTF_8));
            boolean top = n == diffIds.size() - 1;
            ObjectNode v1 = top ? LegacyConfig.v1Image(raw) : LegacyConfig.v1Lower();
            String v1Id = v1Id(v1, chain, parent);
            ObjectNode file = JSON.createObjectNode().put("id", v1Id);
            if (parent != null) {
                file.put("parent", Digests.hex(parent));
                v1.remove("parent");
            }
            file.setAll(v1);
            if (!os.isEmpty()) {
                file.put("os", os);
            }
            out.add(new V1Layer(v1Id, LegacyConfig.goJson(file)));
            parent = "sha256:" + v1Id;
        }
        return out;
    }

    /**
     * Writes the archive (an uncompressed tar).
     *
     * @param out where to; not closed
     * @throws IOException the output failed, or a blob could not be read
     */
    public void write(OutputStream out) throws IOException {
        List<Entry> entries = new ArrayList<>();
        Map<String, LayerSource> layers = new LinkedHashMap<>();
        Set<String> written = new HashSet<>();
        ArrayNode manifest = JSON.createArrayNode();
        Map<String, Map<String, String>> repositories = new TreeMap<>();
        List<Oci.Descriptor> index = new ArrayList<>();
        if (!images.isEmpty()) {       // nothing to save: Docker 20.10's manifest.json alone
            entries.add(new Entry(List.of("blobs"), true, Instant.EPOCH, null));
            entries.add(new Entry(List.of("blobs", "sha256"), true, Instant.EPOCH, null));
        }
        for (Image image : images.values()) {
            Instant created = created(image);
            String configHex = Digests.hex(image.id());
            String configName = configHex + ".json";
            byte[] config;
            try (InputStream in = store.openBlob(image.id())) {
                config = in.readAllBytes();
            }
            entries.add(new Entry(List.of(configName), false, created, () -> config));
            if (written.add(configHex)) {
                entries.add(new Entry(List.of("blobs", "sha256", configHex), false, created, () -> config));
            }
            List<String> diffIds = image.config().rootfs().diffIds();
            List<V1Layer> v1 = v1Layers(config);
            List<String> layerPaths = new ArrayList<>();
            List<Oci.Descriptor> ociLayers = new ArrayList<>();
            for (int n = 0; n < diffIds.size(); n++) {
                String v1Id = v1.get(n).id();
                String diffHex = Digests.hex(diffIds.get(n));
                String blob = "blobs/sha256/" + diffHex;
                LayerSource src = layers.get(blob);
                if (src == null) {
                    src = new LayerSource(image.layerDigests().get(n));
                    layers.put(blob, src);
                    entries.add(new Entry(List.of("blobs", "sha256", diffHex), false, created, null));
                }
                if (written.add(v1Id)) {
                    byte[] v1Bytes = v1.get(n).json();
                    entries.add(new Entry(List.of(v1Id), true, created, null));
                    entries.add(new Entry(List.of(v1Id, "VERSION"), false, created,
                            () -> "1.0".getBytes(StandardCharsets.UTF_8)));
                    entries.add(new Entry(List.of(v1Id, "json"), false, created, () -> v1Bytes));
                    entries.add(new Entry(List.of(v1Id, "layer.tar"), false, created, null, "../" + blob));
                }
                layerPaths.add(v1Id + "/layer.tar");
                ociLayers.add(new Oci.Descriptor(Oci.MEDIA_TYPE_LAYER_TAR, diffIds.get(n), src.length(), null, null));
            }
            // tag::save-both-formats[]
            String top = v1.isEmpty() ? null : v1.get(v1.size() - 1).id();
            ObjectNode m = manifest.addObject();
            m.put("Config", configName);
            Set<String> t = tags.get(image.id());
            if (t.isEmpty() || top == null) {
                m.putNull("RepoTags");
            } else {
                ArrayNode rt = m.putArray("RepoTags");
                for (String tag : t) {
                    rt.add(tag);
                    int colon = tag.lastIndexOf(':');
                    repositories.computeIfAbsent(tag.substring(0, colon), k -> new TreeMap<>())
                            .put(tag.substring(colon + 1), top);
                }
            }
            layerPaths.forEach(m.putArray("Layers")::add);

            // the OCI side: a manifest of the uncompressed layers, named in index.json
            Oci.Platform platform = new Oci.Platform(image.config().architecture(),
                    image.config().os() == null ? "linux" : image.config().os(), null);
            byte[] ociManifest = Oci.JSON.writeValueAsBytes(new Oci.Manifest(2, Oci.MEDIA_TYPE_MANIFEST,
                    new Oci.Descriptor(Oci.MEDIA_TYPE_CONFIG, image.id(), config.length, null, null), ociLayers, null));
            String manifestDigest = Digests.of(ociManifest);
            if (written.add(Digests.hex(manifestDigest))) {
                entries.add(new Entry(List.of("blobs", "sha256", Digests.hex(manifestDigest)), false, Instant.EPOCH,
                        () -> ociManifest));
            }
            if (t.isEmpty()) {
                index.add(new Oci.Descriptor(Oci.MEDIA_TYPE_MANIFEST, manifestDigest, ociManifest.length, null, platform));
            }
            for (String tag : t) {
                Map<String, String> annotations = new LinkedHashMap<>();
                annotations.put(Oci.ANNOTATION_CONTAINERD_NAME, fullName(tag));
                annotations.put(Oci.ANNOTATION_REF_NAME, tag.substring(tag.lastIndexOf(':') + 1));
                index.add(new Oci.Descriptor(Oci.MEDIA_TYPE_MANIFEST, manifestDigest, ociManifest.length, annotations,
                        platform));
            }
            // end::save-both-formats[]
        }
        String manifestText = manifest.isEmpty() ? "null" : JSON.writeValueAsString(manifest);  // Go's nil slice
        byte[] manifestBytes = (manifestText + "\n").getBytes(StandardCharsets.UTF_8);
        entries.add(new Entry(List.of("manifest.json"), false, Instant.EPOCH, () -> manifestBytes));
        if (!repositories.isEmpty()) {
            byte[] repoBytes = (JSON.writeValueAsString(repositories) + "\n").getBytes(StandardCharsets.UTF_8);
            entries.add(new Entry(List.of("repositories"), false, Instant.EPOCH, () -> repoBytes));
        }
        if (!images.isEmpty()) {
            byte[] layoutBytes = ("{\"imageLayoutVersion\":\"" + Oci.IMAGE_LAYOUT_VERSION + "\"}")
                    .getBytes(StandardCharsets.UTF_8);
            entries.add(new Entry(List.of("oci-layout"), false, Instant.EPOCH, () -> layoutBytes));
            byte[] indexBytes = Oci.JSON.writeValueAsBytes(new Oci.Index(2, Oci.MEDIA_TYPE_INDEX, index, null));
            entries.add(new Entry(List.of("index.json"), false, Instant.EPOCH, () -> indexBytes));
        }
        entries.sort(SaveArchive::walkOrder);

        TarArchiveOutputStream tar = new TarArchiveOutputStream(new NonClosing(out));
        tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
        tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
        for (Entry e : entries) {
            String name = String.join("/", e.path()) + (e.directory() ? "/" : "");
            TarArchiveEntry te;
            if (e.linkTarget() != null) {
                te = new TarArchiveEntry(name, TarConstants.LF_SYMLINK);
                te.setLinkName(e.linkTarget());
                te.setMode(0120777);
            } else {
                te = new TarArchiveEntry(name, e.directory() ? TarConstants.LF_DIR : TarConstants.LF_NORMAL);
                te.setMode(e.directory() ? 040755 : 0100644);
            }
            te.setUserId(0);
            te.setGroupId(0);
            te.setUserName("root");
            te.setGroupName("root");
            te.setModTime(Date.from(e.mtime()));
            if (e.directory() || e.linkTarget() != null) {
                tar.putArchiveEntry(te);
                tar.closeArchiveEntry();
            } else if (e.content() == null) {
                LayerSource src = layers.get(String.join("/", e.path()));
                te.setSize(src.length());
                tar.putArchiveEntry(te);
                try (InputStream in = src.open()) {
                    in.transferTo(tar);
                }
                tar.closeArchiveEntry();
            } else {
                byte[] b = e.content().bytes();
                te.setSize(b.length);
                tar.putArchiveEntry(te);
                tar.write(b);
                tar.closeArchiveEntry();
            }
        }
        tar.finish();
        tar.flush();
    }

    /**
     * A reference as containerd (and Docker 25's {@code io.containerd.image.name}) spells it: with the registry
     * host, {@code docker.io/library/} for an official image's short name.
     *
     * @param tag {@code name:tag} as the store keeps it ({@code busybox:latest}, {@code example.com/a/b:1})
     * @return e.g. {@code docker.io/library/busybox:latest}, {@code example.com/a/b:1}
     */
    static String fullName(String tag) {
        int slash = tag.indexOf('/');
        String first = slash < 0 ? "" : tag.substring(0, slash);
        if (slash >= 0 && (first.contains(".") || first.contains(":") || first.equals("localhost"))) {
            return tag;
        }
        return "docker.io/" + (slash < 0 ? "library/" : "") + tag;
    }

    /** A layer blob of the store, read uncompressed; its length is measured by a first pass. */
    private final class LayerSource {
        private final String digest;
        private long length = -1;

        LayerSource(String digest) {
            this.digest = digest;
        }

        InputStream open() throws IOException {
            InputStream raw = new BufferedInputStream(store.openBlob(digest), 1 << 16);
            raw.mark(2);
            int b0 = raw.read();
            int b1 = raw.read();
            raw.reset();
            if (b0 == 0x1f && b1 == 0x8b) {
                return GzipCompressorInputStream.builder().setInputStream(raw).setDecompressConcatenated(true).get();
            }
            return raw;
        }

        long length() throws IOException {
            if (length < 0) {
                try (InputStream in = open()) {
                    length = in.transferTo(OutputStream.nullOutputStream());
                }
            }
            return length;
        }
    }

    /** The order of a walk of the tree: by path components, a directory right before its contents. */
    private static int walkOrder(Entry a, Entry b) {
        int n = Math.min(a.path().size(), b.path().size());
        for (int i = 0; i < n; i++) {
            int c = a.path().get(i).compareTo(b.path().get(i));
            if (c != 0) {
                return c;
            }
        }
        return Integer.compare(a.path().size(), b.path().size());
    }

    /**
     * A layer's legacy ID, as Docker derives it: the sha256 of its v1 JSON (Go's spelling) without {@code id},
     * with the layer's chain ID as {@code layer_id} and the parent's v1 ID as {@code parent}, top-level keys sorted.
     */
    private static String v1Id(ObjectNode v1, String chainId, String parent) {
        TreeMap<String, JsonNode> sorted = new TreeMap<>();
        v1.fields().forEachRemaining(f -> sorted.put(f.getKey(), f.getValue()));
        sorted.put("layer_id", JSON.getNodeFactory().textNode(chainId));
        if (parent != null) {
            sorted.put("parent", JSON.getNodeFactory().textNode(parent));
        }
        ObjectNode ordered = JSON.createObjectNode();
        sorted.forEach(ordered::set);
        return Digests.hex(Digests.of(LegacyConfig.goJson(ordered)));
    }

    private static Instant created(Image image) {
        String c = image.config() == null ? null : image.config().created();
        if (c != null) {
            try {
                return OffsetDateTime.parse(c).toInstant();
            } catch (RuntimeException e) {
                // the seconds the store parsed
            }
        }
        return Instant.ofEpochSecond(image.createdEpochSeconds());
    }

    /** Lets the tar stream finish without closing the caller's stream. */
    private static final class NonClosing extends java.io.FilterOutputStream {
        NonClosing(OutputStream out) {
            super(out);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
        }

        @Override
        public void close() throws IOException {
            flush();
        }
    }
}
