package dev.rabbithole.stage1.execdriver.lxc;

import dev.rabbithole.stage1.execdriver.Command;
import dev.rabbithole.stage1.execdriver.Mount;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** A mount's target goes through the image's symlinks inside the rootfs, never out of it. */
class LxcMountsTest {

    @TempDir
    Path dir;

    @Test
    void aTargetBehindAnImageSymlinkStaysInTheRootfs() throws Exception {
        Path rootfs = Files.createDirectories(dir.resolve("rootfs"));
        Path outside = Files.createDirectories(dir.resolve("outside"));
        Files.createSymbolicLink(rootfs.resolve("escape"), outside);          // an absolute link to a host path
        Files.createSymbolicLink(rootfs.resolve("up"), Path.of("../../.."));
        Command c = new Command("id", rootfs, dir, List.of("true"), List.of(), "/", "", "h", null, Set.of(), false,
                null).withMounts(List.of(new Mount("bind", "/srv/a b", "/escape/x", List.of("rbind", "ro")),
                new Mount("tmpfs", "tmpfs", "/up/t", List.of("nosuid", "size=1m"))), true);
        LxcMounts.createMountPoints(c);
        assertThat(LxcMounts.entries(c)).containsExactly(
                "/srv/a\\040b " + rootfs.relativize(rootfs.resolve(outside.toString().substring(1)).resolve("x"))
                        + " none rbind,ro,create=dir 0 0",
                "tmpfs t tmpfs nosuid,size=1m,create=dir 0 0");
        try (var files = Files.list(outside)) {
            assertThat(files).isEmpty();
        }
        assertThat(rootfs.resolve(outside.toString().substring(1)).resolve("x")).isDirectory();
        assertThat(rootfs.resolve("etc/hostname")).isRegularFile();       // --read-only: made beforehand
        String config = LxcConfig.generate(c, dev.rabbithole.stage1.cgroups.CgroupVersion.V2, null, dir.resolve("log"));
        assertThat(config).contains("lxc.rootfs.options = ro")
                .contains(" etc/hostname none bind,create=file 0 0").contains("lxc.mount.entry = tmpfs t tmpfs nosuid,size=1m,create=dir 0 0");
    }

    @Test
    void theEtcFilesOfAnImageWhoseEtcIsAHostLinkStayInTheRootfs() throws Exception {
        Path rootfs = Files.createDirectories(dir.resolve("rootfs"));
        Path outside = Files.createDirectories(dir.resolve("outside"));
        Files.createSymbolicLink(rootfs.resolve("etc"), outside);
        Command c = new Command("id", rootfs, dir, List.of("true"), List.of(), "/", "", "h", null, Set.of(), false,
                null);
        String config = LxcConfig.generate(c, dev.rabbithole.stage1.cgroups.CgroupVersion.V2, null, dir.resolve("log"));
        String inside = rootfs.relativize(rootfs.resolve(outside.toString().substring(1))).toString();
        assertThat(config).contains(" " + inside + "/hostname none bind,create=file 0 0")
                .doesNotContain(" etc/hostname ");
    }
}
