package dev.rabbithole.testsupport;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * A one-layer image, {@value #NAME}, in docker save's archive format, for {@code docker load}: the host's static
 * busybox with a few applets, and an {@code /etc/passwd} and {@code /etc/group} in which root and alice belong to
 * groups besides their own (wheel, staff), as many distribution images have them.
 */
public final class GroupsImage {
    private GroupsImage() { }

    /** The image's name. */
    public static final String NAME = "groups:latest";

    public static final String PASSWD = "root:x:0:0:root:/root:/bin/sh\n"
            + "alice:x:1000:1000:alice:/home/alice:/bin/sh\n"
            + "nobody:x:65534:65534:nobody:/home:/bin/false\n";
    public static final String GROUP = "root:x:0:\n"
            + "wheel:x:10:root,alice\n"
            + "staff:x:50:alice\n"
            + "alice:x:1000:\n"
            + "nogroup:x:65534:\n";

    /**
     * Writes the archive.
     *
     * @param file where to write it
     * @param arch the image's architecture ({@code amd64}, {@code arm64})
     */
    public static void write(Path file, String arch) throws IOException {
        write(file, arch, NAME, null);
    }

    /**
     * Writes the archive of a variant.
     *
     * @param file      where to write it
     * @param arch      the image's architecture ({@code amd64}, {@code arm64})
     * @param name      the image's name ({@code name:tag})
     * @param devTarget null for a {@code /dev} directory; else {@code /dev} is a symlink to this path (an image
     *                  a runtime must not follow onto the host)
     */
    public static void write(Path file, String arch, String name, String devTarget) throws IOException {
        ByteArrayOutputStream layerBytes = new ByteArrayOutputStream();
        try (TarArchiveOutputStream t = new TarArchiveOutputStream(layerBytes)) {
            for (String d : new String[] {"bin/", "etc/", "tmp/", "root/", "home/", "proc/", "sys/", "dev/"}) {
                if (d.equals("dev/") && devTarget != null) {
                    TarArchiveEntry link = new TarArchiveEntry("dev", TarConstants.LF_SYMLINK);
                    link.setLinkName(devTarget);
                    entry(t, link, 0777, null);
                    continue;
                }
                entry(t, new TarArchiveEntry(d, TarConstants.LF_DIR), d.equals("tmp/") ? 01777 : 0755, null);
            }
            entry(t, new TarArchiveEntry("bin/busybox", TarConstants.LF_NORMAL), 0755,
                    Files.readAllBytes(Path.of("/bin/busybox")));
            for (String applet : new String[] {"sh", "id", "grep", "cat", "unshare", "true", "nsenter", "swapoff"}) {
                TarArchiveEntry link = new TarArchiveEntry("bin/" + applet, TarConstants.LF_SYMLINK);
                link.setLinkName("/bin/busybox");
                entry(t, link, 0777, null);
            }
            entry(t, new TarArchiveEntry("etc/passwd", TarConstants.LF_NORMAL), 0644, PASSWD.getBytes(StandardCharsets.UTF_8));
            entry(t, new TarArchiveEntry("etc/group", TarConstants.LF_NORMAL), 0644, GROUP.getBytes(StandardCharsets.UTF_8));
        }
        byte[] layer = layerBytes.toByteArray();
        String config = "{\"architecture\":\"" + arch + "\",\"os\":\"linux\",\"created\":\"2020-01-01T00:00:00Z\","
                + "\"config\":{\"Env\":[\"PATH=/bin\"],\"Cmd\":[\"id\"]},"
                + "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:" + sha256(layer) + "\"]}}";
        byte[] configBytes = config.getBytes(StandardCharsets.UTF_8);
        String configName = sha256(configBytes) + ".json";
        String manifest = "[{\"Config\":\"" + configName + "\",\"RepoTags\":[\"" + name + "\"],"
                + "\"Layers\":[\"layer/layer.tar\"]}]";
        ByteArrayOutputStream archive = new ByteArrayOutputStream();
        try (TarArchiveOutputStream t = new TarArchiveOutputStream(archive)) {
            entry(t, new TarArchiveEntry("layer/", TarConstants.LF_DIR), 0755, null);
            entry(t, new TarArchiveEntry("layer/layer.tar", TarConstants.LF_NORMAL), 0644, layer);
            entry(t, new TarArchiveEntry(configName, TarConstants.LF_NORMAL), 0644, configBytes);
            entry(t, new TarArchiveEntry("manifest.json", TarConstants.LF_NORMAL), 0644,
                    manifest.getBytes(StandardCharsets.UTF_8));
        }
        Files.write(file, archive.toByteArray());
    }

    /** @return the JVM's architecture as image configs name it ({@code amd64}, {@code arm64}) */
    public static String hostArch() {
        String a = System.getProperty("os.arch");
        return a.equals("x86_64") ? "amd64" : a.equals("aarch64") ? "arm64" : a;
    }

    private static void entry(TarArchiveOutputStream t, TarArchiveEntry e, int mode, byte[] content) throws IOException {
        e.setMode(mode);
        e.setModTime(1_000_000_000_000L);
        if (content != null) {
            e.setSize(content.length);
        }
        t.putArchiveEntry(e);
        if (content != null) {
            t.write(content);
        }
        t.closeArchiveEntry();
    }

    private static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
