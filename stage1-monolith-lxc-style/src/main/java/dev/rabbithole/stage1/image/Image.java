package dev.rabbithole.stage1.image;

import java.util.List;

/**
 * An image in the store.
 *
 * @param id             {@code sha256:<hex>}, the digest of the config blob (as Docker's image ID)
 * @param repoTags       {@code name:tag} references that point at it, e.g. {@code busybox:latest}
 * @param manifestDigest {@code sha256:<hex>} of the OCI manifest blob
 * @param config         the parsed config blob
 * @param layerDigests   {@code sha256:<hex>} of each layer blob (tar+gzip), lowest first
 * @param size           bytes the unpacked layers hold together, as Docker counts them (see UnpackedSize)
 * @param createdEpochSeconds seconds since the epoch the image was created (0 if unknown)
 */
public record Image(String id, List<String> repoTags, String manifestDigest, ImageConfig config,
                    List<String> layerDigests, long size, long createdEpochSeconds) {
}
