package dev.rabbithole.stage1.builder;

import dev.rabbithole.stage1.AtomicFiles;
import dev.rabbithole.stage1.errdefs.NotFoundException;
import dev.rabbithole.stage1.image.Image;
import dev.rabbithole.stage1.image.ImageStore;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Optional;

/**
 * The classic builder's cache: which image a step made from a parent image. The key is the parent image's ID and
 * the step's description (the instruction with its variables substituted, the config it runs with, and for
 * COPY/ADD the checksum of the sources' names, contents, modes and times); the value the image the step produced.
 * Docker finds it by scanning its images' parents and container configs; this keeps one small file per key under
 * {@code DATA_ROOT/builder/cache/}, written atomically. An entry whose image was removed is a miss.
 */
public final class BuildCache {

    private final Path dir;
    private final ImageStore images;

    /**
     * @param dir    {@code DATA_ROOT/builder/cache}; created when missing
     * @param images the store the cached images live in
     */
    public BuildCache(Path dir, ImageStore images) {
        this.dir = dir;
        this.images = images;
    }

    /** @return the image an earlier build made for this step, if it is still in the store */
    public Optional<Image> lookup(String parentId, String stepKey) {
        Path f = dir.resolve(key(parentId, stepKey));
        try {
            if (!Files.isRegularFile(f)) {
                return Optional.empty();
            }
            return Optional.of(images.resolve(Files.readString(f, StandardCharsets.UTF_8).strip()));
        } catch (IOException | NotFoundException e) {
            return Optional.empty();
        }
    }

    /** Records the image a step made; a failure to write only loses the cache entry. */
    public void store(String parentId, String stepKey, Image result) {
        try {
            Files.createDirectories(dir);
            AtomicFiles.writeString(dir.resolve(key(parentId, stepKey)), result.id());
        } catch (IOException e) {
            // the next build runs the step again
        }
    }

    private static String key(String parentId, String stepKey) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update(String.valueOf(parentId).getBytes(StandardCharsets.UTF_8));
            md.update((byte) 0);
            md.update(stepKey.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
