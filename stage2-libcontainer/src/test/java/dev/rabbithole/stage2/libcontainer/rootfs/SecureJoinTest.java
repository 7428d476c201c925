package dev.rabbithole.stage2.libcontainer.rootfs;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Symlinks in a rootfs resolve inside it, as after chroot; nothing outside is created. No root needed. */
class SecureJoinTest {
    @TempDir
    Path tmp;
    Path root;
    Path outside;

    @BeforeEach
    void layout() throws IOException {
        root = Files.createDirectories(tmp.resolve("rootfs"));
        outside = Files.createDirectories(tmp.resolve("host"));
        Files.createDirectories(root.resolve("usr/lib"));
    }

    @Test
    void plainPathsJoin() {
        assertThat(SecureJoin.resolve(root, "/usr/lib/x")).isEqualTo(root.resolve("usr/lib/x"));
        assertThat(SecureJoin.resolve(root, "usr//lib/./x")).isEqualTo(root.resolve("usr/lib/x"));
    }

    @Test
    void dotDotStopsAtTheRoot() {
        assertThat(SecureJoin.resolve(root, "/../../../etc/passwd")).isEqualTo(root.resolve("etc/passwd"));
        assertThat(SecureJoin.resolve(root, "/usr/../../lib")).isEqualTo(root.resolve("lib"));
    }

    @Test
    void anAbsoluteSymlinkToTheHostStaysInside() throws IOException {
        Files.createSymbolicLink(root.resolve("etc"), outside);
        Path resolved = SecureJoin.resolve(root, "/etc/hostname");
        assertThat(resolved).isEqualTo(root.resolve(outside.toString().substring(1)).resolve("hostname"));
        assertThat(resolved.startsWith(root)).isTrue();
    }

    @Test
    void aRelativeSymlinkClimbingOutIsClampedAtTheRoot() throws IOException {
        Files.createSymbolicLink(root.resolve("etc"), Path.of("../../../../host"));
        assertThat(SecureJoin.resolve(root, "/etc/hosts")).isEqualTo(root.resolve("host/hosts"));
    }

    @Test
    void aSymlinkToTheRootResolvesToTheRootfs() throws IOException {
        Files.createSymbolicLink(root.resolve("proc"), Path.of("/"));
        assertThat(SecureJoin.resolve(root, "/proc")).isEqualTo(root);
        assertThat(SecureJoin.followsSymlink(root, "/proc")).isTrue();
        assertThat(SecureJoin.followsSymlink(root, "/usr/lib")).isFalse();
    }

    @Test
    void symlinkChainsAndIntermediateLinksAreFollowedInside() throws IOException {
        Files.createSymbolicLink(root.resolve("a"), Path.of("/b"));
        Files.createSymbolicLink(root.resolve("b"), Path.of("usr"));
        assertThat(SecureJoin.resolve(root, "/a/lib/c")).isEqualTo(root.resolve("usr/lib/c"));
    }

    @Test
    void aLoopIsAnError() throws IOException {
        Files.createSymbolicLink(root.resolve("loop"), Path.of("/loop"));
        assertThatThrownBy(() -> SecureJoin.resolve(root, "/loop/x")).isInstanceOf(UncheckedIOException.class)
                .hasMessageContaining("too many levels of symbolic links");
    }

    @Test
    void mkdirsAndCreateFileWriteOnlyInsideTheRoot() throws IOException {
        Files.createSymbolicLink(root.resolve("etc"), outside);
        Files.createSymbolicLink(root.resolve("data"), Path.of("../../host/data"));
        Path file = SecureJoin.createFile(root, "/etc/resolv.conf");
        Path dir = SecureJoin.mkdirs(root, "/data/volume");
        assertThat(file).isRegularFile();
        assertThat(dir).isDirectory();
        assertThat(file.startsWith(root)).isTrue();
        assertThat(dir).isEqualTo(root.resolve("host/data/volume"));
        try (var s = Files.list(outside)) {
            assertThat(s).as("nothing created outside the rootfs").isEmpty();
        }
    }

    @Test
    void aFileWhereADirectoryIsNeededIsReported() throws IOException {
        Files.writeString(root.resolve("f"), "x");
        assertThatThrownBy(() -> SecureJoin.mkdirs(root, "/f/sub")).isInstanceOf(UncheckedIOException.class);
    }
}
