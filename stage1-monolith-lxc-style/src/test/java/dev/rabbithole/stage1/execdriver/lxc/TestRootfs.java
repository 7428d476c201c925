package dev.rabbithole.stage1.execdriver.lxc;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** A throwaway busybox rootfs: the host's static busybox, its applets as symlinks, passwd and group. */
final class TestRootfs {
    private TestRootfs() { }

    static final List<String> APPLETS = List.of("sh", "cat", "hostname", "grep", "unshare", "sleep", "true",
            "ls", "echo", "id", "ps", "kill", "wc", "pwd");

    /** The static busybox of the host, if there is one (Debian's busybox-static installs /bin/busybox). */
    static Path hostBusybox() {
        for (String p : List.of("/bin/busybox", "/usr/bin/busybox")) {
            if (Files.isExecutable(Path.of(p))) {
                return Path.of(p);
            }
        }
        return null;
    }

    static Path create(Path dir) throws IOException {
        Path bin = Files.createDirectories(dir.resolve("bin"));
        for (String d : List.of("etc", "proc", "sys", "dev", "tmp", "home/app")) {
            Files.createDirectories(dir.resolve(d));
        }
        Path busybox = hostBusybox();
        if (busybox != null) {
            Files.copy(busybox, bin.resolve("busybox"));
            for (String applet : APPLETS) {
                Files.createSymbolicLink(bin.resolve(applet), Path.of("busybox"));
            }
        }
        Files.writeString(dir.resolve("etc/passwd"), """
                root:x:0:0:root:/root:/bin/sh
                app:x:1000:1001:app:/home/app:/bin/sh
                nobody:x:65534:65534:nobody:/nonexistent:/bin/sh
                """);
        Files.writeString(dir.resolve("etc/group"), """
                root:x:0:
                staff:x:50:
                appgrp:x:1001:
                nogroup:x:65534:
                """);
        return dir;
    }
}
