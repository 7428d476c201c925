package dev.rabbithole.stage1.image;

import java.io.InputStream;
import java.nio.file.Path;
import java.util.List;

/**
 * The image store every stage shares: content-addressed blobs under {@code blobs/sha256/},
 * OCI manifests and configs, layers as tar+gzip, and a {@code name:tag} index.
 * Layout and unpacking rules are in the class that implements it.
 */
public interface ImageStore {

    /** The embedded default image, assembled from the host's static busybox when first asked for. */
    String DEFAULT_IMAGE = "busybox:latest";

    /**
     * Finds an image by {@code name}, {@code name:tag}, full ID {@code sha256:<hex>} or a unique ID
     * prefix. {@code busybox} / {@code busybox:latest} is built locally on first use.
     *
     * @throws dev.rabbithole.stage1.errdefs.NotFoundException {@code "No such image: REF"}
     */
    Image resolve(String reference);

    /** All images, newest first. */
    List<Image> list();

    /**
     * Loads a {@code docker save} archive (or an OCI image layout in a tar).
     *
     * @return the references loaded, e.g. {@code ["busybox:latest"]} (or image IDs for untagged images)
     * @throws dev.rabbithole.stage1.errdefs.InvalidParameterException a malformed archive, or a layer that
     *         unpacks unsafely (an entry or hard link leaving the layer); nothing is kept
     */
    List<String> load(InputStream archive);

    /**
     * Removes a reference, and the image when no reference is left.
     *
     * @return Docker's removal report lines: {@code Untagged: busybox:latest}, {@code Deleted: sha256:...}
     * @throws dev.rabbithole.stage1.errdefs.NotFoundException no such image
     */
    List<String> remove(String reference);

    /**
     * Opens a blob of an image: its config ({@link Image#id()}) or one of its layers ({@link Image#layerDigests()},
     * tar+gzip as stored). What {@link SaveArchive} reads.
     *
     * @param digest {@code sha256:<hex>}
     * @return the blob's bytes, to be closed by the caller
     * @throws dev.rabbithole.stage1.errdefs.NotFoundException no such blob
     * @throws UnsupportedOperationException a store that keeps no blobs
     */
    default InputStream openBlob(String digest) {
        throw new UnsupportedOperationException("this image store keeps no blobs");
    }

    /**
     * Adds an image made of existing layers and optionally one new layer on top: what {@code docker commit} and
     * {@code docker import} store. The new layer is compressed into a blob and unpacked (refused, with nothing
     * kept, when it would escape its directory, as a loaded layer is).
     *
     * @param config     the config blob's bytes; its {@code rootfs.diff_ids} must list the base layers' and then
     *                   the new layer's diff_id ({@code sha256} of {@code newLayer}'s bytes)
     * @param baseLayers {@code sha256:<hex>} layer blob digests already in the store, lowest first (a parent
     *                   image's {@link Image#layerDigests()}); empty for none
     * @param newLayer   an uncompressed layer tar (image-spec layer.md), or null for no new layer
     * @param parentId   the image it was made from ({@code sha256:<hex>}), kept as its parent, or null
     * @return the stored image, untagged unless it already had names
     * @throws dev.rabbithole.stage1.errdefs.InvalidParameterException an unsafe layer or a config that does not
     *         match the layers
     * @throws UnsupportedOperationException a store that cannot add images
     */
    default Image create(byte[] config, List<String> baseLayers, Path newLayer, String parentId) {
        throw new UnsupportedOperationException("this image store cannot add images");
    }

    /**
     * Points {@code reference} at an image ({@code docker tag}); a tag on another image moves, which keeps its
     * other names or stays untagged.
     *
     * @param imageId   {@code sha256:<hex>}
     * @param reference {@code name[:tag]}, {@code :latest} when no tag is given
     * @return the normalized reference, {@code name:tag}
     * @throws dev.rabbithole.stage1.errdefs.InvalidParameterException not a valid reference
     * @throws dev.rabbithole.stage1.errdefs.NotFoundException no such image
     */
    default String tag(String imageId, String reference) {
        throw new UnsupportedOperationException("this image store cannot tag images");
    }

    /**
     * @param imageId {@code sha256:<hex>}
     * @return the image's digest references, {@code name@sha256:<hex>} (Engine API ImageInspect {@code RepoDigests}):
     *         empty for a loaded, committed or imported image, as in Docker 20.10; what {@link #recordRepoDigest}
     *         recorded for a pulled one
     */
    default List<String> repoDigests(String imageId) {
        return List.of();
    }

    /**
     * Records that {@code name@manifestDigest} names an image (what {@code docker pull} records: the digest of the
     * manifest or index the registry served for the name), so that it shows in {@code RepoDigests}, resolves
     * ({@code docker run name@sha256:...}) and is removed with the name's last tag, as in Docker.
     *
     * @param imageId        {@code sha256:<hex>} of an image in the store
     * @param name           a repository, with or without a tag (the tag is dropped): {@code busybox},
     *                       {@code example.com/team/app:1}
     * @param manifestDigest {@code sha256:<hex>}
     * @return the recorded reference, e.g. {@code busybox@sha256:<hex>}
     * @throws dev.rabbithole.stage1.errdefs.InvalidParameterException not a valid name or digest
     * @throws dev.rabbithole.stage1.errdefs.NotFoundException no such image
     * @throws UnsupportedOperationException a store that cannot record names
     */
    default String recordRepoDigest(String imageId, String name, String manifestDigest) {
        throw new UnsupportedOperationException("this image store cannot record repository digests");
    }

    /**
     * @param imageId {@code sha256:<hex>}
     * @return the image this one was committed or built from ({@code sha256:<hex>}), if the store knows it
     *         (dockerd keeps it outside the config too, in its image metadata)
     */
    default java.util.Optional<String> parent(String imageId) {
        return java.util.Optional.empty();
    }

    /**
     * @param layerDigest {@code sha256:<hex>} of a layer blob of an image in the store
     * @return the bytes the layer holds unpacked, as Docker counts them ({@code docker history} SIZE); 0 if unknown
     */
    default long layerSize(String layerDigest) {
        return 0;
    }

    /**
     * A verified layer blob waiting in a {@link #newStagingDirectory()} to be added by {@link #addPulled}.
     *
     * @param gzipFile the tar+gzip bytes, on the store's file system (it is moved in)
     * @param digest   {@code sha256:<hex>} of the file's bytes
     * @param size     the file's length in bytes
     */
    record StagedLayer(Path gzipFile, String digest, long size) { }

    /**
     * @return a new empty directory on the store's file system for blobs on their way in; the caller deletes it
     *         (the store empties its staging area when it opens)
     * @throws UnsupportedOperationException a store that cannot add images
     */
    default Path newStagingDirectory() {
        throw new UnsupportedOperationException("this image store cannot add images");
    }

    /**
     * Adds an image whose blobs a registry client has fetched and verified: what {@code docker pull} stores. The
     * layers are adopted (their digests checked once more) and unpacked (each must unpack to its config
     * {@code diff_id}); if any is refused every blob and layer directory this call added is deleted again and no
     * name moves. An image whose config is already stored gets the name only.
     *
     * @param config    the config blob's bytes (its digest is the image ID)
     * @param layers    tar+gzip layers, lowest first, one per {@code rootfs.diff_ids} entry
     * @param reference {@code name:tag} to point at the image, or null to keep it untagged
     * @return the stored image
     * @throws dev.rabbithole.stage1.errdefs.InvalidParameterException a config that does not match the layers, a
     *         layer that does not hash or unpack as promised, an unsafe layer
     * @throws UnsupportedOperationException a store that cannot add images
     */
    default Image addPulled(byte[] config, List<StagedLayer> layers, String reference) {
        throw new UnsupportedOperationException("this image store cannot add images");
    }

    /**
     * The image's layers unpacked on disk (each a directory, whiteouts already in overlayfs form or
     * applied), lowest first: what the storage driver stacks as overlay lowerdirs.
     *
     * @throws dev.rabbithole.stage1.errdefs.InvalidParameterException a layer that tries to escape its directory
     */
    List<Path> layerDirs(Image image);
}
