package dev.rabbithole.stage4.distribution;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.luben.zstd.ZstdInputStream;
import dev.rabbithole.stage1.daemon.Registry;
import dev.rabbithole.stage1.errdefs.EngineException;
import dev.rabbithole.stage1.errdefs.NotFoundException;
import dev.rabbithole.stage1.image.Image;
import dev.rabbithole.stage1.image.ImageStore;
import dev.rabbithole.stage1.storage.FileTrees;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipParameters;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;

/**
 * {@code docker pull} as the distribution-spec's "Pull" section and image-spec describe it: the manifest by tag or
 * digest (an OCI index or a Docker manifest list resolved to {@code linux/<this machine's arch>}, then an OCI or
 * Docker schema 2 manifest), the config blob, the layer blobs concurrently. Every blob's bytes are counted and
 * hashed as they arrive; a blob whose size or digest differs from its descriptor is deleted and fails the pull.
 * Layers arrive compressed with gzip or zstd, or not at all; the store keeps tar+gzip, so zstd and plain layers
 * are recompressed (their diff_ids, and so the image ID, stay). Everything waits in a staging directory of the
 * store and is added in one {@link ImageStore#addPulled} call at the end: a failed pull leaves no blob and no name.
 */
final class Puller {
    /** Largest manifest accepted, bytes (dockerd's limit). */
    static final int MAX_MANIFEST = 4 * 1024 * 1024;
    /** Largest config accepted, bytes. */
    static final int MAX_CONFIG = 16 * 1024 * 1024;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long PROGRESS_EVERY_BYTES = 512 * 1024;
    private static final long PROGRESS_EVERY_NANOS = 100_000_000L;

    private final RegistryHosts hosts;
    private final ImageStore store;
    private final ExecutorService downloads;

    /** @param downloads runs the layer downloads (a small pool: dockerd's default is 3 at once) */
    Puller(RegistryHosts hosts, ImageStore store, ExecutorService downloads) {
        this.hosts = hosts;
        this.store = store;
        this.downloads = downloads;
    }

    /** A manifest's bytes, its digest and media type. */
    record Fetched(byte[] bytes, String digest, String mediaType) { }

    Image pull(ImageReference ref, AuthConfig auth, Registry.Progress sink) {
        ProgressMessages progress = new ProgressMessages(sink);
        RegistryClient client = new RegistryClient(hosts, ref.domain(), ref.path(), auth, "pull");
        // tag::pull-resolve[]
        Fetched top = manifest(client, ref, ref.tagOrDigest(), ref.digest());
        Fetched manifest = top;
        if (MediaTypes.isIndex(top.mediaType())) {
            String chosen = choosePlatform(top, ref);
            manifest = manifest(client, ref, chosen, chosen);
        }
        if (!MediaTypes.isManifest(manifest.mediaType())) {
            throw new RegistryException(500, null, "unsupported manifest media type " + manifest.mediaType() + " for " + ref
                    + " (Docker schema 1 and other types are not pulled)");
        }
        JsonNode m = readJson(manifest.bytes(), "manifest");
        Descriptor configDesc = Descriptor.of(m.path("config"));
        List<Descriptor> layers = new ArrayList<>();
        for (JsonNode l : m.path("layers")) layers.add(Descriptor.of(l));
        // end::pull-resolve[]
        progress.status(ref.tagOrDigest(), "Pulling from " + ref.path());

        byte[] config = blobBytes(client, configDesc, MAX_CONFIG);
        String id = configDesc.digest();
        String name = ref.digest() == null ? ref.familiarName() + ":" + ref.tag() : null;
        String shown = ref.toString();

        Optional<Image> existing = find(id);
        if (existing.isPresent()) {
            for (Descriptor l : layers) progress.status(ProgressMessages.shortId(l.digest()), "Already exists");
            boolean same = name == null || existing.get().repoTags().contains(name);
            if (name != null && !same) store.tag(id, name);
            recordDigest(id, ref, top.digest());
            progress.status("Digest: " + top.digest());
            progress.status("Status: " + (same ? "Image is up to date for " : "Downloaded newer image for ") + shown);
            return store.resolve(id);
        }

        for (Descriptor l : layers) progress.status(ProgressMessages.shortId(l.digest()), "Pulling fs layer");
        Path staging = store.newStagingDirectory();
        List<Future<ImageStore.StagedLayer>> futures = new ArrayList<>();
        try {
            for (Descriptor l : layers) {
                futures.add(downloads.submit(() -> download(client, l, staging, progress)));
            }
            List<ImageStore.StagedLayer> staged = new ArrayList<>();
            for (Future<ImageStore.StagedLayer> f : futures) staged.add(await(f));
            for (int i = 0; i < layers.size(); i++) {
                progress.progress(ProgressMessages.shortId(layers.get(i).digest()), "Extracting", staged.get(i).size(),
                        staged.get(i).size());
            }
            Image image = store.addPulled(config, staged, name);
            recordDigest(id, ref, top.digest());
            for (Descriptor l : layers) progress.status(ProgressMessages.shortId(l.digest()), "Pull complete");
            progress.status("Digest: " + top.digest());
            progress.status("Status: Downloaded newer image for " + shown);
            return image;
        } finally {
            for (Future<?> f : futures) f.cancel(true);
            try {
                FileTrees.deleteRecursively(staging);
            } catch (IOException e) {
                System.getLogger(Puller.class.getName()).log(System.Logger.Level.WARNING,
                        "cannot remove pull staging directory {0}: {1}", staging, e.getMessage());
            }
        }
    }

    /**
     * Records {@code NAME@DIGEST} of what the registry served for the reference (the index's digest when it served
     * an index), as dockerd's pull does: it shows in {@code RepoDigests} and resolves for {@code run}.
     */
    private void recordDigest(String imageId, ImageReference ref, String topDigest) {
        try {
            store.recordRepoDigest(imageId, ref.familiarName(), topDigest);
        } catch (UnsupportedOperationException e) {
            // a store that keeps no names: the pull stands, without RepoDigests
        }
    }

    private Optional<Image> find(String id) {
        try {
            return Optional.of(store.resolve(id));
        } catch (NotFoundException e) {
            return Optional.empty();
        }
    }

    private static ImageStore.StagedLayer await(Future<ImageStore.StagedLayer> f) {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RegistryException(500, null, "pull interrupted");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof EngineException ee) throw ee;
            throw new RegistryException(500, null, RegistryClient.describe(e.getCause()));
        }
    }

    /**
     * GET {@code /v2/NAME/manifests/REF}.
     *
     * @param expected the digest the bytes must have, or null (then the {@code Docker-Content-Digest} header, if
     *                 any, must match)
     */
    private Fetched manifest(RegistryClient client, ImageReference ref, String reference, String expected) {
        String path = "/v2/" + ref.path() + "/manifests/" + reference;
        try {
            HttpResponse<InputStream> r = client.send("GET", path, Map.of("Accept", MediaTypes.ACCEPT), null);
            if (r.statusCode() == 404) {
                RegistryException e = RegistryClient.error(r, null);
                throw new RegistryException(404, e.code(), "manifest for " + ref + " not found: " + e.getMessage());
            }
            if (r.statusCode() != 200) {
                throw RegistryClient.error(r, "Get \"" + client.base().resolve(path) + "\"");
            }
            byte[] body;
            try (InputStream in = r.body()) {
                body = in.readNBytes(MAX_MANIFEST + 1);
            }
            if (body.length > MAX_MANIFEST) {
                throw new RegistryException(500, null, "manifest " + reference + " of " + ref + " is over " + MAX_MANIFEST + " bytes");
            }
            String digest = MediaTypes.digest(body);
            String header = r.headers().firstValue("Docker-Content-Digest").orElse(null);
            if (expected != null && !expected.equals(digest)) {
                throw new RegistryException(500, null, "manifest verification failed for digest " + expected + ": the registry sent content with digest " + digest);
            }
            if (expected == null && header != null && header.startsWith("sha256:") && !header.equals(digest)) {
                throw new RegistryException(500, null, "manifest verification failed for " + ref + ": Docker-Content-Digest " + header
                        + " but the content's digest is " + digest);
            }
            String type = readJson(body, "manifest").path("mediaType").asText("");
            if (type.isEmpty()) type = r.headers().firstValue("Content-Type").orElse("").split(";")[0].trim();
            if (type.isEmpty() || type.equals("application/json")) {
                JsonNode n = readJson(body, "manifest");
                type = n.has("manifests") ? MediaTypes.OCI_INDEX : n.has("layers") ? MediaTypes.OCI_MANIFEST : type;
            }
            return new Fetched(body, digest, type);
        } catch (IOException e) {
            throw new RegistryException(500, null, "Get \"" + client.base().resolve(path) + "\": " + RegistryClient.describe(e));
        }
    }

    /** @return the digest of the index's manifest for linux and this machine's architecture */
    // tag::pull-platform[]
    private static String choosePlatform(Fetched index, ImageReference ref) {
        String arch = MediaTypes.hostArchitecture();
        for (JsonNode d : readJson(index.bytes(), "manifest list").path("manifests")) {
            JsonNode p = d.path("platform");
            if ("linux".equals(p.path("os").asText()) && arch.equals(p.path("architecture").asText())) {
                return d.path("digest").asText();
            }
        }
        throw new RegistryException(404, "MANIFEST_UNKNOWN", "no matching manifest for linux/" + arch + " in the manifest list entries");
    }
    // end::pull-platform[]

    /** Fetches a small blob whole (the config), checking its size and digest. */
    private static byte[] blobBytes(RegistryClient client, Descriptor d, int max) {
        if (d.size() > max) throw new RegistryException(500, null, "blob " + d.digest() + " is over " + max + " bytes");
        String path = "/v2/" + pathOf(client) + "/blobs/" + d.digest();
        try {
            HttpResponse<InputStream> r = client.send("GET", path, Map.of(), null);
            if (r.statusCode() != 200) throw RegistryClient.error(r, "Get \"" + client.base().resolve(path) + "\"");
            byte[] b;
            try (InputStream in = r.body()) {
                b = in.readNBytes((int) d.size() + 1);
            }
            if (b.length != d.size() || !MediaTypes.digest(b).equals(d.digest())) {
                throw new RegistryException(500, null, "blob verification failed for digest " + d.digest()
                        + ": got " + b.length + " bytes hashing to " + MediaTypes.digest(b));
            }
            return b;
        } catch (IOException e) {
            throw new RegistryException(500, null, "Get \"" + client.base().resolve(path) + "\": " + RegistryClient.describe(e));
        }
    }

    private static String pathOf(RegistryClient client) {
        return client.repository();
    }

    /** Downloads one layer into staging, verifies it, and makes it tar+gzip. */
    private static ImageStore.StagedLayer download(RegistryClient client, Descriptor d, Path staging, ProgressMessages progress)
            throws IOException {
        String id = ProgressMessages.shortId(d.digest());
        if (d.mediaType() != null && d.mediaType().equals(MediaTypes.DOCKER_FOREIGN_LAYER)) {
            throw new RegistryException(500, null, "layer " + d.digest() + " is a foreign layer (urls): not pulled");
        }
        String path = "/v2/" + client.repository() + "/blobs/" + d.digest();
        Path file = staging.resolve("blob-" + d.digest().substring(7));
        MessageDigest md = MediaTypes.sha256();
        long count = 0;
        try {
            HttpResponse<InputStream> r = client.send("GET", path, Map.of(), null);
            if (r.statusCode() != 200) throw RegistryClient.error(r, "Get \"" + client.base().resolve(path) + "\"");
            try (InputStream in = r.body(); OutputStream out = new DigestOutputStream(Files.newOutputStream(file), md)) {
                byte[] buf = new byte[64 * 1024];
                long lastBytes = 0;
                long lastTime = System.nanoTime();
                progress.progress(id, "Downloading", 0, d.size());
                int n;
                while ((n = in.read(buf)) > 0) {
                    out.write(buf, 0, n);
                    count += n;
                    if (count > d.size()) break;
                    long now = System.nanoTime();
                    if (count - lastBytes >= PROGRESS_EVERY_BYTES || now - lastTime >= PROGRESS_EVERY_NANOS) {
                        progress.progress(id, "Downloading", count, d.size());
                        lastBytes = count;
                        lastTime = now;
                    }
                    if (Thread.interrupted()) throw new IOException("download cancelled");
                }
            }
        } catch (IOException e) {
            Files.deleteIfExists(file);
            throw new RegistryException(500, null, "error pulling layer " + d.digest() + " after " + count + " of " + d.size()
                    + " bytes: " + RegistryClient.describe(e));
        }
        if (count < d.size()) {
            Files.deleteIfExists(file);
            throw new RegistryException(500, null, "error pulling layer " + d.digest() + " after " + count + " of " + d.size()
                    + " bytes: unexpected EOF (the connection closed)");
        }
        // tag::pull-verify[]
        progress.status(id, "Verifying Checksum");
        String actual = MediaTypes.digest(md);
        if (count != d.size() || !actual.equals(d.digest())) {
            Files.deleteIfExists(file);
            throw new RegistryException(500, null, "filesystem layer verification failed for digest " + d.digest()
                    + " (received " + count + " of " + d.size() + " bytes, hashing to " + actual + ")");
        }
        progress.status(id, "Download complete");
        return asGzip(file, d.digest(), count, staging);
        // end::pull-verify[]
    }

    /** Leaves a gzip layer as it is; recompresses a zstd or uncompressed layer to gzip (magic numbers decide). */
    static ImageStore.StagedLayer asGzip(Path file, String digest, long size, Path staging) throws IOException {
        byte[] magic = new byte[4];
        int got;
        try (InputStream in = Files.newInputStream(file)) {
            got = in.readNBytes(magic, 0, 4);
        }
        if (got >= 2 && (magic[0] & 0xff) == 0x1f && (magic[1] & 0xff) == 0x8b) {
            return new ImageStore.StagedLayer(file, digest, size);
        }
        boolean zstd = got == 4 && (magic[0] & 0xff) == 0x28 && (magic[1] & 0xff) == 0xb5 && (magic[2] & 0xff) == 0x2f
                && (magic[3] & 0xff) == 0xfd;
        Path gz = staging.resolve("gz-" + digest.substring(7));
        MessageDigest md = MediaTypes.sha256();
        GzipParameters p = new GzipParameters();
        p.setModificationTime(0);
        try (InputStream raw = new BufferedInputStream(Files.newInputStream(file), 256 * 1024);
             InputStream tar = zstd ? new ZstdInputStream(raw) : raw;
             OutputStream out = new GzipCompressorOutputStream(new DigestOutputStream(Files.newOutputStream(gz), md), p)) {
            tar.transferTo(out);
        } catch (IOException e) {
            Files.deleteIfExists(gz);
            throw new RegistryException(500, null, "layer " + digest + " does not decompress"
                    + (zstd ? " as zstd" : "") + ": " + RegistryClient.describe(e));
        }
        Files.delete(file);
        return new ImageStore.StagedLayer(gz, MediaTypes.digest(md), Files.size(gz));
    }

    private static JsonNode readJson(byte[] b, String what) {
        try {
            return JSON.readTree(b);
        } catch (IOException e) {
            // Jackson's own message runs over two lines and names its parser's settings: keep the first part and the place
            String why = e instanceof com.fasterxml.jackson.core.JsonProcessingException j && j.getOriginalMessage() != null
                    ? j.getOriginalMessage() + (j.getLocation() == null ? ""
                            : " at line " + j.getLocation().getLineNr() + ", column " + j.getLocation().getColumnNr())
                    : String.valueOf(e.getMessage());
            throw new RegistryException(500, null, "the registry's " + what + " is not valid JSON: " + why);
        }
    }

    /** A content descriptor (image-spec descriptor.md): media type, {@code sha256:} digest, size in bytes. */
    record Descriptor(String mediaType, String digest, long size) {
        static Descriptor of(JsonNode n) {
            String digest = n.path("digest").asText("");
            if (!digest.matches("sha256:[0-9a-f]{64}")) {
                throw new RegistryException(500, null, "descriptor with an unsupported digest: " + digest);
            }
            long size = n.path("size").asLong(-1);
            if (size < 0) throw new RegistryException(500, null, "descriptor without a size: " + digest);
            return new Descriptor(n.path("mediaType").asText(null), digest, size);
        }
    }
}
