package dev.rabbithole.stage1.image;

import dev.rabbithole.stage1.errdefs.SystemException;
import dev.rabbithole.stage1.storage.HostCommands;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipParameters;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The embedded default image {@code busybox:latest}, assembled from the host's static busybox
 * (Debian's {@code busybox-static}) so the engine runs without a registry. One layer: {@code /bin/busybox},
 * a symlink per applet ({@code busybox --list-full}), {@code /etc/passwd}, {@code /etc/group} and the
 * usual empty directories. Reproducible: entries are sorted and every time stamp is the busybox binary's
 * mtime, so one host always builds the same image ID. Public so that tests can give another engine
 * (Docker itself, through {@code docker import}) the very same layer.
 */
public final class BusyboxImage {
    /** The image's environment: Docker's default {@code PATH}. */
    public static final List<String> ENV = List.of("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");

    /**
     * The built image.
     *
     * @param layer  tar+gzip bytes of the single layer
     * @param diffId {@code sha256:} of the uncompressed layer tar
     * @param config the config blob (JSON bytes)
     */
    public record Built(byte[] layer, String diffId, byte[] config) { }

    private record Node(byte type, int mode, byte[] content, String link) { }

    private BusyboxImage() { }

    /** @throws SystemException busybox is missing, dynamically linked, or cannot be read */
    public static Built build() {
        Path busybox = locate();
        try {
            byte[] binary = Files.readAllBytes(busybox);
            if (isDynamicElf(binary)) {
                throw new SystemException(busybox + " is dynamically linked and would not run in a container: "
                        + "apt-get install busybox-static");
            }
            long mtime = Files.getLastModifiedTime(busybox).toMillis() / 1000;
            HostCommands.Result list = HostCommands.run(busybox.toString(), "--list-full");
            if (!list.ok()) throw new SystemException(busybox + " --list-full failed: " + list.stderr());

            TreeMap<String, Node> tree = new TreeMap<>();
            for (String dir : List.of("bin", "dev", "etc", "home", "proc", "sys", "usr", "var")) dir(tree, dir, 0755);
            dir(tree, "root", 0700);
            dir(tree, "tmp", 01777);
            tree.put("bin/busybox", new Node(TarConstants.LF_NORMAL, 0755, binary, null));
            tree.put("etc/passwd", new Node(TarConstants.LF_NORMAL, 0644, (
                    "root:x:0:0:root:/root:/bin/sh\n"
                    + "nobody:x:65534:65534:nobody:/home:/bin/false\n").getBytes(StandardCharsets.UTF_8), null));
            tree.put("etc/group", new Node(TarConstants.LF_NORMAL, 0644, (
                    "root:x:0:\n"
                    + "nogroup:x:65534:\n").getBytes(StandardCharsets.UTF_8), null));
            for (String line : list.stdout().split("\n")) {
                String applet = line.trim();
                while (applet.startsWith("/")) applet = applet.substring(1);
                if (applet.isEmpty() || applet.contains("..") || tree.containsKey(applet)) continue;
                String parent = applet.contains("/") ? applet.substring(0, applet.lastIndexOf('/')) : "";
                String p = "";
                for (String c : parent.split("/")) {
                    if (c.isEmpty()) continue;
                    p = p.isEmpty() ? c : p + "/" + c;
                    tree.putIfAbsent(p, new Node(TarConstants.LF_DIR, 0755, null, null));
                }
                tree.put(applet, new Node(TarConstants.LF_SYMLINK, 0777, null, "/bin/busybox"));
            }

            ByteArrayOutputStream tarBytes = new ByteArrayOutputStream();
            try (TarArchiveOutputStream tar = new TarArchiveOutputStream(tarBytes)) {
                tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
                tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
                for (Map.Entry<String, Node> en : tree.entrySet()) {
                    Node n = en.getValue();
                    String name = n.type() == TarConstants.LF_DIR ? en.getKey() + "/" : en.getKey();
                    TarArchiveEntry e = new TarArchiveEntry(name, n.type());
                    e.setMode(n.mode());
                    e.setIds(0, 0);
                    e.setNames("root", "root");
                    e.setModTime(mtime * 1000);
                    if (n.type() == TarConstants.LF_SYMLINK) e.setLinkName(n.link());
                    if (n.content() != null) e.setSize(n.content().length);
                    tar.putArchiveEntry(e);
                    if (n.content() != null) tar.write(n.content());
                    tar.closeArchiveEntry();
                }
            }
            byte[] layerTar = tarBytes.toByteArray();
            String diffId = Digests.of(layerTar);

            GzipParameters gz = new GzipParameters();
            gz.setModificationTime(0);
            ByteArrayOutputStream gzBytes = new ByteArrayOutputStream();
            try (GzipCompressorOutputStream out = new GzipCompressorOutputStream(gzBytes, gz)) {
                out.write(layerTar);
            }

            String created = Instant.ofEpochSecond(mtime).toString();
            ImageConfig config = new ImageConfig(hostArchitecture(), "linux", created,
                    new ImageConfig.Defaults(null, ENV, null, List.of("sh"), null, null),
                    new ImageConfig.RootFs("layers", List.of(diffId)),
                    // as dockerd's `docker import` writes it: one entry, no created_by
                    List.of(new ImageConfig.History(created, null, null, "Imported from -", null)));
            return new Built(gzBytes.toByteArray(), diffId, Oci.JSON.writeValueAsBytes(config));
        } catch (IOException e) {
            throw new SystemException("cannot build the busybox image from " + busybox + ": " + e.getMessage(), e);
        }
    }

    /** {@code busybox} on PATH, else {@code /bin/busybox}. */
    static Path locate() {
        return HostCommands.which("busybox").or(() -> {
            Path p = Paths.get("/bin/busybox");
            return Files.isExecutable(p) ? java.util.Optional.of(p) : java.util.Optional.empty();
        }).orElseThrow(() -> new SystemException("busybox-static is not installed: apt-get install busybox-static"));
    }

    /** The JVM's {@code os.arch} in Go's GOARCH names, as image configs spell it. */
    static String hostArchitecture() {
        String arch = System.getProperty("os.arch");
        switch (arch) {
            case "amd64": case "x86_64": return "amd64";
            case "aarch64": case "arm64": return "arm64";
            default: return arch;
        }
    }

    /** True for a 64-bit little-endian ELF with a PT_INTERP program header (it needs a dynamic loader). */
    static boolean isDynamicElf(byte[] b) {
        if (b.length < 64 || b[0] != 0x7f || b[1] != 'E' || b[2] != 'L' || b[3] != 'F' || b[4] != 2 || b[5] != 1) {
            return false;
        }
        ByteBuffer buf = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        long phoff = buf.getLong(0x20);
        int phentsize = Short.toUnsignedInt(buf.getShort(0x36));
        int phnum = Short.toUnsignedInt(buf.getShort(0x38));
        for (int i = 0; i < phnum; i++) {
            long off = phoff + (long) i * phentsize;
            if (off + 4 > b.length) return false;
            if (buf.getInt((int) off) == 3) return true;    // PT_INTERP
        }
        return false;
    }

    private static void dir(TreeMap<String, Node> tree, String path, int mode) {
        tree.put(path, new Node(TarConstants.LF_DIR, mode, null, null));
    }
}
