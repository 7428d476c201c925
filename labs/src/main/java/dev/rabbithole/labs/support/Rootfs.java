package dev.rabbithole.labs.support;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * A busybox root filesystem assembled from the host's static busybox (Debian's busybox-static),
 * so the labs need no image and no network.
 */
public final class Rootfs {
    private Rootfs() {}

    /** The host's busybox; it must be statically linked. */
    public static final Path BUSYBOX = Path.of("/bin/busybox");

    /**
     * Fills {@code dir} with /bin/busybox, a symbolic link per applet, the usual empty directories,
     * /etc/passwd, /etc/group and the device nodes null, zero, random, urandom (mknod).
     *
     * @param dir an empty or missing directory
     * @return {@code dir}
     * @throws IOException when busybox is missing or a file cannot be written
     * @throws InterruptedException when interrupted while running busybox or mknod
     */
    public static Path busybox(Path dir) throws IOException, InterruptedException {
        if (!Files.isExecutable(BUSYBOX)) throw new IOException(BUSYBOX + " is missing: apt-get install busybox-static");
        for (String d : new String[]{"bin", "sbin", "usr/bin", "usr/sbin", "etc", "proc", "sys", "dev", "tmp",
                "root", "mnt", "var", "run"}) {
            Files.createDirectories(dir.resolve(d));
        }
        Files.copy(BUSYBOX, dir.resolve("bin/busybox"), StandardCopyOption.REPLACE_EXISTING);
        for (String applet : Host.run(BUSYBOX.toString(), "--list").split("\n")) {
            applet = applet.trim();
            if (applet.isEmpty() || applet.equals("busybox")) continue;
            Path link = dir.resolve("bin").resolve(applet);
            if (!Files.exists(link, java.nio.file.LinkOption.NOFOLLOW_LINKS)) Files.createSymbolicLink(link, Path.of("busybox"));
        }
        Files.writeString(dir.resolve("etc/passwd"), "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n");
        Files.writeString(dir.resolve("etc/group"), "root:x:0:\nnogroup:x:65534:\n");
        Files.writeString(dir.resolve("etc/hostname"), "rootfs\n");
        int[][] nodes = {{1, 3}, {1, 5}, {1, 8}, {1, 9}};
        String[] names = {"null", "zero", "random", "urandom"};
        for (int i = 0; i < names.length; i++) {
            Path node = dir.resolve("dev").resolve(names[i]);
            if (!Files.exists(node)) {
                Host.run("mknod", "-m", "666", node.toString(), "c", Integer.toString(nodes[i][0]), Integer.toString(nodes[i][1]));
            }
        }
        return dir;
    }
}
