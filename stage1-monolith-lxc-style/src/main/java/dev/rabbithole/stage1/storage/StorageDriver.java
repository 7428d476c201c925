package dev.rabbithole.stage1.storage;

import java.nio.file.Path;
import java.util.List;

/**
 * A storage (graph) driver, as Docker 0.7 introduced: gives each container a root filesystem made of
 * the image's read-only layers and a writable layer of its own.
 */
public interface StorageDriver {

    /** @return the driver name for {@code /info}: {@code overlay2} or {@code vfs} (a plain copy) */
    String name();

    /**
     * Creates (or re-mounts) the container's rootfs.
     *
     * @param containerId 64 hex characters
     * @param layers      unpacked layer directories, lowest first
     * @return the mounted rootfs directory
     * @throws dev.rabbithole.stage1.errdefs.SystemException the mount failed
     */
    Path mount(String containerId, List<Path> layers);

    /** Unmounts the container's rootfs; idempotent (not mounted is success). */
    void unmount(String containerId);

    /** Unmounts and deletes the container's writable layer; idempotent (already gone is success). */
    void remove(String containerId);

    /**
     * The container's writable layer as overlayfs keeps it (kernel Documentation/filesystems/overlayfs.rst): the
     * upperdir, where a deleted file is a 0:0 character device and a replaced directory carries
     * {@code trusted.overlay.opaque=y}. What {@code docker diff}, {@code docker commit} read.
     *
     * @param containerId 64 hex characters
     * @return the directory, or empty when the driver keeps no upperdir for it (a {@code vfs} copy)
     */
    default java.util.Optional<Path> upperDir(String containerId) {
        return java.util.Optional.empty();
    }
}
