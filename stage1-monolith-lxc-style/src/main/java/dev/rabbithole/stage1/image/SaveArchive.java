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
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Writes images as {@code docker save} does ({@code GET /images/get}, {@code GET /images/{name}/get}, Engine
 * API 1.41), in the layout Docker 20.10 writes and every {@code docker load} reads:
 *
 * <pre>
 * CONFIGHEX.json          the image's config blob as stored (its sha256 is the image ID)
 * V1ID/                   one directory per layer, named by a legacy v1 ID derived from the layer chain
 * V1ID/VERSION            "1.0"
 * V1ID/json               the legacy v1 image JSON of the layer (id, parent, created, ...)
 * V1ID/layer.tar          the layer, uncompressed (its sha256 is the config's rootfs.diff_ids entry)
 * manifest.json           [{"Config": "CONFIGHEX.json", "RepoTags": ["busybox:latest"] or null,
 *                           "Layers": ["V1ID/layer.tar", ...]}], one entry per image
 * repositories            {"busybox": {"latest": "V1ID of the top layer"}}, only when a tag is saved
 * </pre>
 *
 * Entries come in the order of a walk of that tree (names sorted), owned by root, files 0644 and directories
 * 0755, stamped with the image's creation time; {@code manifest.json} and {@code repositories} with time 0, as
 * Docker's.
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

    /** One file or directory of the archive. */
    private record Entry(List<String> path, boolean directory, Instant mtime, Content content) { }

    @FunctionalInterface
    private interface Content {
        /** @return the bytes, or null for a layer that is streamed (its length known beforehand) */
        byte[] bytes() throws IOException;
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
        ArrayNode manifest = JSON.createArrayNode();
        Map<String, Map<String, String>> repositories = new TreeMap<>();
        for (Image image : images.values()) {
            Instant created = created(image);
            String configName = Digests.hex(image.id()) + ".json";
            byte[] config;
            try (InputStream in = store.openBlob(image.id())) {
                config = in.readAllBytes();
            }
            entries.add(new Entry(List.of(configName), false, created, () -> config));
            List<String> diffIds = image.config().rootfs().diffIds();
            List<String> layerPaths = new ArrayList<>();
            String chain = null;
            String parent = null;
            for (int n = 0; n < diffIds.size(); n++) {
                chain = chain == null ? diffIds.get(n)
                        : Digests.of((chain + " " + diffIds.get(n)).getBytes(StandardCharsets.UTF_8));
                boolean top = n == diffIds.size() - 1;
                ObjectNode v1 = legacyJson(image, created, top);
                String v1Id = v1Id(v1, chain, parent);
                ObjectNode withIds = JSON.createObjectNode().put("id", v1Id);
                if (parent != null) {
                    withIds.put("parent", Digests.hex(parent));
                }
                withIds.setAll(v1);
                if (!layers.containsKey(v1Id)) {
                    layers.put(v1Id, new LayerSource(image.layerDigests().get(n)));
                    byte[] v1Bytes = JSON.writeValueAsBytes(withIds);
                    entries.add(new Entry(List.of(v1Id), true, created, null));
                    entries.add(new Entry(List.of(v1Id, "VERSION"), false, created,
                            () -> "1.0".getBytes(StandardCharsets.UTF_8)));
                    entries.add(new Entry(List.of(v1Id, "json"), false, created, () -> v1Bytes));
                    entries.add(new Entry(List.of(v1Id, "layer.tar"), false, created, null));
                }
                layerPaths.add(v1Id + "/layer.tar");
                parent = "sha256:" + v1Id;
            }
            ObjectNode m = manifest.addObject();
            m.put("Config", configName);
            Set<String> t = tags.get(image.id());
            if (t.isEmpty() || parent == null) {
                m.putNull("RepoTags");
            } else {
                ArrayNode rt = m.putArray("RepoTags");
                for (String tag : t) {
                    rt.add(tag);
                    int colon = tag.lastIndexOf(':');
                    repositories.computeIfAbsent(tag.substring(0, colon), k -> new TreeMap<>())
                            .put(tag.substring(colon + 1), Digests.hex(parent));
                }
            }
            layerPaths.forEach(m.putArray("Layers")::add);
        }
        String manifestText = manifest.isEmpty() ? "null" : JSON.writeValueAsString(manifest);  // Go's nil slice
        byte[] manifestBytes = (manifestText + "\n").getBytes(StandardCharsets.UTF_8);
        entries.add(new Entry(List.of("manifest.json"), false, Instant.EPOCH, () -> manifestBytes));
        if (!repositories.isEmpty()) {
            byte[] repoBytes = (JSON.writeValueAsString(repositories) + "\n").getBytes(StandardCharsets.UTF_8);
            entries.add(new Entry(List.of("repositories"), false, Instant.EPOCH, () -> repoBytes));
        }
        entries.sort(SaveArchive::walkOrder);

        TarArchiveOutputStream tar = new TarArchiveOutputStream(new NonClosing(out));
        tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
        tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
        for (Entry e : entries) {
            String name = String.join("/", e.path()) + (e.directory() ? "/" : "");
            TarArchiveEntry te = new TarArchiveEntry(name, e.directory() ? TarConstants.LF_DIR : TarConstants.LF_NORMAL);
            te.setMode(e.directory() ? 040755 : 0100644);
            te.setUserId(0);
            te.setGroupId(0);
            te.setUserName("root");
            te.setGroupName("root");
            te.setModTime(Date.from(e.mtime()));
            if (e.directory()) {
                tar.putArchiveEntry(te);
                tar.closeArchiveEntry();
            } else if (e.content() == null) {
                LayerSource src = layers.get(e.path().get(0));
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
     * The legacy v1 JSON of a layer, without {@code id} and {@code parent}: the creation time, an empty
     * container config and the OS; the top layer also carries the image's config and architecture.
     */
    private static ObjectNode legacyJson(Image image, Instant created, boolean top) {
        ObjectNode v1 = JSON.createObjectNode();
        v1.put("created", image.config().created() != null ? image.config().created() : created.toString());
        ObjectNode cc = v1.putObject("container_config");
        cc.put("Hostname", "").put("Domainname", "").put("User", "").put("AttachStdin", false)
                .put("AttachStdout", false).put("AttachStderr", false).put("Tty", false).put("OpenStdin", false)
                .put("StdinOnce", false).putNull("Env");
        cc.putNull("Cmd");
        cc.put("Image", "");
        cc.putNull("Volumes");
        cc.put("WorkingDir", "");
        cc.putNull("Entrypoint");
        cc.putNull("OnBuild");
        cc.putNull("Labels");
        if (top) {
            JsonNode config = JSON.valueToTree(image.config().config());
            if (config != null && !config.isNull()) {
                v1.set("config", config);
            }
            if (image.config().architecture() != null) {
                v1.put("architecture", image.config().architecture());
            }
        }
        v1.put("os", image.config().os() == null ? "linux" : image.config().os());
        return v1;
    }

    /**
     * A layer's legacy ID, as Docker derives it: the sha256 of its v1 JSON with the layer's chain ID as
     * {@code layer_id} and the parent's v1 ID as {@code parent}, keys sorted.
     */
    private static String v1Id(ObjectNode v1, String chainId, String parent) {
        TreeMap<String, JsonNode> sorted = new TreeMap<>();
        v1.fields().forEachRemaining(f -> sorted.put(f.getKey(), f.getValue()));
        sorted.put("layer_id", JSON.getNodeFactory().textNode(chainId));
        if (parent != null) {
            sorted.put("parent", JSON.getNodeFactory().textNode(parent));
        }
        try {
            return Digests.hex(Digests.of(JSON.writeValueAsBytes(sorted)));
        } catch (IOException e) {
            throw new SystemException("cannot serialize a layer's v1 JSON: " + e.getMessage(), e);
        }
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
