package dev.rabbithole.stage1;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.UUID;

/**
 * The one way the engine replaces a file: write a temporary file beside it, fsync(2) it, rename(2) it over the
 * target (atomic within a file system), then fsync the directory so the rename survives a crash. A reader sees
 * the old content or the new, never a part. Stage 2's libcontainer has its own (it depends on nothing here).
 */
public final class AtomicFiles {

    private AtomicFiles() { }

    /**
     * Replaces {@code target} with {@code bytes} atomically. The temporary file
     * ({@code .NAME.tmp-UUID} beside the target) is removed if anything fails.
     *
     * @throws IOException the write, fsync or rename failed (for example no space left); the target is unchanged
     */
    public static void write(Path target, byte[] bytes) throws IOException {
        Path tmp = target.resolveSibling("." + target.getFileName() + ".tmp-" + UUID.randomUUID());
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                ByteBuffer buf = ByteBuffer.wrap(bytes);
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
                ch.force(true);
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            fsyncDir(target.toAbsolutePath().getParent());
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /**
     * Replaces {@code target} with {@code text} in UTF-8, as {@link #write(Path, byte[])}.
     *
     * @throws IOException the write, fsync or rename failed; the target is unchanged
     */
    public static void writeString(Path target, String text) throws IOException {
        write(target, text.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * fsync(2) a directory so that a rename or a new entry in it survives a crash. Best effort: some file
     * systems refuse fsync on a directory (the rename itself is atomic regardless).
     */
    public static void fsyncDir(Path dir) {
        if (dir == null) {
            return;
        }
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException ignored) {
            // nothing more to do: the data is on disk, only the directory entry may be lost in a crash
        }
    }
}
