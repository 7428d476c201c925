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
     * The image's layers unpacked on disk (each a directory, whiteouts already in overlayfs form or
     * applied), lowest first: what the storage driver stacks as overlay lowerdirs.
     *
     * @throws dev.rabbithole.stage1.errdefs.InvalidParameterException a layer that tries to escape its directory
     */
    List<Path> layerDirs(Image image);
}
