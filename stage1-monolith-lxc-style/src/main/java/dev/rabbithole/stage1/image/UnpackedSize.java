package dev.rabbithole.stage1.image;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * The size Docker reports for a layer ({@code docker images} SIZE, {@code Size} of {@code GET /images/json}):
 * what the unpacked layer occupies by its files' lengths, as Docker's overlay2 driver measures its diff
 * directory (a walk that adds {@code lstat} sizes of everything but directories, each inode once). From the
 * layer's tar that is the length of every regular file, plus the length in bytes of every symlink's target
 * (a symlink's {@code lstat} size), hard links not counted again; directories, devices and whiteouts add 0.
 */
final class UnpackedSize {
    private UnpackedSize() { }

    /**
     * @param tar an uncompressed layer tar; read to its end, not closed
     * @return the unpacked size in bytes
     * @throws IOException the tar cannot be read
     */
    static long of(InputStream tar) throws IOException {
        TarArchiveInputStream in = new TarArchiveInputStream(tar);
        long size = 0;
        for (TarArchiveEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
            if (e.isSymbolicLink()) {
                size += e.getLinkName().getBytes(StandardCharsets.UTF_8).length;
            } else if (e.isFile() && !e.isLink()) {
                size += e.getSize();
            }
        }
        return size;
    }
}
