package dev.rabbithole.stage1.image;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Builds layer tars, {@code docker save} archives and OCI layout tars in memory, for tests. */
public final class TestArchives {
    private TestArchives() { }

    /** A tar built entry by entry, in the order the test gives (order matters for the attacks). */
    public static final class Tar {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        private final TarArchiveOutputStream tar = new TarArchiveOutputStream(bytes);

        public Tar() {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
        }

        public Tar dir(String name) {
            return entry(new TarArchiveEntry(name.endsWith("/") ? name : name + "/", TarConstants.LF_DIR), 0755, null);
        }

        public Tar file(String name, String content) {
            return file(name, content, 0644);
        }

        public Tar file(String name, String content, int mode) {
            return entry(new TarArchiveEntry(name, TarConstants.LF_NORMAL), mode, content.getBytes(StandardCharsets.UTF_8));
        }

        public Tar symlink(String name, String target) {
            TarArchiveEntry e = new TarArchiveEntry(name, TarConstants.LF_SYMLINK);
            e.setLinkName(target);
            return entry(e, 0777, null);
        }

        public Tar hardlink(String name, String target) {
            TarArchiveEntry e = new TarArchiveEntry(name, TarConstants.LF_LINK);
            e.setLinkName(target);
            return entry(e, 0644, null);
        }

        private Tar entry(TarArchiveEntry e, int mode, byte[] content) {
            try {
                e.setMode(mode);
                e.setModTime(1_000_000_000_000L);
                if (content != null) e.setSize(content.length);
                tar.putArchiveEntry(e);
                if (content != null) tar.write(content);
                tar.closeArchiveEntry();
                return this;
            } catch (IOException ex) {
                throw new UncheckedIOException(ex);
            }
        }

        public byte[] build() {
            try {
                tar.close();
                return bytes.toByteArray();
            } catch (IOException ex) {
                throw new UncheckedIOException(ex);
            }
        }
    }

    /** Raw entries for an archive: name to bytes, in order. */
    public static byte[] tarOf(Map<String, byte[]> files) {
        Tar t = new Tar();
        for (Map.Entry<String, byte[]> e : files.entrySet()) {
            try {
                TarArchiveEntry te = new TarArchiveEntry(e.getKey(), TarConstants.LF_NORMAL);
                te.setSize(e.getValue().length);
                te.setMode(0644);
                t.tar.putArchiveEntry(te);
                t.tar.write(e.getValue());
                t.tar.closeArchiveEntry();
            } catch (IOException ex) {
                throw new UncheckedIOException(ex);
            }
        }
        return t.build();
    }

    public static byte[] gzip(byte[] data) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GzipCompressorOutputStream gz = new GzipCompressorOutputStream(out)) {
            gz.write(data);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    public static String sha256(byte[] data) {
        return Digests.of(data);
    }

    /** A config blob whose rootfs.diff_ids are exactly {@code diffIds}. */
    public static byte[] config(List<String> diffIds, String cmd) {
        StringBuilder ids = new StringBuilder();
        for (String d : diffIds) ids.append(ids.length() == 0 ? "" : ",").append('"').append(d).append('"');
        return ("{\"architecture\":\"" + BusyboxImage.hostArchitecture() + "\",\"os\":\"linux\","
                + "\"created\":\"2020-01-01T00:00:00Z\",\"config\":{\"Cmd\":[\"" + cmd + "\"]},"
                + "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[" + ids + "]}}").getBytes(StandardCharsets.UTF_8);
    }

    /** A docker-save archive (Docker 1.10 to 24 layout: {@code <n>/layer.tar}, {@code <hex>.json}) of one image. */
    public static byte[] dockerSave(List<String> repoTags, List<byte[]> layerTars, String cmd) {
        List<String> diffIds = new ArrayList<>();
        for (byte[] l : layerTars) diffIds.add(sha256(l));
        return dockerSave(repoTags, layerTars, config(diffIds, cmd));
    }

    /** A docker-save archive with an explicit config blob (for configs that lie about diff_ids). */
    public static byte[] dockerSave(List<String> repoTags, List<byte[]> layerTars, byte[] config) {
        Map<String, byte[]> files = new LinkedHashMap<>();
        String configName = Digests.hex(sha256(config)) + ".json";
        List<String> layerNames = new ArrayList<>();
        for (int i = 0; i < layerTars.size(); i++) {
            String n = "layer" + i + "/layer.tar";
            files.put(n, layerTars.get(i));
            layerNames.add(n);
        }
        files.put(configName, config);
        StringBuilder tags = new StringBuilder();
        for (String t : repoTags) tags.append(tags.length() == 0 ? "" : ",").append('"').append(t).append('"');
        StringBuilder layers = new StringBuilder();
        for (String l : layerNames) layers.append(layers.length() == 0 ? "" : ",").append('"').append(l).append('"');
        files.put("manifest.json", ("[{\"Config\":\"" + configName + "\",\"RepoTags\":[" + tags + "],\"Layers\":["
                + layers + "]}]").getBytes(StandardCharsets.UTF_8));
        return tarOf(files);
    }

    /** An OCI image layout in a tar, layers gzip-compressed, named by {@code org.opencontainers.image.ref.name}. */
    public static byte[] ociLayout(String refName, List<byte[]> layerTars, String cmd) {
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}".getBytes(StandardCharsets.UTF_8));
        List<String> diffIds = new ArrayList<>();
        StringBuilder layers = new StringBuilder();
        for (byte[] l : layerTars) {
            diffIds.add(sha256(l));
            byte[] gz = gzip(l);
            files.put("blobs/sha256/" + Digests.hex(sha256(gz)), gz);
            layers.append(layers.length() == 0 ? "" : ",").append("{\"mediaType\":\"").append(Oci.MEDIA_TYPE_LAYER_GZIP)
                    .append("\",\"digest\":\"").append(sha256(gz)).append("\",\"size\":").append(gz.length).append('}');
        }
        byte[] config = config(diffIds, cmd);
        files.put("blobs/sha256/" + Digests.hex(sha256(config)), config);
        byte[] manifest = ("{\"schemaVersion\":2,\"mediaType\":\"" + Oci.MEDIA_TYPE_MANIFEST + "\",\"config\":{\"mediaType\":\""
                + Oci.MEDIA_TYPE_CONFIG + "\",\"digest\":\"" + sha256(config) + "\",\"size\":" + config.length
                + "},\"layers\":[" + layers + "]}").getBytes(StandardCharsets.UTF_8);
        files.put("blobs/sha256/" + Digests.hex(sha256(manifest)), manifest);
        files.put("index.json", ("{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"" + Oci.MEDIA_TYPE_MANIFEST
                + "\",\"digest\":\"" + sha256(manifest) + "\",\"size\":" + manifest.length
                + ",\"annotations\":{\"" + Oci.ANNOTATION_REF_NAME + "\":\"" + refName + "\"}}]}").getBytes(StandardCharsets.UTF_8));
        return tarOf(files);
    }
}
