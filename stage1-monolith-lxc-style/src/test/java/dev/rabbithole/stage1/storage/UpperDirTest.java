package dev.rabbithole.stage1.storage;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link UpperDir} on an upperdir made by hand the way overlayfs leaves it: a 0:0 character device for a deleted
 * file, {@code trusted.overlay.opaque=y} on a replaced directory, the runtime's empty mount points. Needs root
 * (mknod, trusted xattrs) and setfattr/getfattr.
 */
class UpperDirTest {

    @TempDir
    Path dir;
    Path lower;
    Path upper;

    @BeforeEach
    void layers() throws Exception {
        Assumptions.assumeTrue(HostCommands.isRoot(), "needs root: whiteouts are device nodes, opaque marks trusted xattrs");
        Assumptions.assumeTrue(HostCommands.which("setfattr").isPresent() && HostCommands.which("getfattr").isPresent(),
                "setfattr/getfattr missing: apt-get install attr");
        lower = Files.createDirectories(dir.resolve("lower"));
        upper = Files.createDirectories(dir.resolve("upper"));
        Files.createDirectories(lower.resolve("etc"));
        Files.writeString(lower.resolve("etc/group"), "root:x:0:\n");
        Files.createDirectories(lower.resolve("usr/bin"));
        Files.writeString(lower.resolve("usr/bin/old"), "old");
        Files.createDirectories(lower.resolve("tmp"));
    }

    private void mountPoints() throws Exception {
        Files.createDirectories(upper.resolve("etc"));
        for (String f : List.of("hostname", "hosts", "resolv.conf")) {
            Files.createFile(upper.resolve("etc").resolve(f));
        }
        Files.setLastModifiedTime(upper.resolve("etc"), FileTime.fromMillis(1_000_000));   // copied up, then changed
    }

    @Test
    void onlyTheRuntimesMountPointsIsNoChangeAndAnEmptyLayer() throws Exception {
        mountPoints();
        assertThat(UpperDir.changes(upper, List.of(lower))).isEmpty();
        assertThat(entries()).isEmpty();
    }

    @Test
    void whiteoutsOpaqueDirectoriesAndHardLinksInSpecForm() throws Exception {
        mountPoints();
        run("mknod", upper.resolve("etc/group").toString(), "c", "0", "0");
        Files.writeString(upper.resolve("hello"), "hi\n");
        Files.createLink(upper.resolve("hl"), upper.resolve("hello"));
        Files.createDirectories(upper.resolve("usr/new"));
        Files.writeString(upper.resolve("usr/new/f"), "x");
        run("setfattr", "-n", "trusted.overlay.opaque", "-v", "y", upper.resolve("usr").toString());

        assertThat(UpperDir.changes(upper, List.of(lower)).stream().map(Object::toString)).containsExactly(
                "C /etc", "D /etc/group", "A /hello", "A /hl", "D /usr", "A /usr/new", "A /usr/new/f");

        Map<String, TarArchiveEntry> e = entries();
        assertThat(e.keySet()).containsExactly("etc/", "etc/.wh.group", "hello", "hl", "usr/", "usr/.wh..wh..opq",
                "usr/new/", "usr/new/f");
        assertThat(e.get("etc/.wh.group").isFile()).isTrue();
        assertThat(e.get("etc/.wh.group").getSize()).isZero();
        assertThat(e.get("hl").isLink()).isTrue();
        assertThat(e.get("hl").getLinkName()).isEqualTo("hello");
        assertThat(e.get("hello").getSize()).isEqualTo(3);
    }

    private Map<String, TarArchiveEntry> entries() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        UpperDir.writeLayer(upper, out);
        assertThat(out.size() % 512).isZero();
        Map<String, TarArchiveEntry> m = new LinkedHashMap<>();
        try (TarArchiveInputStream in = new TarArchiveInputStream(new ByteArrayInputStream(out.toByteArray()))) {
            for (TarArchiveEntry en = in.getNextEntry(); en != null; en = in.getNextEntry()) m.put(en.getName(), en);
        }
        return m;
    }

    private static void run(String... argv) {
        HostCommands.Result r = HostCommands.run(argv);
        assertThat(r.ok()).as(String.join(" ", argv) + ": " + r.stderr()).isTrue();
    }
}
