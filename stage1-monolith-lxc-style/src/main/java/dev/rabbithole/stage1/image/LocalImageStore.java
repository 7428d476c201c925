package dev.rabbithole.stage1.image;

import dev.rabbithole.stage1.errdefs.ConflictException;
import dev.rabbithole.stage1.errdefs.InvalidParameterException;
import dev.rabbithole.stage1.errdefs.NotFoundException;
import dev.rabbithole.stage1.errdefs.SystemException;
import dev.rabbithole.stage1.storage.FileTrees;

import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * The on-disk image store, an OCI image layout (image-spec image-layout.md) that every stage shares:
 *
 * <pre>
 * ROOT/oci-layout                {"imageLayoutVersion": "1.0.0"}
 * ROOT/index.json                OCI image index; one manifest descriptor per name:tag, annotated
 *                                org.opencontainers.image.ref.name = "busybox:latest" (untagged
 *                                images: a descriptor without the annotation)
 * ROOT/blobs/sha256/HEX          manifests (OCI image manifest), configs (OCI image config), layers (tar+gzip)
 * ROOT/layers/DIFFID-HEX/        each layer unpacked once, whiteouts in overlayfs form (overlay lowerdir)
 * ROOT/sizes/BLOBHEX             a layer's unpacked size in bytes (what docker images shows), measured once
 * ROOT/parents/IDHEX             the image a committed image was made from (sha256:HEX), as dockerd's metadata
 * ROOT/tmp/                      staging for loads; emptied when the store opens
 * </pre>
 *
 * The image ID is {@code sha256:} of the config blob, as Docker's. Every file is written atomically
 * (temp file, fsync, rename); a load is checked completely in {@code tmp/} before any blob moves in, and
 * its new layers are unpacked before any name points at it (a refused layer rolls the whole load back).
 * Methods are synchronized: one store per data root and process.
 */
public class LocalImageStore implements ImageStore {
    private static final System.Logger LOG = System.getLogger(LocalImageStore.class.getName());
    private static final Pattern HEX_PREFIX = Pattern.compile("[0-9a-f]{1,64}");

    private final Path root;
    private final Path layersDir;
    private final Path tmpDir;
    private final Path sizesDir;
    private final BlobStore blobs;
    private final Map<String, Oci.Manifest> manifests = new ConcurrentHashMap<>();
    private final Map<String, ImageConfig> configs = new ConcurrentHashMap<>();
    private final Map<String, Long> unpackedSizes = new ConcurrentHashMap<>();
    private final Object layerLock = new Object();

    /**
     * Opens (and creates if needed) the store; removes leftovers of interrupted loads and unpacks.
     *
     * @param root the store's directory, {@code DATA_ROOT/image}
     * @throws SystemException the directory cannot be created or written
     */
    public LocalImageStore(Path root) {
        this.root = root.toAbsolutePath();
        this.layersDir = this.root.resolve("layers");
        this.tmpDir = this.root.resolve("tmp");
        this.sizesDir = this.root.resolve("sizes");
        try {
            Files.createDirectories(layersDir);
            Files.createDirectories(tmpDir);
            Files.createDirectories(sizesDir);
            Files.createDirectories(this.root.resolve("parents"));
            this.blobs = new BlobStore(this.root.resolve("blobs").resolve("sha256"));
            if (!Files.exists(this.root.resolve("oci-layout"))) {
                BlobStore.writeAtomically(this.root.resolve("oci-layout"),
                        ("{\"imageLayoutVersion\":\"" + Oci.IMAGE_LAYOUT_VERSION + "\"}").getBytes(StandardCharsets.UTF_8));
            }
            if (!Files.exists(indexPath())) writeIndex(List.of());
            try (DirectoryStream<Path> leftovers = Files.newDirectoryStream(tmpDir)) {
                for (Path p : leftovers) FileTrees.deleteRecursively(p);
            }
            try (DirectoryStream<Path> leftovers = Files.newDirectoryStream(layersDir, ".tmp-*")) {
                for (Path p : leftovers) FileTrees.deleteRecursively(p);
            }
        } catch (IOException e) {
            throw new SystemException("cannot open image store " + this.root + ": " + e.getMessage(), e);
        }
    }

    /** @return the store's root directory (an OCI image layout) */
    public Path root() {
        return root;
    }

    // --- ImageStore ---------------------------------------------------------------------------

    /**
     * {@inheritDoc}
     *
     * <p>Order, as Docker's: a {@code name[:tag]} first, then a full or prefix image ID, with or without
     * {@code sha256:}.
     *
     * @throws InvalidParameterException an ID prefix that matches several images
     * @throws SystemException           busybox had to be built and could not be
     */
    @Override
    public synchronized Image resolve(String reference) {
        Optional<Match> m = find(reference);
        if (m.isPresent()) return sized(m.get().image());
        if (DEFAULT_IMAGE.equals(References.normalize(reference))) {
            buildBusybox();
            return sized(find(reference).orElseThrow(() -> new SystemException("busybox image vanished after building it"))
                    .image());
        }
        throw new NotFoundException("No such image: " + reference);
    }

    /** {@inheritDoc} (by the config's {@code created}, then ID) */
    @Override
    public synchronized List<Image> list() {
        List<Image> images = new ArrayList<>(images(readIndex()).values().stream().map(this::sized).toList());
        images.sort(Comparator.comparingLong(Image::createdEpochSeconds).reversed().thenComparing(Image::id));
        return images;
    }

    /**
     * {@inheritDoc}
     *
     * <p>A tag that pointed at another image moves to the loaded one; the other stays, untagged.
     */
    @Override
    public synchronized List<String> load(InputStream archive) {
        Path staging = tmpDir.resolve("load-" + UUID.randomUUID());
        try {
            Files.createDirectory(staging);
            List<ArchiveImporter.Imported> imported = new ArchiveImporter(staging).read(archive);
            unpackOrRollBack(imported);
            List<String> loaded = new ArrayList<>();
            for (ArchiveImporter.Imported img : imported) {
                String manifestDigest = storeImage(img.config(), img.layers().stream()
                        .map(l -> new Oci.Descriptor(Oci.MEDIA_TYPE_LAYER_GZIP, l.digest(), l.size(), null, null)).toList());
                String id = Digests.of(img.config());
                if (img.refs().isEmpty()) {
                    addEntry(manifestDigest, null);
                    loaded.add(id);
                } else {
                    for (String ref : img.refs()) {
                        addEntry(manifestDigest, ref);
                        loaded.add(ref);
                    }
                }
            }
            return loaded;
        } catch (IOException e) {
            throw new SystemException("cannot stage image archive: " + e.getMessage(), e);
        } finally {
            try {
                FileTrees.deleteRecursively(staging);
            } catch (IOException e) {
                LOG.log(System.Logger.Level.WARNING, "cannot remove staging directory {0}: {1}", staging, e.getMessage());
            }
        }
    }

    /**
     * Moves the new layers of a staged load into the store and unpacks each, as Docker refuses an unsafe
     * archive at load and not at the first run. If any layer is refused (an entry that escapes, a hard link
     * to a file outside the layer) or cannot be unpacked, every blob and layer directory this load added is
     * deleted again and the exception goes on: the load leaves nothing, and no tag has moved yet.
     */
    private void unpackOrRollBack(List<ArchiveImporter.Imported> imported) {
        List<String> newBlobs = new ArrayList<>();
        List<Path> newDirs = new ArrayList<>();
        try {
            for (ArchiveImporter.Imported img : imported) {
                if (existingManifest(Digests.of(img.config())).isPresent()) continue;
                List<String> diffIds = img.parsedConfig().rootfs().diffIds();
                for (int i = 0; i < img.layers().size(); i++) {
                    ArchiveImporter.Layer l = img.layers().get(i);
                    if (!blobs.has(l.digest())) {
                        blobs.adopt(l.gzipFile(), l.digest());
                        newBlobs.add(l.digest());
                    }
                    Path dir = layersDir.resolve(Digests.hex(diffIds.get(i)));
                    synchronized (layerLock) {
                        if (Files.isDirectory(dir)) continue;
                        unpacked(l.digest(), diffIds.get(i));
                        newDirs.add(dir);
                    }
                }
            }
        } catch (RuntimeException e) {
            synchronized (layerLock) {
                newDirs.forEach(LocalImageStore::deleteQuietly);
            }
            for (String b : newBlobs) {
                try {
                    blobs.delete(b);
                } catch (RuntimeException ex) {
                    LOG.log(System.Logger.Level.WARNING, "cannot remove blob {0} of a refused load: {1}", b, ex.getMessage());
                }
            }
            if (e instanceof InvalidParameterException) {
                throw new InvalidParameterException("invalid image archive: " + e.getMessage(), e);
            }
            throw e;
        }
    }

    /**
     * {@inheritDoc}
     *
     * <p>By name: untags, and deletes the image when that was its last name. By ID: deletes the image
     * (untagging its one name); an ID with several names is a conflict, as in Docker without {@code -f}.
     * Blobs and unpacked layers that another image still uses stay. Whether a container still uses the
     * image is the daemon's check, not the store's.
     *
     * @throws ConflictException an ID whose image has several names
     */
    @Override
    public synchronized List<String> remove(String reference) {
        Match m = find(reference).orElseThrow(() -> new NotFoundException("No such image: " + reference));
        Image image = m.image();
        List<String> out = new ArrayList<>();
        List<Oci.Descriptor> index = new ArrayList<>(readIndex());
        if (m.tag() != null) {
            index.removeIf(d -> m.tag().equals(d.annotation(Oci.ANNOTATION_REF_NAME)));
            out.add("Untagged: " + m.tag());
            // Docker: the repository's last tag takes the repository's digest references with it
            out.addAll(RepoDigests.dropOrphaned(index, m.tag(), d -> manifest(d.digest()).config().digest(), image.id()));
            if (index.stream().anyMatch(d -> d.annotation(Oci.ANNOTATION_REF_NAME) != null
                    && image.id().equals(manifest(d.digest()).config().digest()))) {
                writeIndex(index);
                return out;
            }
        } else {
            if (image.repoTags().size() > 1) {
                throw new ConflictException("conflict: unable to delete " + Digests.hex(image.id()).substring(0, 12)
                        + " (must be forced) - image is referenced in multiple repositories");
            }
            for (String t : image.repoTags()) out.add("Untagged: " + t);
            for (String t : repoDigests(image.id())) out.add("Untagged: " + t);
        }
        // the image goes: every descriptor of a manifest with this config
        Set<String> goneManifests = new HashSet<>();
        index.removeIf(d -> {
            boolean gone = image.id().equals(manifest(d.digest()).config().digest());
            if (gone) goneManifests.add(d.digest());
            return gone;
        });
        goneManifests.add(image.manifestDigest());
        writeIndex(index);
        out.add("Deleted: " + image.id());

        Set<String> usedBlobs = new HashSet<>();
        Set<String> usedDiffIds = new HashSet<>();
        for (Image other : images(index).values()) {
            usedBlobs.add(other.manifestDigest());
            usedBlobs.add(other.id());
            usedBlobs.addAll(other.layerDigests());
            usedDiffIds.addAll(other.config().rootfs().diffIds());
        }
        for (String md : goneManifests) {
            if (!usedBlobs.contains(md)) { blobs.delete(md); manifests.remove(md); }
        }
        if (!usedBlobs.contains(image.id())) { blobs.delete(image.id()); configs.remove(image.id()); }
        deleteQuietly(root.resolve("parents").resolve(Digests.hex(image.id())));
        for (String layer : image.layerDigests()) {
            if (!usedBlobs.contains(layer) && blobs.has(layer)) {
                blobs.delete(layer);
                unpackedSizes.remove(layer);
                deleteQuietly(sizesDir.resolve(Digests.hex(layer)));
                out.add("Deleted: " + layer);
            }
        }
        synchronized (layerLock) {
            for (String diffId : image.config().rootfs().diffIds()) {
                if (usedDiffIds.contains(diffId)) continue;
                try {
                    FileTrees.deleteRecursively(layersDir.resolve(Digests.hex(diffId)));
                } catch (IOException e) {
                    LOG.log(System.Logger.Level.WARNING, "cannot remove unpacked layer {0}: {1}", diffId, e.getMessage());
                }
            }
        }
        return out;
    }

    /**
     * {@inheritDoc}
     *
     * <p>Each layer is unpacked once, to {@code layers/<diff_id hex>/}, by {@link LayerUnpacker} into a
     * temporary directory that is renamed into place only when the whole layer unpacked and both the
     * blob digest and the diff_id checked out; a refused layer leaves nothing.
     *
     * @throws SystemException I/O, or whiteouts without root
     */
    @Override
    public List<Path> layerDirs(Image image) {
        List<String> diffIds = image.config().rootfs().diffIds();
        if (diffIds.size() != image.layerDigests().size()) {
            throw new InvalidParameterException("image " + image.id() + " has " + image.layerDigests().size()
                    + " layers but " + diffIds.size() + " diff_ids");
        }
        List<Path> dirs = new ArrayList<>();
        synchronized (layerLock) {
            for (int i = 0; i < diffIds.size(); i++) {
                dirs.add(unpacked(image.layerDigests().get(i), diffIds.get(i)));
            }
        }
        return dirs;
    }

    /** {@inheritDoc} */
    @Override
    public InputStream openBlob(String digest) {
        if (digest == null || !digest.matches("sha256:[0-9a-f]{64}") || !blobs.has(digest)) {
            throw new NotFoundException("no such blob: " + digest);
        }
        try {
            return Files.newInputStream(blobs.path(digest));
        } catch (IOException e) {
            throw new SystemException("cannot read blob " + digest + ": " + e.getMessage(), e);
        }
    }

    /**
     * {@inheritDoc}
     *
     * <p>The new layer is gzipped into a blob in {@code tmp/}, moved in, and unpacked to {@code layers/} before the
     * image is indexed (untagged); if it is refused, the blob this call added goes again. The parent is kept in
     * {@code parents/IDHEX}.
     */
    @Override
    public synchronized Image create(byte[] config, List<String> baseLayers, Path newLayer, String parentId) {
        ImageConfig parsed;
        try {
            parsed = Oci.JSON.readValue(config, ImageConfig.class);
        } catch (IOException e) {
            throw new InvalidParameterException("invalid image config: " + e.getMessage(), e);
        }
        List<String> diffIds = parsed.rootfs() == null ? null : parsed.rootfs().diffIds();
        int layers = baseLayers.size() + (newLayer == null ? 0 : 1);
        if (diffIds == null || diffIds.size() != layers) {
            throw new InvalidParameterException("image config lists " + (diffIds == null ? 0 : diffIds.size())
                    + " diff_ids for " + layers + " layers");
        }
        List<Oci.Descriptor> descriptors = new ArrayList<>();
        for (String d : baseLayers) {
            if (!blobs.has(d)) throw new NotFoundException("no such layer blob: " + d);
            descriptors.add(new Oci.Descriptor(Oci.MEDIA_TYPE_LAYER_GZIP, d, blobs.size(d), null, null));
        }
        if (newLayer != null) {
            String diffId = diffIds.get(layers - 1);
            Path gz = tmpDir.resolve("layer-" + UUID.randomUUID() + ".tar.gz");
            String digest;
            try {
                MessageDigest tarMd = Digests.sha256();
                MessageDigest gzMd = Digests.sha256();
                org.apache.commons.compress.compressors.gzip.GzipParameters p =
                        new org.apache.commons.compress.compressors.gzip.GzipParameters();
                p.setModificationTime(0);
                try (InputStream in = TeeInputStream.hashing(Files.newInputStream(newLayer), tarMd);
                     OutputStream out = new org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream(
                             new java.security.DigestOutputStream(Files.newOutputStream(gz), gzMd), p)) {
                    in.transferTo(out);
                }
                if (!Digests.of(tarMd).equals(diffId)) {
                    throw new InvalidParameterException("the new layer hashes to " + Digests.of(tarMd)
                            + ", not to the config's last diff_id " + diffId);
                }
                digest = Digests.of(gzMd);
                boolean added = !blobs.has(digest);
                blobs.adopt(gz, digest);
                try {
                    synchronized (layerLock) {
                        unpacked(digest, diffId);
                    }
                } catch (RuntimeException e) {
                    if (added) blobs.delete(digest);
                    throw e;
                }
            } catch (IOException e) {
                throw new SystemException("cannot store the new layer: " + e.getMessage(), e);
            } finally {
                deleteQuietly(gz);
            }
            descriptors.add(new Oci.Descriptor(Oci.MEDIA_TYPE_LAYER_GZIP, digest, blobs.size(digest), null, null));
        }
        String manifest = storeImage(config, descriptors);
        addEntry(manifest, null);
        String id = Digests.of(config);
        if (parentId != null) {
            BlobStore.writeAtomically(root.resolve("parents").resolve(Digests.hex(id)),
                    parentId.getBytes(StandardCharsets.UTF_8));
        }
        return resolve(id);
    }

    /** {@inheritDoc} ({@code tmp/pull-UUID}) */
    @Override
    public Path newStagingDirectory() {
        try {
            return Files.createDirectory(tmpDir.resolve("pull-" + UUID.randomUUID()));
        } catch (IOException e) {
            throw new SystemException("cannot create a staging directory in " + tmpDir + ": " + e.getMessage(), e);
        }
    }

    /** {@inheritDoc} (through the same checks and roll-back as {@link #load}) */
    @Override
    public synchronized Image addPulled(byte[] config, List<StagedLayer> layers, String reference) {
        ImageConfig parsed;
        try {
            parsed = Oci.JSON.readValue(config, ImageConfig.class);
        } catch (IOException e) {
            throw new InvalidParameterException("image config is not valid JSON: " + e.getMessage(), e);
        }
        List<String> diffIds = parsed.rootfs() == null || parsed.rootfs().diffIds() == null ? List.of()
                : parsed.rootfs().diffIds();
        if (diffIds.size() != layers.size()) {
            throw new InvalidParameterException("image config lists " + diffIds.size() + " diff_ids for "
                    + layers.size() + " layers");
        }
        List<ArchiveImporter.Layer> staged = new ArrayList<>();
        for (int i = 0; i < layers.size(); i++) {
            StagedLayer l = layers.get(i);
            staged.add(new ArchiveImporter.Layer(l.gzipFile(), l.digest(), l.size(), diffIds.get(i)));
        }
        unpackOrRollBack(List.of(new ArchiveImporter.Imported(config, parsed, staged, List.of())));
        String manifest = storeImage(config, layers.stream()
                .map(l -> new Oci.Descriptor(Oci.MEDIA_TYPE_LAYER_GZIP, l.digest(), l.size(), null, null)).toList());
        addEntry(manifest, reference == null ? null : References.normalize(reference));
        return resolve(Digests.of(config));
    }

    /** {@inheritDoc} */
    @Override
    public synchronized String tag(String imageId, String reference) {
        String normalized = References.normalize(reference);
        if (normalized == null) throw new InvalidParameterException("invalid reference format: " + reference);
        String manifest = existingManifest(imageId)
                .orElseThrow(() -> new NotFoundException("No such image: " + imageId));
        addEntry(manifest, normalized);
        return normalized;
    }

    /** {@inheritDoc} (index.json descriptors of the image's manifest annotated {@code ref.name = name@sha256:<hex>}) */
    @Override
    public synchronized List<String> repoDigests(String imageId) {
        List<String> out = new ArrayList<>();
        for (Oci.Descriptor d : readIndex()) {
            String ref = d.annotation(Oci.ANNOTATION_REF_NAME);
            if (ref != null && ref.contains("@") && !out.contains(ref)
                    && manifest(d.digest()).config().digest().equals(imageId)) {
                out.add(ref);
            }
        }
        return out;
    }

    /**
     * {@inheritDoc}
     *
     * <p>Kept as one more descriptor of the image's manifest in {@code index.json}, annotated
     * {@code org.opencontainers.image.ref.name = name@sha256:<hex>} (the annotation's grammar allows {@code @}); the
     * named digest is the registry's, which may be a manifest list's, so it need not be the descriptor's own.
     */
    @Override
    public synchronized String recordRepoDigest(String imageId, String name, String manifestDigest) {
        if (!Digests.isDigest(manifestDigest)) throw new InvalidParameterException("invalid digest: " + manifestDigest);
        String ref = RepoDigests.normalize(name + "@" + manifestDigest);
        if (ref == null) throw new InvalidParameterException("invalid reference format: " + name);
        String manifest = existingManifest(imageId).orElseThrow(() -> new NotFoundException("No such image: " + imageId));
        addEntry(manifest, ref);
        return ref;
    }

    /** {@inheritDoc} */
    @Override
    public long layerSize(String layerDigest) {
        if (!Digests.isDigest(layerDigest) || !blobs.has(layerDigest)) return 0;
        return unpackedSize(layerDigest);
    }

    /** {@inheritDoc} (from {@code parents/IDHEX}) */
    @Override
    public java.util.Optional<String> parent(String imageId) {
        if (imageId == null || !Digests.isDigest(imageId)) return java.util.Optional.empty();
        try {
            String p = Files.readString(root.resolve("parents").resolve(Digests.hex(imageId))).trim();
            return Digests.isDigest(p) ? java.util.Optional.of(p) : java.util.Optional.empty();
        } catch (IOException e) {
            return java.util.Optional.empty();
        }
    }

    // --- layers -------------------------------------------------------------------------------

    private Path unpacked(String blobDigest, String diffId) {
        Path dir = layersDir.resolve(Digests.hex(diffId));
        if (Files.isDirectory(dir)) return dir;
        Path tmp = layersDir.resolve(".tmp-" + Digests.hex(diffId) + "-" + UUID.randomUUID());
        try {
            Files.createDirectory(tmp);
            MessageDigest blobMd = Digests.sha256();
            MessageDigest diffMd = Digests.sha256();
            try (InputStream raw = TeeInputStream.hashing(Files.newInputStream(blobs.path(blobDigest)), blobMd);
                 InputStream tar = TeeInputStream.hashing(GzipCompressorInputStream.builder().setInputStream(raw).setDecompressConcatenated(true).get(), diffMd)) {
                new LayerUnpacker(tmp).unpack(tar);
                tar.transferTo(OutputStream.nullOutputStream());
                raw.transferTo(OutputStream.nullOutputStream());
            }
            if (!Digests.of(blobMd).equals(blobDigest)) {
                throw new SystemException("layer blob " + blobDigest + " is corrupt (its content hashes differently)");
            }
            if (!Digests.of(diffMd).equals(diffId)) {
                throw new SystemException("layer blob " + blobDigest + " does not unpack to diff_id " + diffId);
            }
            Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
            BlobStore.fsyncDir(layersDir);
            return dir;
        } catch (IOException e) {
            deleteQuietly(tmp);
            throw new SystemException("cannot unpack layer " + blobDigest + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            deleteQuietly(tmp);
            throw e;
        }
    }

    // --- busybox ------------------------------------------------------------------------------

    private void buildBusybox() {
        BusyboxImage.Built b = BusyboxImage.build();
        String layer = blobs.put(b.layer());
        String manifest = storeImage(b.config(),
                List.of(new Oci.Descriptor(Oci.MEDIA_TYPE_LAYER_GZIP, layer, b.layer().length, null, null)));
        addEntry(manifest, DEFAULT_IMAGE);
        LOG.log(System.Logger.Level.INFO, "built {0} ({1}) from the host''s static busybox", DEFAULT_IMAGE, Digests.of(b.config()));
    }

    /**
     * Stores the config and an OCI manifest for it (layers must already be blobs). An image whose config
     * is already stored keeps its manifest, so one image ID has one manifest.
     *
     * @return the manifest digest
     */
    private String storeImage(byte[] config, List<Oci.Descriptor> layers) {
        String id = Digests.of(config);
        Optional<String> existing = existingManifest(id);
        if (existing.isPresent()) return existing.get();
        blobs.put(config);
        Oci.Manifest m = new Oci.Manifest(2, Oci.MEDIA_TYPE_MANIFEST,
                new Oci.Descriptor(Oci.MEDIA_TYPE_CONFIG, id, config.length, null, null), layers, null);
        try {
            return blobs.put(Oci.JSON.writeValueAsBytes(m));
        } catch (IOException e) {
            throw new SystemException("cannot serialize manifest: " + e.getMessage(), e);
        }
    }

    private Optional<String> existingManifest(String imageId) {
        for (Oci.Descriptor d : readIndex()) {
            if (imageId.equals(manifest(d.digest()).config().digest())) return Optional.of(d.digest());
        }
        return Optional.empty();
    }

    /** Points {@code ref} (or, when null, an untagged entry) at the manifest, moving the tag if needed. */
    private void addEntry(String manifestDigest, String ref) {
        List<Oci.Descriptor> index = new ArrayList<>(readIndex());
        if (ref != null) {
            List<String> displaced = new ArrayList<>();
            index.removeIf(d -> {
                boolean same = ref.equals(d.annotation(Oci.ANNOTATION_REF_NAME));
                if (same && !d.digest().equals(manifestDigest)) displaced.add(d.digest());
                return same;
            });
            for (String old : displaced) {              // the old image stays, untagged (Docker's <none>)
                if (index.stream().noneMatch(d -> d.digest().equals(old))) index.add(descriptor(old, null));
            }
            index.removeIf(d -> d.digest().equals(manifestDigest) && d.annotation(Oci.ANNOTATION_REF_NAME) == null);
        } else if (index.stream().anyMatch(d -> d.digest().equals(manifestDigest))) {
            return;
        }
        index.add(descriptor(manifestDigest, ref));
        writeIndex(index);
    }

    private Oci.Descriptor descriptor(String manifestDigest, String ref) {
        ImageConfig c = config(manifest(manifestDigest).config().digest());
        return new Oci.Descriptor(Oci.MEDIA_TYPE_MANIFEST, manifestDigest, blobs.size(manifestDigest),
                ref == null ? null : Map.of(Oci.ANNOTATION_REF_NAME, ref),
                new Oci.Platform(c.architecture(), c.os(), null));
    }

    // --- lookup -------------------------------------------------------------------------------

    /** An image and the tag it was found by (null when found by ID). */
    private record Match(Image image, String tag) { }

    private Optional<Match> find(String reference) {
        if (reference == null || reference.isEmpty()) return Optional.empty();
        List<Oci.Descriptor> index = readIndex();
        Map<String, Image> images = images(index);
        String hex = null;
        if (reference.contains("@")) {
            String digestRef = RepoDigests.normalize(reference);
            for (Oci.Descriptor d : index) {
                if (digestRef != null && digestRef.equals(d.annotation(Oci.ANNOTATION_REF_NAME))) {
                    return Optional.of(new Match(images.get(manifest(d.digest()).config().digest()), digestRef));
                }
            }
            return Optional.empty();
        }
        if (reference.startsWith("sha256:")) {
            hex = reference.substring("sha256:".length());
        } else {
            String normalized = References.normalize(reference);
            if (normalized != null) {
                for (Image i : images.values()) {
                    if (i.repoTags().contains(normalized)) return Optional.of(new Match(i, normalized));
                }
            }
            hex = reference;
        }
        if (!HEX_PREFIX.matcher(hex).matches()) return Optional.empty();
        List<Image> matches = new ArrayList<>();
        for (Image i : images.values()) if (Digests.hex(i.id()).startsWith(hex)) matches.add(i);
        if (matches.size() > 1) {
            throw new InvalidParameterException("image ID prefix " + reference + " is ambiguous: it matches " + matches.size() + " images");
        }
        return matches.isEmpty() ? Optional.empty() : Optional.of(new Match(matches.get(0), null));
    }

    /** The images an index names, by image ID, each with all its tags. */
    private Map<String, Image> images(List<Oci.Descriptor> index) {
        Map<String, List<String>> tags = new LinkedHashMap<>();
        Map<String, String> manifestOf = new LinkedHashMap<>();
        for (Oci.Descriptor d : index) {
            String id = manifest(d.digest()).config().digest();
            manifestOf.putIfAbsent(id, d.digest());
            List<String> t = tags.computeIfAbsent(id, k -> new ArrayList<>());
            String ref = d.annotation(Oci.ANNOTATION_REF_NAME);
            if (ref != null && !ref.contains("@") && !t.contains(ref)) t.add(ref);   // name@digest: repoDigests
        }
        Map<String, Image> out = new LinkedHashMap<>();
        for (Map.Entry<String, String> en : manifestOf.entrySet()) {
            String id = en.getKey();
            Oci.Manifest m = manifest(en.getValue());
            ImageConfig c = config(id);
            out.put(id, new Image(id, List.copyOf(tags.get(id)), en.getValue(), c,
                    m.layers().stream().map(Oci.Descriptor::digest).toList(), -1, epochSeconds(c.created())));
        }
        return out;
    }

    /** The image with its size: the sum of its layers' {@link UnpackedSize}. */
    private Image sized(Image i) {
        if (i.size() >= 0) return i;
        long size = i.layerDigests().stream().mapToLong(this::unpackedSize).sum();
        return new Image(i.id(), i.repoTags(), i.manifestDigest(), i.config(), i.layerDigests(), size,
                i.createdEpochSeconds());
    }

    /**
     * A layer blob's {@link UnpackedSize}: measured once (a pass over the decompressed tar) and kept in
     * {@code sizes/BLOBHEX}, so a restarted daemon does not read every layer again.
     */
    private long unpackedSize(String layerDigest) {
        return unpackedSizes.computeIfAbsent(layerDigest, d -> {
            Path kept = sizesDir.resolve(Digests.hex(d));
            try {
                return Long.parseLong(Files.readString(kept).trim());
            } catch (IOException | NumberFormatException notYet) {
                // measure it
            }
            long size;
            try (InputStream raw = Files.newInputStream(blobs.path(d));
                 InputStream tar = GzipCompressorInputStream.builder().setInputStream(raw)
                         .setDecompressConcatenated(true).get()) {
                size = UnpackedSize.of(tar);
            } catch (IOException e) {
                throw new SystemException("cannot read layer blob " + d + ": " + e.getMessage(), e);
            }
            try {
                BlobStore.writeAtomically(kept, Long.toString(size).getBytes(StandardCharsets.UTF_8));
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "cannot keep the size of layer {0}: {1}", d, e.getMessage());
            }
            return size;
        });
    }

    private static long epochSeconds(String created) {
        if (created == null) return 0;
        try {
            return OffsetDateTime.parse(created).toEpochSecond();
        } catch (RuntimeException e) {
            return 0;
        }
    }

    private Oci.Manifest manifest(String digest) {
        return manifests.computeIfAbsent(digest, d -> {
            try {
                return Oci.JSON.readValue(blobs.read(d), Oci.Manifest.class);
            } catch (IOException e) {
                throw new SystemException("manifest blob " + d + " is corrupt: " + e.getMessage(), e);
            }
        });
    }

    private ImageConfig config(String digest) {
        return configs.computeIfAbsent(digest, d -> {
            try {
                return Oci.JSON.readValue(blobs.read(d), ImageConfig.class);
            } catch (IOException e) {
                throw new SystemException("config blob " + d + " is corrupt: " + e.getMessage(), e);
            }
        });
    }

    // --- index.json ---------------------------------------------------------------------------

    private Path indexPath() {
        return root.resolve("index.json");
    }

    private List<Oci.Descriptor> readIndex() {
        try {
            Oci.Index index = Oci.JSON.readValue(indexPath().toFile(), Oci.Index.class);
            return index.manifests() == null ? List.of() : index.manifests();
        } catch (IOException e) {
            throw new SystemException("cannot read " + indexPath() + ": " + e.getMessage(), e);
        }
    }

    private void writeIndex(List<Oci.Descriptor> manifests) {
        try {
            BlobStore.writeAtomically(indexPath(), Oci.JSON.writerWithDefaultPrettyPrinter()
                    .writeValueAsBytes(new Oci.Index(2, Oci.MEDIA_TYPE_INDEX, List.copyOf(manifests), null)));
        } catch (IOException e) {
            throw new SystemException("cannot serialize index.json: " + e.getMessage(), e);
        }
    }

    private static void deleteQuietly(Path p) {
        try {
            FileTrees.deleteRecursively(p);
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot remove {0}: {1}", p, e.getMessage());
        }
    }
}
