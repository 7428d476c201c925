package dev.rabbithole.stage1.image;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;

import dev.rabbithole.stage1.errdefs.InvalidParameterException;
import dev.rabbithole.stage1.errdefs.SystemException;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * Reads an image archive into a staging directory and checks it completely before anything reaches
 * the store: a {@code docker save} archive ({@code manifest.json} with {@code Config}, {@code RepoTags},
 * {@code Layers}; layers as {@code <id>/layer.tar} or, from Docker 25, {@code blobs/sha256/<hex>}), or an
 * OCI image layout in a tar ({@code oci-layout}, {@code index.json}, image-layout.md). The archive itself
 * may be gzip-compressed. Every layer ends up as tar+gzip with its digest and diff_id computed here and
 * compared with the config's {@code rootfs.diff_ids}.
 */
final class ArchiveImporter {
    private static final int MAX_JSON = 16 * 1024 * 1024;

    /** One layer, ready to be adopted as a blob: a tar+gzip file in staging. */
    record Layer(Path gzipFile, String digest, long size, String diffId) { }

    /** One image, ready to be stored: its config bytes, layers lowest first, and the names to tag it with. */
    record Imported(byte[] config, ImageConfig parsedConfig, List<Layer> layers, List<String> refs) { }

    @JsonIgnoreProperties(ignoreUnknown = true)
    record DockerManifestEntry(@JsonProperty("Config") String config, @JsonProperty("RepoTags") List<String> repoTags,
                               @JsonProperty("Layers") List<String> layers) { }

    private final Path staging;
    private final Map<String, Path> files = new HashMap<>();
    private final Map<String, String> links = new HashMap<>();
    private final Map<String, Layer> layerCache = new HashMap<>();
    private int counter;

    /** @param staging an empty directory on the store's file system; the caller deletes it afterwards */
    ArchiveImporter(Path staging) {
        this.staging = staging;
    }

    /** @throws InvalidParameterException anything malformed, with a one-line reason */
    List<Imported> read(InputStream archive) {
        extract(archive);
        if (files.isEmpty()) throw invalid("empty or not a tar archive");
        if (has("manifest.json")) return readDockerSave();
        if (has("index.json")) return readOciLayout();
        throw invalid("neither manifest.json (docker save) nor index.json (OCI image layout) found");
    }

    // --- the archive's files, by name ---------------------------------------------------------

    private void extract(InputStream archive) {
        try {
            BufferedInputStream buffered = new BufferedInputStream(archive, 64 * 1024);
            buffered.mark(4);
            int b0 = buffered.read(), b1 = buffered.read();
            buffered.reset();
            InputStream in = (b0 == 0x1f && b1 == 0x8b) ? GzipCompressorInputStream.builder().setInputStream(buffered).setDecompressConcatenated(true).get() : buffered;
            TarArchiveInputStream tar = new TarArchiveInputStream(in);
            TarArchiveEntry e;
            while ((e = tar.getNextEntry()) != null) {
                String name = normalize(e.getName(), e.getName());
                if (name.isEmpty()) continue;
                if (e.isSymbolicLink()) {
                    String parent = name.contains("/") ? name.substring(0, name.lastIndexOf('/') + 1) : "";
                    String link = e.getLinkName();
                    links.put(name, normalize(e.getName(), link.startsWith("/") ? link : parent + link));
                } else if (e.isLink()) {
                    links.put(name, normalize(e.getName(), e.getLinkName()));
                } else if (e.isFile()) {
                    Path f = staging.resolve("f" + (counter++));
                    Files.copy(tar, f);
                    files.put(name, f);
                }
            }
        } catch (IOException | IllegalArgumentException e) {
            throw invalid("not a tar archive (" + e.getMessage() + ")");
        }
    }

    private static String normalize(String entry, String name) {
        List<String> parts = new ArrayList<>();
        for (String c : name.split("/")) {
            if (c.isEmpty() || c.equals(".")) continue;
            if (c.equals("..")) {
                if (parts.isEmpty()) throw invalid("entry " + entry + " escapes the archive");
                parts.remove(parts.size() - 1);
            } else {
                parts.add(c);
            }
        }
        return String.join("/", parts);
    }

    private boolean has(String name) {
        return lookup(name) != null;
    }

    private Path lookup(String name) {
        String n = normalize(name, name);
        for (int hops = 0; hops < 16; hops++) {
            Path f = files.get(n);
            if (f != null) return f;
            n = links.get(n);
            if (n == null) return null;
        }
        return null;
    }

    private Path require(String name, String what) {
        Path f = lookup(name);
        if (f == null) throw invalid(what + " " + name + " is missing from the archive");
        return f;
    }

    private byte[] readSmall(Path f, String name) {
        try {
            if (Files.size(f) > MAX_JSON) throw invalid(name + " is larger than " + MAX_JSON + " bytes");
            return Files.readAllBytes(f);
        } catch (IOException e) {
            throw new SystemException("cannot read staged " + name + ": " + e.getMessage(), e);
        }
    }

    // --- docker save --------------------------------------------------------------------------

    private List<Imported> readDockerSave() {
        List<DockerManifestEntry> entries;
        JsonNode tree;
        try {
            tree = Oci.JSON.readTree(readSmall(require("manifest.json", "file"), "manifest.json"));
        } catch (IOException e) {
            throw new InvalidParameterException("invalid docker save archive: manifest.json is not valid JSON: "
                    + oneLine(e));
        }
        if (tree == null || !tree.isArray()) {
            throw new InvalidParameterException("invalid docker save archive: manifest.json must be a JSON array");
        }
        try {
            entries = Oci.JSON.convertValue(tree, new TypeReference<List<DockerManifestEntry>>() { });
        } catch (IllegalArgumentException e) {
            throw new InvalidParameterException("invalid docker save archive: manifest.json must be a JSON array "
                    + "of objects with Config (a string), RepoTags and Layers (arrays of strings)"
                    + (e.getCause() instanceof JsonMappingException m ? " (at " + where(m) + ")" : ""));
        }
        if (entries == null || entries.isEmpty()) throw invalid("manifest.json lists no images");
        List<Imported> out = new ArrayList<>();
        for (DockerManifestEntry m : entries) {
            if (m == null || m.config() == null) throw invalid("manifest.json entry without Config");
            if (m.layers() == null) throw invalid("manifest.json entry without Layers");
            Path configFile = require(m.config(), "config");
            byte[] config = readSmall(configFile, m.config());
            String expected = digestFromBlobPath(m.config());
            if (expected != null && !expected.equals(Digests.of(config))) {
                throw invalid("config " + m.config() + " does not match its digest");
            }
            ImageConfig parsed = parseConfig(config, m.config());
            List<Layer> layers = new ArrayList<>();
            for (int i = 0; i < m.layers().size(); i++) {
                String name = m.layers().get(i);
                layers.add(layer(require(name, "layer"), name, digestFromBlobPath(name), parsed, i));
            }
            checkLayerCount(parsed, layers.size(), m.config());
            List<String> refs = new ArrayList<>();
            for (String tag : m.repoTags() == null ? List.<String>of() : m.repoTags()) refs.add(ref(tag));
            out.add(new Imported(config, parsed, layers, refs));
        }
        return out;
    }

    /** {@code blobs/sha256/<hex>} names carry their digest; {@code <hex>.json} and {@code <id>/layer.tar} do not. */
    private static String digestFromBlobPath(String name) {
        String n = normalize(name, name);
        if (n.startsWith("blobs/sha256/")) {
            String d = "sha256:" + n.substring("blobs/sha256/".length());
            if (Digests.isDigest(d)) return d;
        }
        return null;
    }

    // --- OCI image layout ---------------------------------------------------------------------

    private List<Imported> readOciLayout() {
        Oci.Index index = parse(readSmall(require("index.json", "file"), "index.json"), Oci.Index.class, "index.json");
        if (index.manifests() == null || index.manifests().isEmpty()) throw invalid("index.json lists no manifests");
        // one image per manifest digest, with every name any descriptor gives it
        Map<String, LinkedHashSet<String>> refsByManifest = new java.util.LinkedHashMap<>();
        Map<String, Oci.Descriptor> manifests = new HashMap<>();
        for (Oci.Descriptor d : index.manifests()) {
            Oci.Descriptor m = selectManifest(d, 0);
            manifests.putIfAbsent(m.digest(), m);
            LinkedHashSet<String> refs = refsByManifest.computeIfAbsent(m.digest(), k -> new LinkedHashSet<>());
            String name = d.annotation(Oci.ANNOTATION_CONTAINERD_NAME);
            if (name == null) name = d.annotation(Oci.ANNOTATION_REF_NAME);
            // a bare tag ("latest") names no repository: such an image is loaded untagged
            if (name != null && name.contains(":")) refs.add(ref(name));
        }
        List<Imported> out = new ArrayList<>();
        for (Map.Entry<String, LinkedHashSet<String>> en : refsByManifest.entrySet()) {
            Oci.Descriptor md = manifests.get(en.getKey());
            Oci.Manifest m = parse(blob(md), Oci.Manifest.class, "manifest " + md.digest());
            checkMediaType("manifest " + md.digest(), m.mediaType() != null ? m.mediaType() : md.mediaType(),
                    MANIFEST_TYPES);
            if (m.config() == null || m.layers() == null) throw invalid("manifest " + md.digest() + " has no config or layers");
            checkMediaType("config " + m.config().digest() + " of manifest " + md.digest(), m.config().mediaType(),
                    CONFIG_TYPES);
            byte[] config = blob(m.config());
            ImageConfig parsed = parseConfig(config, m.config().digest());
            List<Layer> layers = new ArrayList<>();
            for (int i = 0; i < m.layers().size(); i++) {
                Oci.Descriptor ld = m.layers().get(i);
                checkDigest(ld);
                String what = "layer " + i + " (" + ld.digest() + ") of manifest " + md.digest();
                if (ld.mediaType() != null && ld.mediaType().contains("zstd")) {
                    throw invalid(what + " is zstd-compressed (" + ld.mediaType() + "), which this store does not unpack");
                }
                checkMediaType(what, ld.mediaType(), LAYER_TYPES);
                Path file = require(blobName(ld.digest()), "layer");
                checkSize(ld, sizeOf(file));
                layers.add(layer(file, blobName(ld.digest()), ld.digest(), parsed, i));
            }
            checkLayerCount(parsed, layers.size(), m.config().digest());
            out.add(new Imported(config, parsed, layers, new ArrayList<>(en.getValue())));
        }
        return out;
    }

    /** Follows nested indexes (multi-platform images) down to the manifest for this host's platform. */
    private Oci.Descriptor selectManifest(Oci.Descriptor d, int depth) {
        checkDigest(d);
        String type = d.mediaType() == null ? "" : d.mediaType();
        if (!type.equals(Oci.MEDIA_TYPE_INDEX) && !type.equals(Oci.MEDIA_TYPE_DOCKER_MANIFEST_LIST)) return d;
        if (depth > 4) throw invalid("image indexes nested too deep");
        Oci.Index nested = parse(blob(d), Oci.Index.class, "index " + d.digest());
        String arch = BusyboxImage.hostArchitecture();
        for (Oci.Descriptor c : nested.manifests() == null ? List.<Oci.Descriptor>of() : nested.manifests()) {
            if (c.platform() == null || (arch.equals(c.platform().architecture()) && "linux".equals(c.platform().os()))) {
                return selectManifest(c, depth + 1);
            }
        }
        throw invalid("index " + d.digest() + " has no manifest for linux/" + arch);
    }

    /** Manifests an image is made of (image-spec manifest.md; Docker's image manifest v2 schema 2). */
    private static final java.util.Set<String> MANIFEST_TYPES = java.util.Set.of(Oci.MEDIA_TYPE_MANIFEST,
            Oci.MEDIA_TYPE_DOCKER_MANIFEST);
    /** Image configs (image-spec config.md; Docker's container image v1). */
    private static final java.util.Set<String> CONFIG_TYPES = java.util.Set.of(Oci.MEDIA_TYPE_CONFIG,
            "application/vnd.docker.container.image.v1+json");
    /** Layers this store unpacks: tar and tar+gzip, OCI's and Docker's, distributable or not (layer.md). */
    private static final java.util.Set<String> LAYER_TYPES = java.util.Set.of(Oci.MEDIA_TYPE_LAYER_TAR,
            Oci.MEDIA_TYPE_LAYER_GZIP, "application/vnd.oci.image.layer.nondistributable.v1.tar",
            "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
            "application/vnd.docker.image.rootfs.diff.tar", "application/vnd.docker.image.rootfs.diff.tar.gzip",
            "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip");

    /** A media type outside {@code known} is refused, naming it; an absent one is taken for the expected kind. */
    private static void checkMediaType(String what, String mediaType, java.util.Set<String> known) {
        if (mediaType != null && !known.contains(mediaType)) {
            throw invalid(what + " has media type " + mediaType + ", which is not one of " + new java.util.TreeSet<>(known));
        }
    }

    /** A descriptor's size must be the blob's (descriptor.md). */
    private static void checkSize(Oci.Descriptor d, long actual) {
        if (d.size() != actual) {
            throw invalid("blob " + d.digest() + " is " + actual + " bytes but its descriptor says " + d.size());
        }
    }

    private static long sizeOf(Path f) {
        try {
            return Files.size(f);
        } catch (IOException e) {
            throw new SystemException("cannot read staged blob: " + e.getMessage(), e);
        }
    }

    private static void checkDigest(Oci.Descriptor d) {
        if (d == null || !Digests.isDigest(d.digest())) {
            throw invalid("descriptor without a sha256 digest: " + (d == null ? "null" : d.digest()));
        }
    }

    private static String blobName(String digest) {
        return "blobs/sha256/" + Digests.hex(digest);
    }

    private byte[] blob(Oci.Descriptor d) {
        checkDigest(d);
        byte[] bytes = readSmall(require(blobName(d.digest()), "blob"), d.digest());
        if (!Digests.of(bytes).equals(d.digest())) throw invalid("blob " + d.digest() + " does not match its digest");
        checkSize(d, bytes.length);
        return bytes;
    }

    // --- layers -------------------------------------------------------------------------------

    /**
     * Checks one layer file and returns it as tar+gzip: gzip is kept as is, a plain tar is compressed.
     * The tar is parsed to the end (so a non-tar is refused now, not at first run) while its
     * uncompressed bytes are hashed into the diff_id.
     */
    private Layer layer(Path file, String name, String expectedDigest, ImageConfig config, int index) {
        List<String> diffIds = config.rootfs() == null ? null : config.rootfs().diffIds();
        String expectedDiffId = diffIds != null && index < diffIds.size() ? diffIds.get(index) : null;
        if (expectedDiffId == null) throw invalid("config has no rootfs.diff_ids entry for layer " + index + " (" + name + ")");
        Layer cached = layerCache.get(file.toString());
        if (cached == null) {
            try {
                cached = compressAndHash(file, name);
            } catch (InvalidParameterException e) {
                // a blob that is not what its name promises: say that, not what its damaged bytes look like
                if (expectedDigest != null && !expectedDigest.equals(fileDigest(file))) {
                    throw invalid("layer " + name + " does not match its digest " + expectedDigest);
                }
                throw e;
            }
            layerCache.put(file.toString(), cached);
        }
        if (expectedDigest != null && !expectedDigest.equals(cached.digest()) && !expectedDigest.equals(cached.diffId())) {
            throw invalid("layer " + name + " does not match its digest " + expectedDigest);
        }
        if (!expectedDiffId.equals(cached.diffId())) {
            throw invalid("layer " + index + " (" + name + ") has diff_id " + cached.diffId()
                    + " but the config's rootfs.diff_ids[" + index + "] is " + expectedDiffId);
        }
        return cached;
    }

    private Layer compressAndHash(Path file, String name) {
        byte[] magic = new byte[4];
        try (InputStream in = Files.newInputStream(file)) {
            int n = in.readNBytes(magic, 0, 4);
            boolean gzip = n >= 2 && (magic[0] & 0xff) == 0x1f && (magic[1] & 0xff) == 0x8b;
            if (n >= 4 && (magic[0] & 0xff) == 0x28 && (magic[1] & 0xff) == 0xb5 && (magic[2] & 0xff) == 0x2f && (magic[3] & 0xff) == 0xfd) {
                throw invalid("layer " + name + " is zstd-compressed, which is not supported");
            }
            MessageDigest fileDigest = Digests.sha256();
            MessageDigest diffDigest = Digests.sha256();
            if (gzip) {
                try (InputStream raw = TeeInputStream.hashing(Files.newInputStream(file), fileDigest);
                     InputStream tar = TeeInputStream.hashing(GzipCompressorInputStream.builder().setInputStream(raw).setDecompressConcatenated(true).get(), diffDigest)) {
                    walkTar(tar, name);
                    raw.transferTo(OutputStream.nullOutputStream());
                }
                fsync(file);
                return new Layer(file, Digests.of(fileDigest), Files.size(file), Digests.of(diffDigest));
            }
            Path gz = staging.resolve("g" + (counter++));
            try (InputStream raw = TeeInputStream.hashing(Files.newInputStream(file), diffDigest);
                 OutputStream fileOut = Files.newOutputStream(gz, StandardOpenOption.CREATE_NEW);
                 GzipCompressorOutputStream gzOut = new GzipCompressorOutputStream(new DigestOutputStream(fileOut, fileDigest))) {
                walkTar(new TeeInputStream(raw, gzOut), name);
            }
            fsync(gz);
            return new Layer(gz, Digests.of(fileDigest), Files.size(gz), Digests.of(diffDigest));
        } catch (IOException e) {
            throw new SystemException("cannot stage layer " + name + ": " + e.getMessage(), e);
        }
    }

    /** Reads every entry and then the rest of the stream, so the digest covers all bytes. */
    private static void walkTar(InputStream in, String name) {
        try {
            TarArchiveInputStream tar = new TarArchiveInputStream(in);
            while (tar.getNextEntry() != null) {
                tar.transferTo(OutputStream.nullOutputStream());
            }
            in.transferTo(OutputStream.nullOutputStream());
        } catch (IOException | IllegalArgumentException e) {
            throw invalid("layer " + name + " is not a valid tar: " + oneLine(e));
        }
    }

    private static String fileDigest(Path f) {
        MessageDigest md = Digests.sha256();
        try (InputStream in = TeeInputStream.hashing(Files.newInputStream(f), md)) {
            in.transferTo(OutputStream.nullOutputStream());
        } catch (IOException e) {
            throw new SystemException("cannot read staged layer: " + e.getMessage(), e);
        }
        return Digests.of(md);
    }

    private static void fsync(Path f) throws IOException {
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
            ch.force(true);
        }
    }

    // --- helpers ------------------------------------------------------------------------------

    private static ImageConfig parseConfig(byte[] config, String name) {
        ImageConfig parsed = parse(config, ImageConfig.class, "config " + name);
        if (parsed.rootfs() == null || parsed.rootfs().diffIds() == null) throw invalid("config " + name + " has no rootfs.diff_ids");
        for (String d : parsed.rootfs().diffIds()) {
            if (!Digests.isDigest(d)) throw invalid("config " + name + " has an invalid diff_id " + d);
        }
        return parsed;
    }

    private static void checkLayerCount(ImageConfig config, int layers, String name) {
        int diffIds = config.rootfs().diffIds().size();
        if (diffIds != layers) throw invalid("config " + name + " lists " + diffIds + " diff_ids but the image has " + layers + " layers");
    }

    private static String ref(String name) {
        String r = References.normalize(name);
        if (r == null) throw invalid("invalid image reference " + name);
        return r;
    }

    private static <T> T parse(byte[] json, Class<T> type, String what) {
        try {
            T v = Oci.JSON.readValue(json, type);
            if (v == null) throw invalid(what + " is empty");
            return v;
        } catch (IOException e) {
            throw invalid(what + " is not valid JSON: " + oneLine(e));
        }
    }

    /**
     * One line about a failed parse, without the JDK's or Jackson's class names: the syntax error of a
     * {@link JsonParseException}, "unexpected JSON at PATH" for a value of the wrong shape.
     */
    private static String oneLine(Exception e) {
        if (e instanceof JsonParseException p) {
            return p.getOriginalMessage();
        }
        if (e instanceof JsonMappingException m) {
            return "unexpected JSON at " + where(m);
        }
        String m = String.valueOf(e.getMessage());
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }

    /** The JSON path of a mapping problem: {@code [0].Layers}, {@code rootfs.diff_ids[2]}. */
    private static String where(JsonMappingException m) {
        StringBuilder path = new StringBuilder();
        for (JsonMappingException.Reference r : m.getPath()) {
            if (r.getFieldName() != null) {
                if (!path.isEmpty()) path.append('.');
                path.append(r.getFieldName());
            } else if (r.getIndex() >= 0) {
                path.append('[').append(r.getIndex()).append(']');
            }
        }
        return path.isEmpty() ? "the top level" : path.toString();
    }

    private static InvalidParameterException invalid(String why) {
        return new InvalidParameterException("invalid image archive: " + why);
    }
}
