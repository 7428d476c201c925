package dev.rabbithole.stage4.distribution;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rabbithole.stage1.daemon.Registry;
import dev.rabbithole.stage1.errdefs.NotFoundException;
import dev.rabbithole.stage1.image.Image;
import dev.rabbithole.stage1.image.ImageStore;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code docker push} as the distribution-spec's "Push" section describes it: for each layer (top first, as
 * dockerd lists them) a {@code HEAD} of the blob, and when the registry lacks it {@code POST /blobs/uploads/},
 * the bytes in {@code PATCH} chunks of {@link #CHUNK} bytes with {@code Content-Range}, and the closing
 * {@code PUT ?digest=}; then the config the same way and the manifest, Docker's image manifest v2 schema 2 (what
 * dockerd 20.10 pushes), with {@code PUT /manifests/TAG}.
 */
final class Pusher {
    /** Bytes per PATCH of a chunked upload. */
    static final int CHUNK = 8 * 1024 * 1024;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final RegistryHosts hosts;
    private final ImageStore store;

    Pusher(RegistryHosts hosts, ImageStore store) {
        this.hosts = hosts;
        this.store = store;
    }

    /**
     * @param name {@code [host[:port]/]repo}
     * @param tag  a tag, or empty/null for every local tag of the repository
     */
    void push(String name, String tag, AuthConfig auth, Registry.Progress sink) {
        ImageReference repo = ImageReference.parse(name);
        List<String> tags = new ArrayList<>();
        if (tag != null && !tag.isEmpty()) {
            tags.add(tag);
        } else {
            String prefix = repo.familiarName() + ":";
            for (Image i : store.list()) {
                for (String t : i.repoTags()) if (t.startsWith(prefix)) tags.add(t.substring(prefix.length()));
            }
            if (tags.isEmpty()) throw new NotFoundException("An image does not exist locally with the tag: " + repo.familiarName());
        }
        List<Image> images = new ArrayList<>();
        for (String t : tags) {
            try {
                images.add(store.resolve(repo.familiarName() + ":" + t));
            } catch (NotFoundException e) {
                throw new NotFoundException("An image does not exist locally with the tag: " + repo.familiarName()
                        + (tag == null || tag.isEmpty() ? "" : ":" + t));
            }
        }
        ProgressMessages progress = new ProgressMessages(sink);
        RegistryClient client = new RegistryClient(hosts, repo.domain(), repo.path(), auth, "pull,push");
        client.probe();
        progress.status("The push refers to repository [" + repo.familiarName() + "]");
        for (int k = 0; k < tags.size(); k++) {
            pushOne(client, images.get(k), tags.get(k), progress);
        }
    }

    private void pushOne(RegistryClient client, Image image, String tag, ProgressMessages progress) {
        List<String> layers = new ArrayList<>(image.layerDigests());
        List<String> top = new ArrayList<>(layers);
        java.util.Collections.reverse(top);
        for (String l : top) progress.status(ProgressMessages.shortId(l), "Preparing");
        for (String l : top) {
            String id = ProgressMessages.shortId(l);
            long size = blobSize(l);
            if (exists(client, l)) {
                progress.status(id, "Layer already exists");
            } else {
                upload(client, l, size, (done) -> progress.progress(id, "Pushing", done, size));
                progress.status(id, "Pushed");
            }
        }
        long configSize = blobSize(image.id());
        if (!exists(client, image.id())) upload(client, image.id(), configSize, done -> { });

        ObjectNode m = JSON.createObjectNode();
        m.put("schemaVersion", 2);
        m.put("mediaType", MediaTypes.DOCKER_MANIFEST);
        ObjectNode c = m.putObject("config");
        c.put("mediaType", MediaTypes.DOCKER_CONFIG);
        c.put("size", configSize);
        c.put("digest", image.id());
        ArrayNode ls = m.putArray("layers");
        for (String l : layers) {
            ObjectNode d = ls.addObject();
            d.put("mediaType", MediaTypes.DOCKER_LAYER_GZIP);
            d.put("size", blobSize(l));
            d.put("digest", l);
        }
        byte[] manifest;
        try {
            manifest = JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(m);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String digest = MediaTypes.digest(manifest);
        String path = "/v2/" + client.repository() + "/manifests/" + tag;
        try {
            HttpResponse<InputStream> r = client.send("PUT", path, Map.of("Content-Type", MediaTypes.DOCKER_MANIFEST),
                    () -> HttpRequest.BodyPublishers.ofByteArray(manifest));
            if (r.statusCode() != 201 && r.statusCode() != 200) {
                throw RegistryClient.error(r, "Put \"" + client.base().resolve(path) + "\"");
            }
            r.body().close();
        } catch (IOException e) {
            throw new RegistryException(500, null, "Put \"" + client.base().resolve(path) + "\": " + RegistryClient.describe(e));
        }
        progress.status(tag + ": digest: " + digest + " size: " + manifest.length);
        progress.pushResult(tag, digest, manifest.length);
    }

    private long blobSize(String digest) {
        try (InputStream in = store.openBlob(digest)) {
            return in.transferTo(java.io.OutputStream.nullOutputStream());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** HEAD {@code /v2/NAME/blobs/DIGEST}: 200 when the registry has it. */
    private static boolean exists(RegistryClient client, String digest) {
        String path = "/v2/" + client.repository() + "/blobs/" + digest;
        try {
            HttpResponse<InputStream> r = client.send("HEAD", path, Map.of(), null);
            r.body().close();
            if (r.statusCode() == 200) return true;
            if (r.statusCode() == 404) return false;
            throw new RegistryException(500, null,
                    "Head \"" + client.base().resolve(path) + "\": unexpected status " + r.statusCode());
        } catch (IOException e) {
            throw new RegistryException(500, null, "Head \"" + client.base().resolve(path) + "\": " + RegistryClient.describe(e));
        }
    }

    private interface Done {
        void bytes(long done);
    }

    /** POST, then PATCH chunks, then PUT ?digest= (distribution-spec "Pushing a blob in chunks"). */
    private void upload(RegistryClient client, String digest, long size, Done done) {
        String start = "/v2/" + client.repository() + "/blobs/uploads/";
        try {
            HttpResponse<InputStream> r = client.send("POST", start, Map.of(), null);
            r.body().close();
            if (r.statusCode() != 202) throw RegistryClient.error(r, "Post \"" + client.base().resolve(start) + "\"");
            String location = location(client, r);
            long offset = 0;
            done.bytes(0);
            try (InputStream in = store.openBlob(digest)) {
                while (offset < size) {
                    byte[] chunk = in.readNBytes((int) Math.min(CHUNK, size - offset));
                    if (chunk.length == 0) throw new IOException("blob " + digest + " is shorter than " + size + " bytes");
                    long from = offset;
                    HttpResponse<InputStream> p = client.send("PATCH", location,
                            Map.of("Content-Type", "application/octet-stream",
                                    "Content-Range", from + "-" + (from + chunk.length - 1)),
                            () -> HttpRequest.BodyPublishers.ofByteArray(chunk));
                    if (p.statusCode() != 202) throw RegistryClient.error(p, "Patch \"" + location + "\"");
                    p.body().close();
                    location = location(client, p);
                    offset += chunk.length;
                    done.bytes(offset);
                }
            }
            String put = location + (location.contains("?") ? "&" : "?") + "digest=" + digest;
            HttpResponse<InputStream> f = client.send("PUT", put, Map.of("Content-Type", "application/octet-stream"),
                    HttpRequest.BodyPublishers::noBody);
            if (f.statusCode() != 201) throw RegistryClient.error(f, "Put \"" + put + "\"");
            f.body().close();
        } catch (IOException e) {
            throw new RegistryException(500, null, "pushing blob " + digest + ": " + RegistryClient.describe(e));
        }
    }

    private static String location(RegistryClient client, HttpResponse<?> r) {
        String l = r.headers().firstValue("Location").orElseThrow(() ->
                new RegistryException(500, null, "the registry's upload answer has no Location"));
        return l.startsWith("http://") || l.startsWith("https://") ? l : client.base().resolve(l).toString();
    }
}
