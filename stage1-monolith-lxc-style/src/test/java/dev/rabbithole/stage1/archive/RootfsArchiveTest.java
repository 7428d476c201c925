package dev.rabbithole.stage1.archive;

import dev.rabbithole.stage1.errdefs.NotFoundException;
import dev.rabbithole.stage1.errdefs.SystemException;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@link RootfsArchive} on a plain directory standing in for a container's rootfs, with a "host" directory beside
 * it that must never be read or written. Needs Linux 5.6+ (openat2); ownership cases need root.
 */
class RootfsArchiveTest {

    @TempDir
    Path tmp;
    Path rootfs;
    Path host;
    Path marker;

    @BeforeEach
    void layout() throws IOException {
        rootfs = Files.createDirectories(tmp.resolve("rootfs"));
        host = Files.createDirectories(tmp.resolve("host"));
        marker = Files.writeString(host.resolve("marker"), "host secret");
        Files.setLastModifiedTime(marker, FileTime.fromMillis(1_000_000_000L));
        Files.createDirectories(rootfs.resolve("etc"));
        Files.writeString(rootfs.resolve("etc/shadow"), "container shadow");
        Files.createDirectories(rootfs.resolve("d/sub"));
        Files.writeString(rootfs.resolve("d/a"), "hi\n");
        Files.writeString(rootfs.resolve("d/sub/b"), "x\n");
        Files.createSymbolicLink(rootfs.resolve("target"), Path.of("/"));
        Files.createSymbolicLink(rootfs.resolve("up"), Path.of("../../../../../../.."));
        // a symlink whose target, read on the host, is the host directory
        Files.createSymbolicLink(rootfs.resolve("hostlink"), host.toAbsolutePath());
    }

    private Map<String, String> tar(String path) throws IOException {
        try (RootfsArchive a = new RootfsArchive(rootfs, "ctr"); RootfsArchive.Source s = a.source(path)) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            s.writeTo(out);
            return entries(out.toByteArray());
        }
    }

    private static Map<String, String> entries(byte[] tar) throws IOException {
        Map<String, String> m = new LinkedHashMap<>();
        try (TarArchiveInputStream in = new TarArchiveInputStream(new ByteArrayInputStream(tar))) {
            TarArchiveEntry e;
            while ((e = in.getNextEntry()) != null) {
                m.put(e.getName(), e.isSymbolicLink() ? "-> " + e.getLinkName()
                        : e.isDirectory() ? "dir" : new String(in.readAllBytes(), StandardCharsets.UTF_8));
            }
        }
        return m;
    }

    private static byte[] tarOf(Object... nameAndContent) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (TarArchiveOutputStream t = new TarArchiveOutputStream(out)) {
            for (int i = 0; i < nameAndContent.length; i += 2) {
                String name = (String) nameAndContent[i];
                String content = (String) nameAndContent[i + 1];
                TarArchiveEntry e;
                if (content.startsWith("->")) {
                    e = new TarArchiveEntry(name, org.apache.commons.compress.archivers.tar.TarConstants.LF_SYMLINK);
                    e.setLinkName(content.substring(2));
                    t.putArchiveEntry(e);
                } else if (name.endsWith("/")) {
                    e = new TarArchiveEntry(name);
                    e.setMode(040750);
                    t.putArchiveEntry(e);
                } else {
                    e = new TarArchiveEntry(name);
                    byte[] b = content.getBytes(StandardCharsets.UTF_8);
                    e.setSize(b.length);
                    e.setMode(0100640);
                    t.putArchiveEntry(e);
                    t.write(b);
                }
                t.closeArchiveEntry();
            }
        }
        return out.toByteArray();
    }

    private void extract(String path, byte[] tar) {
        try (RootfsArchive a = new RootfsArchive(rootfs, "ctr")) {
            a.extract(path, new ByteArrayInputStream(tar), new RootfsArchive.ExtractOptions(true, null, null));
        }
    }

    private void hostUntouched() throws IOException {
        assertThat(Files.readString(marker)).isEqualTo("host secret");
        assertThat(Files.getLastModifiedTime(marker).toMillis()).isEqualTo(1_000_000_000L);
        try (var s = Files.list(host)) {
            assertThat(s.map(p -> p.getFileName().toString())).containsExactly("marker");
        }
    }

    @Test
    void statsLikeDockerd() {
        try (RootfsArchive a = new RootfsArchive(rootfs, "ctr")) {
            PathStat t = a.stat("/target");
            assertThat(t.name()).isEqualTo("target");
            assertThat(t.mode()).isEqualTo(134218239L);               // ModeSymlink|0777, as dockerd reports it
            assertThat(t.linkTarget()).isEqualTo("/");
            assertThat(a.stat("/up").linkTarget()).isEqualTo("/");     // ../.. stops at the container's root
            assertThat(a.stat("/hostlink").linkTarget()).isEqualTo(host.toAbsolutePath().toString()); // dangling inside
            PathStat d = a.stat("/d/.");
            assertThat(d.name()).isEqualTo(".");
            assertThat(d.isDir()).isTrue();
            assertThat(a.stat("/").name()).isEqualTo("/");
            assertThat(a.stat("/d/a").size()).isEqualTo(3);
            assertThatThrownBy(() -> a.stat("/nonexist")).isInstanceOf(NotFoundException.class)
                    .hasMessage("Could not find the file /nonexist in container ctr");
            assertThatThrownBy(() -> a.stat("/d/a/")).isInstanceOf(SystemException.class)
                    .hasMessage("lstat /d/a/: not a directory");
            assertThatThrownBy(() -> a.stat("/hostlink/marker")).isInstanceOf(NotFoundException.class);
        }
    }

    @Test
    void tarsWithDockersEntryNames() throws IOException {
        assertThat(tar("/d")).containsExactly(Map.entry("d/", "dir"), Map.entry("d/a", "hi\n"),
                Map.entry("d/sub/", "dir"), Map.entry("d/sub/b", "x\n"));
        assertThat(tar("/d/.").keySet()).containsExactly("./", "./a", "./sub/", "./sub/b");
        assertThat(tar("/target")).containsExactly(Map.entry("target", "-> /"));
        assertThat(tar("/target/").keySet()).startsWith("target/");
        assertThat(tar("/").keySet()).contains("/", "/d/", "/d/a");
    }

    @Test
    void symlinksToTheRootOrUpwardsStayInTheRootfs() throws IOException {
        assertThat(tar("/target/etc/shadow")).containsExactly(Map.entry("shadow", "container shadow"));
        assertThat(tar("/up/etc/shadow")).containsExactly(Map.entry("shadow", "container shadow"));
        assertThatThrownBy(() -> tar("/hostlink/marker")).isInstanceOf(NotFoundException.class);

        extract("/target/etc", tarOf("written", "by cp"));
        assertThat(Files.readString(rootfs.resolve("etc/written"))).isEqualTo("by cp");
        extract("/up", tarOf("top", "at the container's /"));
        assertThat(rootfs.resolve("top")).hasContent("at the container's /");
        // a directory the host would reach through the symlink: inside, it does not exist
        assertThatThrownBy(() -> extract("/hostlink", tarOf("evil", "x"))).isInstanceOf(NotFoundException.class);
        // an entry whose parent is a symlink to the host directory: followed in the root, where it dangles (dockerd
        // fails the same way: its chroot follows the link and finds nothing)
        assertThatThrownBy(() -> extract("/", tarOf("hostlink/evil", "x"))).isInstanceOf(SystemException.class);
        Files.createDirectories(rootfs.resolve(host.toAbsolutePath().toString().substring(1)));
        extract("/", tarOf("hostlink/evil", "x"));
        assertThat(rootfs.resolve(host.toAbsolutePath().toString().substring(1)).resolve("evil")).hasContent("x");
        hostUntouched();
    }

    @Test
    void extractRefusesEscapingEntriesLikeDockerd() throws IOException {
        assertThatThrownBy(() -> extract("/d", tarOf("../../escape", "x"))).isInstanceOf(SystemException.class)
                .hasMessage("Error processing tar file: \"../../escape\" is outside of \"/d\"");
        assertThatThrownBy(() -> extract("/d", tarOf("s2", "->../../../../etc"))).isInstanceOf(SystemException.class)
                .hasMessage("Error processing tar file: invalid symlink \"/d/s2\" -> \"../../../../etc\"");
        extract("/d", tarOf("s1", "->/etc", "s3", "->sub/b"));
        assertThat(Files.readSymbolicLink(rootfs.resolve("d/s1"))).isEqualTo(Path.of("/etc"));
        assertThatThrownBy(() -> extract("/", tarOf("d", "file"))).isInstanceOf(SystemException.class)
                .hasMessage("Error processing tar file: cannot overwrite directory \"/d\" with non-directory \"/\"");
        assertThatThrownBy(() -> extract("/d/a", tarOf("x", "y"))).hasMessage("extraction point is not a directory");
        assertThatThrownBy(() -> extract("/nope", tarOf("x", "y"))).isInstanceOf(NotFoundException.class)
                .hasMessage("Could not find the file /nope in container ctr");
        hostUntouched();
    }

    @Test
    void extractKeepsModesTimesAndCreatesParents() throws IOException {
        extract("/d", tarOf("new/", "", "new/deep/f", "content"));
        Path f = rootfs.resolve("d/new/deep/f");
        assertThat(f).hasContent("content");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(f, LinkOption.NOFOLLOW_LINKS))).isEqualTo("rw-r-----");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(rootfs.resolve("d/new")))).isEqualTo("rwxr-x---");
        // the file is replaced, not written through
        Files.delete(f);
        Files.createSymbolicLink(f, marker.toAbsolutePath());
        extract("/d", tarOf("new/deep/f", "again"));
        assertThat(Files.isSymbolicLink(f)).isFalse();
        assertThat(f).hasContent("again");
        hostUntouched();
    }

    @Test
    void aSymlinkSwappedInDuringTheCopyNeverReachesTheHost() throws Exception {
        assumeTrue(Files.isDirectory(Path.of("/proc/self/fd")), "needs /proc");
        // inside the rootfs, the path the host would reach through "victim -> /": ROOTFS/<host dir>/marker
        Path decoy = rootfs.resolve(host.toAbsolutePath().toString().substring(1));
        Files.createDirectories(decoy);
        Files.writeString(decoy.resolve("marker"), "container decoy");
        Path victim = rootfs.resolve("victim");
        Path victimDir = rootfs.resolve("victim.dir");
        Path victimLink = rootfs.resolve("victim.link");
        Files.createDirectories(victim.resolve(host.toAbsolutePath().toString().substring(1)));
        Files.writeString(victim.resolve(host.toAbsolutePath().toString().substring(1)).resolve("marker"), "container dir");
        Files.createSymbolicLink(victimLink, Path.of("/"));
        AtomicBoolean stop = new AtomicBoolean();
        Thread swapper = new Thread(() -> {
            try {
                while (!stop.get()) {
                    Files.move(victim, victimDir, StandardCopyOption.ATOMIC_MOVE);
                    Files.move(victimLink, victim, StandardCopyOption.ATOMIC_MOVE);
                    Files.move(victim, victimLink, StandardCopyOption.ATOMIC_MOVE);
                    Files.move(victimDir, victim, StandardCopyOption.ATOMIC_MOVE);
                }
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        swapper.start();
        String inner = "/victim" + host.toAbsolutePath();
        List<String> seen = new ArrayList<>();
        try {
            for (int i = 0; i < 300; i++) {
                try {
                    Map<String, String> t = tar(inner + "/marker");
                    seen.add(t.get("marker"));
                } catch (NotFoundException e) {
                    seen.add("not found");
                }
                try {
                    extract(inner, tarOf("written-" + i, "by cp"));
                } catch (NotFoundException | SystemException e) {
                    // the directory vanished between two renames: a refused copy is fine, a host write is not
                }
            }
        } finally {
            stop.set(true);
            swapper.join();
        }
        assertThat(seen).doesNotContain("host secret").contains("container dir");
        hostUntouched();
    }
}
