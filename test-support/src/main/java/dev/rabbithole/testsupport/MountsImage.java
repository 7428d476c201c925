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
 * A {@code docker save} archive of a small image for mount tests: busybox-static and its applets under
 * {@code /bin}, a directory {@code /data} holding {@code seed} (content {@value #SEED}, what a new volume at
 * {@code /data} is filled with), and a symlink {@code /escape} pointing at an absolute path chosen by the test (a
 * host directory: a runtime that followed the link on the host would mount there, outside the rootfs).
 */
public final class MountsImage {

    /** The content of {@code /data/seed}, with its newline. */
    public static final String SEED = "seed\n";

    private static final String[] APPLETS = {"sh", "cat", "echo", "ls", "touch", "mkdir", "grep", "sleep", "true",
        "test", "rm", "stat", "mount"};

    private MountsImage() { }

    /**
     * Writes the archive.
     *
     * @param file         where to write it
     * @param arch         the image's architecture ({@code amd64}, {@code arm64})
     * @param name         the image's name ({@code name:tag})
     * @param escapeTarget the target of the symlink {@code /escape}, an absolute path
     * @param volume       whether the image declares {@code VOLUME /data}
     */
    public static void write(Path file, String arch, String name, String escapeTarget, boolean volume)
            throws IOException {
        ByteArrayOutputStream layerBytes = new ByteArrayOutputStream();
        try (TarArchiveOutputStream t = new TarArchiveOutputStream(layerBytes)) {
            t.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            for (String d : new String[] {"bin/", "etc/", "tmp/", "root/", "proc/", "sys/", "dev/", "data/"}) {
                entry(t, new TarArchiveEntry(d, TarConstants.LF_DIR), d.equals("tmp/") ? 01777 : 0755, null);
            }
            entry(t, new TarArchiveEntry("bin/busybox", TarConstants.LF_NORMAL), 0755,
                    Files.readAllBytes(Path.of("/bin/busybox")));
            for (String applet : APPLETS) {
                TarArchiveEntry link = new TarArchiveEntry("bin/" + applet, TarConstants.LF_SYMLINK);
                link.setLinkName("/bin/busybox");
                entry(t, link, 0777, null);
            }
            entry(t, new TarArchiveEntry("etc/passwd", TarConstants.LF_NORMAL), 0644,
                    GroupsImage.PASSWD.getBytes(StandardCharsets.UTF_8));
            entry(t, new TarArchiveEntry("etc/group", TarConstants.LF_NORMAL), 0644,
                    GroupsImage.GROUP.getBytes(StandardCharsets.UTF_8));
            entry(t, new TarArchiveEntry("data/seed", TarConstants.LF_NORMAL), 0644,
                    SEED.getBytes(StandardCharsets.UTF_8));
            TarArchiveEntry escape = new TarArchiveEntry("escape", TarConstants.LF_SYMLINK);
            escape.setLinkName(escapeTarget);
            entry(t, escape, 0777, null);
        }
        byte[] layer = layerBytes.toByteArray();
        String config = "{\"architecture\":\"" + arch + "\",\"os\":\"linux\",\"created\":\"2020-01-01T00:00:00Z\","
                + "\"config\":{\"Env\":[\"PATH=/bin\"],\"Cmd\":[\"sh\"]"
                + (volume ? ",\"Volumes\":{\"/data\":{}}" : "") + "},"
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
