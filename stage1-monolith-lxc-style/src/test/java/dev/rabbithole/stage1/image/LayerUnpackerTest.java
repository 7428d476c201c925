package dev.rabbithole.stage1.image;

import dev.rabbithole.stage1.errdefs.InvalidParameterException;
import dev.rabbithole.stage1.storage.FileTrees;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Malicious layers: each tries to write outside the directory it is unpacked into. Each must be refused
 * with a message naming the entry, write nothing outside (a sentinel directory beside the store stays
 * empty) and leave no partial layer directory.
 */
class LayerUnpackerTest {
    private Path base;
    private Path sentinel;
    private LocalImageStore store;

    @BeforeEach
    void setUp() throws IOException {
        base = Files.createTempDirectory("rabbithole-unpack-test");
        sentinel = Files.createDirectory(base.resolve("sentinel"));
        store = new LocalImageStore(base.resolve("store"));
    }

    @AfterEach
    void tearDown() throws IOException {
        FileTrees.deleteRecursively(base);
    }

    /**
     * Loads the layer as an image (the archive itself is well-formed): the load unpacks it and refuses it,
     * as Docker refuses at load, and leaves no image, blob or layer directory.
     *
     * @return the refusal's message
     */
    private String assertRefused(byte[] layer, String entry) throws IOException {
        List<String> blobsBefore;
        try (Stream<Path> s = Files.list(base.resolve("store/blobs/sha256"))) {
            blobsBefore = s.map(Path::toString).sorted().toList();
        }
        Throwable refusal = org.assertj.core.api.Assertions.catchThrowable(() -> store.load(new ByteArrayInputStream(
                TestArchives.dockerSave(List.of("evil/layer:1"), List.of(layer), "sh"))));
        assertThat(refusal).isInstanceOf(InvalidParameterException.class)
                .hasMessageStartingWith("invalid image archive: refusing layer entry \"" + entry + "\"");
        assertThat(store.list()).as("no image, no tag").isEmpty();
        try (Stream<Path> s = Files.list(base.resolve("store/blobs/sha256"))) {
            assertThat(s.map(Path::toString).sorted().toList()).as("no blob kept").isEqualTo(blobsBefore);
        }
        try (Stream<Path> s = Files.list(sentinel)) {
            assertThat(s.toList()).as("nothing written to the sentinel directory").isEmpty();
        }
        try (Stream<Path> s = Files.list(base.resolve("store/layers"))) {
            assertThat(s.toList()).as("no partial layer directory").isEmpty();
        }
        try (Stream<Path> s = Files.walk(base)) {
            assertThat(s.map(p -> p.getFileName().toString()).toList()).as("no escaped file anywhere")
                    .doesNotContain("evil", "x", "outside-link");
        }
        return refusal.getMessage();
    }

    @Test
    void dotDotIsRefused() throws IOException {
        assertRefused(new TestArchives.Tar().file("ok.txt", "fine").file("../evil", "pwned").build(), "../evil");
    }

    @Test
    void absolutePathWithDotDotIsRefused() throws IOException {
        // the tar reader already drops the leading "/", so the message names "abs/../../evil"
        assertRefused(new TestArchives.Tar().file("/abs/../../evil", "pwned").build(), "abs/../../evil");
    }

    @Test
    void writingThroughAnAbsoluteSymlinkIsRefused() throws IOException {
        assertRefused(new TestArchives.Tar().symlink("link", sentinel.toString()).file("link/evil", "pwned").build(), "link/evil");
    }

    @Test
    void writingThroughARelativeSymlinkIsRefused() throws IOException {
        assertRefused(new TestArchives.Tar().symlink("link", "../..").file("link/x", "pwned").build(), "link/x");
    }

    @Test
    void writingThroughASymlinkDeeperInThePathIsRefused() throws IOException {
        assertRefused(new TestArchives.Tar().dir("a").symlink("a/b", sentinel.toString()).file("a/b/c/evil", "pwned").build(),
                "a/b/c/evil");
    }

    @Test
    void hardLinkOutsideIsRefused() throws IOException {
        Path outside = Files.writeString(base.resolve("outside"), "host secret");
        assertRefused(new TestArchives.Tar().hardlink("outside-link", "../../outside").build(), "outside-link");
        assertThat(Files.readString(outside)).isEqualTo("host secret");
        assertThat((Integer) Files.getAttribute(outside, "unix:nlink")).isEqualTo(1);
    }

    @Test
    void hardLinkThroughASymlinkIsRefused() throws IOException {
        Path hostEtc = Files.createDirectory(base.resolve("host-etc"));
        Path secret = Files.writeString(hostEtc.resolve("secret"), "host secret");
        byte[] layer = new TestArchives.Tar().symlink("etc", hostEtc.toString()).hardlink("outside-link", "etc/secret").build();
        assertThat(assertRefused(layer, "outside-link")).contains("symlink etc");
        assertThat((Integer) Files.getAttribute(secret, "unix:nlink")).isEqualTo(1);
    }

    @Test
    void aHardLinkToAnAbsolutePathMissingFromTheLayerNamesItsTarget() throws IOException {
        // docker save layers name hard link targets from the layer's root: /etc/shadow means etc/shadow in it
        byte[] layer = new TestArchives.Tar().file("ok.txt", "fine").hardlink("passwd", "/etc/shadow").build();
        assertThat(assertRefused(layer, "passwd")).isEqualTo("invalid image archive: refusing layer entry \"passwd\": "
                + "hard link target /etc/shadow is outside the layer or missing"
                + " (a hard link must name a file an earlier entry of the same layer created)");
    }

    @Test
    void aRefusedLayerRollsBackTheWholeLoadButKeepsWhatWasThere() throws IOException {
        byte[] good = new TestArchives.Tar().file("hello.txt", "hello\n").build();
        store.load(new ByteArrayInputStream(TestArchives.dockerSave(List.of("good/one:1"), List.of(good), "sh")));
        Image kept = store.resolve("good/one:1");
        Path keptLayer = store.layerDirs(kept).get(0);
        byte[] evil = new TestArchives.Tar().file("../evil", "pwned").build();
        // the same layer again plus an evil one on top: the shared layer stays, nothing else does
        byte[] archive = TestArchives.dockerSave(List.of("good/one:1"), List.of(good, evil), "sh");
        assertThatThrownBy(() -> store.load(new ByteArrayInputStream(archive))).isInstanceOf(InvalidParameterException.class)
                .hasMessageContaining("\"../evil\"");
        assertThat(store.list()).extracting(Image::id).containsExactly(kept.id());
        assertThat(store.resolve("good/one:1").id()).as("the tag did not move").isEqualTo(kept.id());
        assertThat(keptLayer.resolve("hello.txt")).hasContent("hello");
        try (Stream<Path> s = Files.list(base.resolve("store/layers"))) {
            assertThat(s.toList()).containsExactly(keptLayer);
        }
        try (Stream<Path> s = Files.list(base.resolve("store/blobs/sha256"))) {
            assertThat(s.count()).as("config, manifest and one layer of the kept image").isEqualTo(3);
        }
    }

    @Test
    void symlinksMayPointAnywhereButAreNeverFollowed() throws IOException {
        Path target = Files.createDirectory(base.resolve("layer"));
        byte[] layer = new TestArchives.Tar()
                .dir("etc")
                .file("etc/passwd", "root:x:0:0::/root:/bin/sh\n")
                .symlink("etc/mtab", "/proc/self/mounts")
                .symlink("escape", "../../../..")
                .hardlink("etc/passwd-", "etc/passwd")
                .file("bin/su", "#!/bin/sh\n", 04755)
                .dir("tmp")
                .file("escape", "replaces the symlink, does not follow it")
                .build();
        // tmp with the sticky bit
        new LayerUnpacker(target).unpack(new ByteArrayInputStream(layer));

        assertThat(Files.readSymbolicLink(target.resolve("etc/mtab")).toString()).isEqualTo("/proc/self/mounts");
        assertThat(Files.isRegularFile(target.resolve("escape"), LinkOption.NOFOLLOW_LINKS)).isTrue();
        assertThat(Files.readString(target.resolve("escape"))).startsWith("replaces");
        assertThat(Files.isSameFile(target.resolve("etc/passwd-"), target.resolve("etc/passwd"))).isTrue();
        assertThat((Integer) Files.getAttribute(target.resolve("bin/su"), "unix:mode") & 07777).isEqualTo(04755);
        assertThat(Files.getLastModifiedTime(target.resolve("etc/passwd")).toMillis()).isEqualTo(1_000_000_000_000L);
        assertThat(Files.getLastModifiedTime(target.resolve("etc")).toMillis()).isEqualTo(1_000_000_000_000L);
        try (Stream<Path> s = Files.list(sentinel)) {
            assertThat(s.toList()).isEmpty();
        }
    }

    @Test
    void lexicalDotDotInsideTheLayerIsFine() throws IOException {
        Path target = Files.createDirectory(base.resolve("layer"));
        new LayerUnpacker(target).unpack(new ByteArrayInputStream(
                new TestArchives.Tar().file("./a/b/../c.txt", "c").file("/abs.txt", "made relative").build()));
        assertThat(Files.readString(target.resolve("a/c.txt"))).isEqualTo("c");
        assertThat(Files.readString(target.resolve("abs.txt"))).isEqualTo("made relative");
    }

    @Test
    void notATarIsRefused() throws IOException {
        Path target = Files.createDirectory(base.resolve("layer"));
        byte[] junk = new byte[1024];
        java.util.Arrays.fill(junk, (byte) 'A');
        assertThatThrownBy(() -> new LayerUnpacker(target).unpack(new ByteArrayInputStream(junk)))
                .isInstanceOf(InvalidParameterException.class).hasMessageContaining("tar");
    }
}
