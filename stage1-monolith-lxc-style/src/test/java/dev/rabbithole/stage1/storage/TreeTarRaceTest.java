package dev.rabbithole.stage1.storage;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The attack on {@code docker export} and {@code docker commit} of a running container: while the daemon tars the
 * rootfs (or upperdir), the container swaps a directory for a symbolic link to a host directory, hoping the daemon
 * follows it and copies host files into the archive (the CVE-2018-15664 race). The walk goes by directory
 * descriptors with {@code O_NOFOLLOW}, so no host byte may ever appear.
 */
class TreeTarRaceTest {

    @TempDir
    Path dir;

    @Test
    void aDirectorySwappedForASymlinkDuringTheWalkNeverLeaksHostFiles() throws Exception {
        Path root = Files.createDirectories(dir.resolve("rootfs"));
        Path host = Files.createDirectories(dir.resolve("host"));
        Files.writeString(host.resolve("f"), "HOST-SECRET");
        Path d = Files.createDirectories(root.resolve("d"));
        Files.writeString(d.resolve("f"), "inside");
        Path real = root.resolve("d.real");
        Path link = root.resolve("d.link");
        Files.move(d, real);
        Files.createSymbolicLink(link, host);
        Files.move(real, d);

        AtomicBoolean stop = new AtomicBoolean();
        Thread swapper = new Thread(() -> {
            try {
                while (!stop.get()) {            // d is a directory, then a link to the host's directory, and back
                    Files.move(d, real, StandardCopyOption.ATOMIC_MOVE);
                    Files.move(link, d, StandardCopyOption.ATOMIC_MOVE);
                    Thread.onSpinWait();
                    Files.move(d, link, StandardCopyOption.ATOMIC_MOVE);
                    Files.move(real, d, StandardCopyOption.ATOMIC_MOVE);
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        swapper.start();
        int sawInside = 0;
        try {
            for (int i = 0; i < 400; i++) {
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                TreeTar.writeTree(root, out);
                String tar = out.toString(StandardCharsets.ISO_8859_1);
                assertThat(tar).as("archive %d", i).doesNotContain("HOST-SECRET");
                if (tar.contains("inside")) sawInside++;
            }
        } finally {
            stop.set(true);
            swapper.join();
        }
        assertThat(sawInside).as("the walk still copied the directory when it was one").isPositive();
    }
}
