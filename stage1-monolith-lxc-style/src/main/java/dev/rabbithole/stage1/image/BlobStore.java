package dev.rabbithole.stage1.image;

import dev.rabbithole.stage1.AtomicFiles;
import dev.rabbithole.stage1.errdefs.InvalidParameterException;
import dev.rabbithole.stage1.errdefs.SystemException;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.UUID;

/**
 * Content-addressed blobs, {@code blobs/sha256/<hex>} of an OCI image layout (image-layout.md).
 * Every write goes to a temporary file beside the target, is fsync'ed, then renamed into place, so a
 * blob path either does not exist or holds exactly the bytes its name promises.
 */
public final class BlobStore {
    private final Path dir;

    /** @param blobsSha256 the {@code blobs/sha256} directory (created if missing) */
    public BlobStore(Path blobsSha256) {
        this.dir = blobsSha256;
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new SystemException("cannot create " + dir + ": " + e.getMessage(), e);
        }
    }

    /** @return where the blob {@code sha256:<hex>} lives (it may not exist) */
    public Path path(String digest) {
        return dir.resolve(Digests.hex(digest));
    }

    /** @return true when the blob is stored */
    public boolean has(String digest) {
        return Files.isRegularFile(path(digest));
    }

    /**
     * Stores {@code bytes}.
     *
     * @return their digest, {@code sha256:<hex>}
     * @throws SystemException the write failed
     */
    public String put(byte[] bytes) {
        String digest = Digests.of(bytes);
        if (has(digest)) return digest;
        Path tmp = dir.resolve(".tmp-" + UUID.randomUUID());
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                ch.write(java.nio.ByteBuffer.wrap(bytes));
                ch.force(true);
            }
            moveIn(tmp, digest);
            return digest;
        } catch (IOException e) {
            throw new SystemException("cannot write blob " + digest + ": " + e.getMessage(), e);
        } finally {
            deleteQuietly(tmp);
        }
    }

    // tag::blob-adopt[]
    /**
     * Moves a file that already sits on the store's file system into place as blob {@code digest},
     * after checking its bytes hash to that digest.
     *
     * @throws InvalidParameterException the bytes do not match the digest
     * @throws SystemException           I/O failed
     */
    public void adopt(Path file, String digest) {
        try {
            MessageDigest md = Digests.sha256();
            try (InputStream in = new DigestInputStream(Files.newInputStream(file), md)) {
                in.transferTo(OutputStream.nullOutputStream());
            }
            String actual = Digests.of(md);
            if (!actual.equals(digest)) {
                throw new InvalidParameterException("blob digest mismatch: expected " + digest + ", content is " + actual);
            }
            if (has(digest)) { Files.delete(file); return; }
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
                ch.force(true);
            }
            moveIn(file, digest);
        } catch (IOException e) {
            throw new SystemException("cannot store blob " + digest + ": " + e.getMessage(), e);
        }
    }
    // end::blob-adopt[]

    /** Reads a whole blob (manifests and configs: kilobytes). @throws SystemException missing or unreadable */
    public byte[] read(String digest) {
        try {
            return Files.readAllBytes(path(digest));
        } catch (IOException e) {
            throw new SystemException("cannot read blob " + digest + ": " + e.getMessage(), e);
        }
    }

    /** @return the blob's length in bytes, 0 if missing */
    public long size(String digest) {
        try {
            return Files.size(path(digest));
        } catch (IOException e) {
            return 0;
        }
    }

    /** Deletes a blob; a missing blob is success. */
    public void delete(String digest) {
        deleteQuietly(path(digest));
    }

    private void moveIn(Path tmp, String digest) throws IOException {
        try {
            Files.move(tmp, path(digest), StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("blob staging area is on another file system than " + dir, e);
        }
        fsyncDir(dir);
    }

    /** fsync(2) a directory so a rename in it survives a crash; best effort. */
    static void fsyncDir(Path dir) {
        AtomicFiles.fsyncDir(dir);
    }

    /**
     * Writes {@code bytes} to {@code target} atomically: temp file beside it, fsync, rename, fsync dir.
     *
     * @throws SystemException the write failed
     */
    static void writeAtomically(Path target, byte[] bytes) {
        try {
            AtomicFiles.write(target, bytes);
        } catch (IOException e) {
            throw new SystemException("cannot write " + target + ": " + e.getMessage(), e);
        }
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (NoSuchFileException ignored) {
            // gone
        } catch (IOException ignored) {
            // a leftover temp file is cleaned when the store opens next
        }
    }
}
