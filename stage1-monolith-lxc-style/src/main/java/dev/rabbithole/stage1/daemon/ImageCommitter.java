package dev.rabbithole.stage1.daemon;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rabbithole.stage1.errdefs.ConflictException;
import dev.rabbithole.stage1.errdefs.InvalidParameterException;
import dev.rabbithole.stage1.errdefs.NotFoundException;
import dev.rabbithole.stage1.errdefs.NotImplementedException;
import dev.rabbithole.stage1.errdefs.SystemException;
import dev.rabbithole.stage1.image.Image;
import dev.rabbithole.stage1.image.ImageConfig;
import dev.rabbithole.stage1.image.ImageStore;
import dev.rabbithole.stage1.image.Oci;
import dev.rabbithole.stage1.image.References;
import dev.rabbithole.stage1.storage.StorageDriver;
import dev.rabbithole.stage1.storage.TreeTar;
import dev.rabbithole.stage1.storage.UpperDir;

import org.apache.commons.compress.compressors.CompressorException;
import org.apache.commons.compress.compressors.CompressorStreamFactory;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * The copy-on-write commands: {@code docker commit} (a container's upperdir, tarred, becomes a new layer on its
 * image's), {@code docker import} (a rootfs tar becomes a one-layer image), {@code docker history},
 * {@code docker export} and {@code docker diff}, as dockerd 20.10 does them (checked against it): the image config
 * it writes ({@code container}, {@code container_config}, {@code docker_version}, {@code history} with
 * {@code empty_layer} when the container changed nothing), the parent kept beside the image.
 */
public final class ImageCommitter {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private final Path tmpDir;
    private final ImageStore images;
    private final StorageDriver storage;
    private final ContainerStore store;
    private final Events events;

    ImageCommitter(Path dataRoot, ImageStore images, StorageDriver storage, ContainerStore store, Events events) {
        this.tmpDir = dataRoot;
        this.images = images;
        this.storage = storage;
        this.store = store;
        this.events = events;
    }

    // tag::commit[]
    /** {@code POST /commit}: see {@link Daemon#commit}. */
    String commit(String ref, CommitOptions o) {
        String tag = checkedReference(o.reference());
        LiveContainer l = store.get(ref);
        Path layer = null;
        try {
            Container c;
            boolean empty;
            synchronized (l) {
                c = l.c;
                if (l.removing) throw new ConflictException("You cannot commit container " + c.id() + " which is being removed");
                if (c.state().dead()) throw new ConflictException("You cannot commit container " + c.id() + " which is Dead");
                Path upper = storage.upperDir(c.id()).orElse(null);
                if (upper == null && storage.name().equals("vfs")) {
                    throw new NotImplementedException("docker commit needs the overlay2 storage driver: the rootfs of "
                            + c.shortId() + " is a vfs copy, with no writable layer of its own");
                }
                layer = Files.createTempFile(tmpDir, ".commit-", ".tar");
                try (OutputStream out = Files.newOutputStream(layer)) {
                    if (upper != null) UpperDir.writeLayer(upper, out);       // the upperdir, whiteouts in spec form
                }
                empty = isEmptyTar(layer);                  // Docker: no change, no layer (empty_layer)
            }
            Image parent = images.resolve(c.imageId());
            ObjectNode containerConfig = Oci.JSON.valueToTree(c.config());
            ObjectNode config = o.config() != null ? Oci.JSON.valueToTree(o.config()) : containerConfig.deepCopy();
            ConfigChanges.apply(config, o.changes());
            String createdBy = o.createdBy() != null ? o.createdBy()
                    : c.config().cmd() == null ? "" : String.join(" ", c.config().cmd());
            byte[] json = childConfig(parent, config, c.id(), containerConfig, o.author(), o.comment(), createdBy,
                    empty ? null : digest(layer));
            Image image = images.create(json, parent.layerDigests(), empty ? null : layer, parent.id());
            String imageRef = tag == null ? "" : images.tag(image.id(), tag);
            events.container(c, "commit", Map.of("comment", nz(o.comment()), "imageID", image.id(), "imageRef", imageRef));
            EngineLog.info("container " + c.shortId() + " committed as " + image.id() + (tag == null ? "" : " (" + tag + ")"));
            return image.id();
        } catch (IOException e) {
            throw new SystemException("cannot commit " + ref + ": " + e.getMessage(), e);
        } finally {
            deleteQuietly(layer);
        }
    }
    // end::commit[]

    /** A commit with no container: the parent's layers, a new config, one {@code empty_layer} history entry. */
    String commitImage(String parentRef, CommitOptions o) {
        String tag = checkedReference(o.reference());
        Image parent = parentRef == null || parentRef.equals("scratch") ? null : images.resolve(parentRef);
        ObjectNode config = o.config() != null ? Oci.JSON.valueToTree(o.config())
                : parent != null && parent.config().config() != null ? Oci.JSON.valueToTree(parent.config().config())
                : emptyContainerConfig();
        ConfigChanges.apply(config, o.changes());
        byte[] json = childConfig(parent, config, null, config, o.author(), o.comment(), nz(o.createdBy()), null);
        Image image = images.create(json, parent == null ? List.of() : parent.layerDigests(), null,
                parent == null ? null : parent.id());
        if (tag != null) images.tag(image.id(), tag);
        return image.id();
    }

    /** dockerd's {@code NewChildImage}: the parent's rootfs and history, one entry more. */
    private static byte[] childConfig(Image parent, ObjectNode config, String containerId, ObjectNode containerConfig,
                                      String author, String comment, String createdBy, String diffId) {
        String created = Instant.now().toString();
        ObjectNode img = NODES.objectNode();
        img.put("architecture", parent != null && parent.config().architecture() != null
                ? parent.config().architecture() : Platforms.host().architecture());
        if (!nz(author).isEmpty()) img.put("author", author);
        img.set("config", config);
        if (containerId != null) img.put("container", containerId);
        img.set("container_config", containerConfig);
        img.put("created", created);
        img.put("docker_version", Daemon.VERSION);
        ArrayNode history = NODES.arrayNode();
        if (parent != null && parent.config().history() != null) {
            parent.config().history().forEach(h -> history.add(Oci.JSON.<JsonNode>valueToTree(h)));
        }
        history.add(Oci.JSON.<JsonNode>valueToTree(new ImageConfig.History(created, emptyToNull(author),
                emptyToNull(createdBy), emptyToNull(comment), diffId == null ? Boolean.TRUE : null)));
        img.set("history", history);
        img.put("os", "linux");
        ObjectNode rootfs = img.putObject("rootfs");
        rootfs.put("type", "layers");
        ArrayNode diffIds = rootfs.putArray("diff_ids");
        if (parent != null && parent.config().rootfs() != null) parent.config().rootfs().diffIds().forEach(diffIds::add);
        if (diffId != null) diffIds.add(diffId);
        try {
            return Oci.JSON.writeValueAsBytes(img);
        } catch (IOException e) {
            throw new SystemException("cannot serialize image config: " + e.getMessage(), e);
        }
    }

    /**
     * {@code POST /images/create?fromSrc=-}: see {@link Daemon#importImage}.
     */
    String importImage(InputStream body, String reference, String message, List<String> changes) {
        String tag = checkedReference(reference);
        String msg = nz(message).isEmpty() ? "Imported from -" : message;
        Path layer = null;
        try {
            layer = Files.createTempFile(tmpDir, ".import-", ".tar");
            try (InputStream in = decompressed(body); OutputStream out = Files.newOutputStream(layer)) {
                in.transferTo(out);
            }
            ObjectNode config = emptyContainerConfig();
            ConfigChanges.apply(config, changes);
            String created = Instant.now().toString();
            ObjectNode img = NODES.objectNode();
            img.put("architecture", Platforms.host().architecture());
            img.put("comment", msg);
            img.set("config", config);
            img.set("container_config", emptyContainerConfig());
            img.put("created", created);
            img.put("docker_version", Daemon.VERSION);
            img.set("history", NODES.arrayNode().add(Oci.JSON.<JsonNode>valueToTree(
                    new ImageConfig.History(created, null, null, msg, null))));
            img.put("os", "linux");
            ObjectNode rootfs = img.putObject("rootfs");
            rootfs.put("type", "layers");
            rootfs.putArray("diff_ids").add(digest(layer));
            Image image = images.create(Oci.JSON.writeValueAsBytes(img), List.of(), layer, null);
            if (tag != null) images.tag(image.id(), tag);
            EngineLog.info("imported " + image.id() + (tag == null ? "" : " as " + tag));
            return image.id();
        } catch (IOException e) {
            throw new InvalidParameterException("cannot read the archive to import: " + e.getMessage(), e);
        } finally {
            deleteQuietly(layer);
        }
    }

    /** A tar as it is, or gunzipped / bunzipped when it is compressed (Docker's DecompressStream). */
    private static InputStream decompressed(InputStream body) throws IOException {
        InputStream in = new BufferedInputStream(body);
        try {
            String kind = CompressorStreamFactory.detect(in);
            return new CompressorStreamFactory().createCompressorInputStream(kind, in);
        } catch (CompressorException notCompressed) {
            return in;
        }
    }

    // tag::history[]
    /** {@code GET /images/{name}/history}: see {@link Daemon#history}. */
    List<HistoryItem> history(String ref) {
        Image image = images.resolve(ref);
        List<ImageConfig.History> entries = image.config().history() == null ? List.of() : image.config().history();
        List<HistoryItem> out = new ArrayList<>();
        int layer = 0;
        for (ImageConfig.History h : entries) {
            long size = 0;
            if (!h.isEmptyLayer()) {
                if (layer >= image.layerDigests().size()) {
                    throw new SystemException("too many non-empty layers in History section");
                }
                size = images.layerSize(image.layerDigests().get(layer++));
            }
            out.add(0, new HistoryItem("<missing>", epochSeconds(h.created()), nz(h.createdBy()), null, size,
                    nz(h.comment())));
        }
        // the newest entries belong to the image, then to its parent, its parent's parent, while the store knows them
        Image current = image;
        for (int i = 0; i < out.size() && current != null; i++) {
            HistoryItem h = out.get(i);
            out.set(i, new HistoryItem(current.id(), h.created(), h.createdBy(),
                    current.repoTags().isEmpty() ? null : current.repoTags(), h.size(), h.comment()));
            current = images.parent(current.id()).map(this::resolveQuietly).orElse(null);
        }
        return out;
    }
    // end::history[]

    /**
     * One line of {@code docker history}: the Engine API's {@code HistoryResponseItem}.
     *
     * @param id        the image this entry made, {@code sha256:<hex>}, or {@code <missing>} for entries of a base
     *                  image that is not in the store as an image of its own
     * @param created   seconds since the epoch
     * @param createdBy the command
     * @param tags      that image's {@code name:tag}s, null for none
     * @param size      bytes the entry's layer holds, 0 for an empty layer
     * @param comment   the comment
     */
    public record HistoryItem(@JsonProperty("Id") String id, @JsonProperty("Created") long created,
                       @JsonProperty("CreatedBy") String createdBy, @JsonProperty("Tags") List<String> tags,
                       @JsonProperty("Size") long size, @JsonProperty("Comment") String comment) { }

    // tag::diff[]
    /** {@code GET /containers/{id}/changes}: see {@link Daemon#changes}. */
    List<UpperDir.Change> changes(String ref) {
        LiveContainer l = store.get(ref);
        synchronized (l) {
            Container c = l.c;
            Path upper = storage.upperDir(c.id()).orElse(null);
            if (upper == null) return List.of();
            try {
                return UpperDir.changes(upper, images.layerDirs(images.resolve(c.imageId())));
            } catch (IOException e) {
                throw new SystemException("cannot read the writable layer of " + c.shortId() + ": " + e.getMessage(), e);
            }
        }
    }
    // end::diff[]

    /** {@code GET /containers/{id}/export}: see {@link Daemon#export}. */
    void export(String ref, OutputStream out) throws IOException {
        LiveContainer l = store.get(ref);
        Container c;
        Path rootfs;
        boolean mountedHere;
        synchronized (l) {
            c = l.c;
            if (l.removing) throw new ConflictException("You cannot export container " + c.id() + " which is being removed");
            mountedHere = !l.running();
            rootfs = storage.mount(c.id(), images.layerDirs(images.resolve(c.imageId())));
        }
        try {
            TreeTar.writeTree(rootfs, out);
        } finally {
            if (mountedHere) {
                synchronized (l) {
                    if (!l.running()) storage.unmount(c.id());
                }
            }
        }
        events.container(c, "export", Map.of());
    }

    private Image resolveQuietly(String id) {
        try {
            return images.resolve(id);
        } catch (NotFoundException e) {
            return null;
        }
    }

    /** The Engine API's empty ContainerConfig, as dockerd writes it for {@code docker import}. */
    static ObjectNode emptyContainerConfig() {
        ObjectNode c = NODES.objectNode();
        c.put("Hostname", "").put("Domainname", "").put("User", "")
                .put("AttachStdin", false).put("AttachStdout", false).put("AttachStderr", false)
                .put("Tty", false).put("OpenStdin", false).put("StdinOnce", false);
        c.set("Env", NullNode.instance);
        c.set("Cmd", NullNode.instance);
        c.put("Image", "");
        c.set("Volumes", NullNode.instance);
        c.put("WorkingDir", "");
        c.set("Entrypoint", NullNode.instance);
        c.set("OnBuild", NullNode.instance);
        c.set("Labels", NullNode.instance);
        return c;
    }

    /** {@code repo[:tag]} normalized, null for none; refused before anything is stored. */
    private static String checkedReference(String reference) {
        if (reference == null || reference.isEmpty()) return null;
        String n = References.normalize(reference);
        if (n == null || reference.startsWith("sha256:") || reference.matches("[0-9a-f]{64}")) {
            throw new InvalidParameterException("invalid reference format: " + reference);
        }
        return n;
    }

    /** True for a tar that holds no entry (only end-of-archive blocks). */
    private static boolean isEmptyTar(Path tar) throws IOException {
        try (InputStream in = Files.newInputStream(tar)) {
            return new org.apache.commons.compress.archivers.tar.TarArchiveInputStream(in).getNextEntry() == null;
        }
    }

    private static String digest(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[65536];
            for (int n; (n = in.read(buf)) > 0; ) md.update(buf, 0, n);
            return "sha256:" + HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static long epochSeconds(String created) {
        if (created == null) return 0;
        try {
            return OffsetDateTime.parse(created).toEpochSecond();
        } catch (RuntimeException e) {
            return 0;
        }
    }

    private static String nz(String s) { return s == null ? "" : s; }

    private static String emptyToNull(String s) { return s == null || s.isEmpty() ? null : s; }

    private static void deleteQuietly(Path p) {
        if (p == null) return;
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            EngineLog.warn("cannot remove " + p + ": " + e.getMessage());
        }
    }
}
