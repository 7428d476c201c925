package dev.rabbithole.stage4.distribution;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Images the registry tests make: layers of pseudo-random bytes (so gzip cannot shrink them and each image is new to
 * the registry), written as a {@code docker save} archive that skopeo copies ({@code docker-archive:}).
 */
final class TestImages {
    private static final ObjectMapper JSON = new ObjectMapper();

    private TestImages() { }

    /**
     * An image: its config and its layers (uncompressed tars).
     *
     * @param config the config blob
     * @param layers the layer tars, lowest first
     */
    record Made(byte[] config, List<byte[]> layers) {
        /** @return the image ID, {@code sha256:} of the config */
        String id() {
            return MediaTypes.digest(config);
        }
    }

    /**
     * @param seed       makes the content (a new seed, a new image)
     * @param layerBytes the sizes of the layers' data files, lowest first, bytes
     */
    static Made make(long seed, long... layerBytes) throws IOException {
        Random random = new Random(seed);
        List<byte[]> layers = new ArrayList<>();
        ObjectNode config = JSON.createObjectNode();
        config.put("architecture", MediaTypes.hostArchitecture());
        config.put("os", "linux");
        config.put("created", "2026-01-01T00:00:00Z");
        config.putObject("config").putArray("Cmd").add("/bin/sh");
        ObjectNode rootfs = config.putObject("rootfs");
        rootfs.put("type", "layers");
        ArrayNode diffIds = rootfs.putArray("diff_ids");
        ArrayNode history = config.putArray("history");
        for (int i = 0; i < layerBytes.length; i++) {
            byte[] data = new byte[(int) layerBytes[i]];
            random.nextBytes(data);
            ByteArrayOutputStream tar = new ByteArrayOutputStream();
            try (TarArchiveOutputStream t = new TarArchiveOutputStream(tar)) {
                TarArchiveEntry dir = new TarArchiveEntry("layer" + i + "/");
                t.putArchiveEntry(dir);
                t.closeArchiveEntry();
                TarArchiveEntry e = new TarArchiveEntry("layer" + i + "/data");
                e.setSize(data.length);
                t.putArchiveEntry(e);
                t.write(data);
                t.closeArchiveEntry();
                byte[] seedText = ("seed " + seed + " layer " + i + "\n").getBytes(StandardCharsets.UTF_8);
                TarArchiveEntry s = new TarArchiveEntry("layer" + i + "/seed");
                s.setSize(seedText.length);
                t.putArchiveEntry(s);
                t.write(seedText);
                t.closeArchiveEntry();
            }
            layers.add(tar.toByteArray());
            diffIds.add(MediaTypes.digest(tar.toByteArray()));
            history.addObject().put("created", "2026-01-01T00:00:00Z").put("created_by", "test layer " + i);
        }
        return new Made(JSON.writeValueAsBytes(config), layers);
    }

    /** Writes {@code image} as a {@code docker save} archive naming it {@code repoTag}. */
    static Path dockerArchive(Made image, String repoTag, Path file) throws IOException {
        try (OutputStream out = Files.newOutputStream(file); TarArchiveOutputStream t = new TarArchiveOutputStream(out)) {
            String configName = image.id().substring(7) + ".json";
            add(t, configName, image.config());
            ArrayNode layerNames = JSON.createArrayNode();
            for (byte[] l : image.layers()) {
                String name = MediaTypes.digest(l).substring(7) + "/layer.tar";
                add(t, name, l);
                layerNames.add(name);
            }
            ArrayNode manifest = JSON.createArrayNode();
            ObjectNode entry = manifest.addObject();
            entry.put("Config", configName);
            entry.putArray("RepoTags").add(repoTag);
            entry.set("Layers", layerNames);
            add(t, "manifest.json", JSON.writeValueAsBytes(manifest));
        }
        return file;
    }

    private static void add(TarArchiveOutputStream t, String name, byte[] data) throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(name);
        e.setSize(data.length);
        t.putArchiveEntry(e);
        t.write(data);
        t.closeArchiveEntry();
    }
}
