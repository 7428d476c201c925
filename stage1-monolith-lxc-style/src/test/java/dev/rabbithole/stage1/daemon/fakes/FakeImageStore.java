package dev.rabbithole.stage1.daemon.fakes;

import dev.rabbithole.stage1.errdefs.InvalidParameterException;
import dev.rabbithole.stage1.errdefs.NotFoundException;
import dev.rabbithole.stage1.image.Image;
import dev.rabbithole.stage1.image.ImageConfig;
import dev.rabbithole.stage1.image.ImageStore;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/** An in-memory image store holding a busybox-like image; {@code load} takes a text "archive" naming a ref. */
public final class FakeImageStore implements ImageStore {

    public static final String BUSYBOX_ID = "sha256:" + "b".repeat(64);

    private final List<Image> images = new CopyOnWriteArrayList<>();

    public FakeImageStore() {
        images.add(image(BUSYBOX_ID, "busybox:latest", new ImageConfig.Defaults(null,
                List.of("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "FROM_IMAGE=1"),
                null, List.of("sh"), null, Map.of("org.example.origin", "fake"))));
    }

    public static Image image(String id, String tag, ImageConfig.Defaults defaults) {
        return new Image(id, List.of(tag), "sha256:" + "d".repeat(64),
                new ImageConfig("amd64", "linux", "2024-01-01T00:00:00Z", defaults,
                        new ImageConfig.RootFs("layers", List.of("sha256:" + "1".repeat(64)))),
                List.of("sha256:" + "2".repeat(64)), 1234, 1704067200L);
    }

    public void add(Image image) { images.add(0, image); }

    @Override
    public Image resolve(String reference) {
        String ref = reference.contains(":") || reference.startsWith("sha256") ? reference : reference + ":latest";
        for (Image i : images) {
            if (i.id().equals(reference) || i.repoTags().contains(ref)
                    || (reference.length() >= 4 && i.id().substring(7).startsWith(reference))) {
                return i;
            }
        }
        throw new NotFoundException("No such image: " + reference);
    }

    @Override
    public List<Image> list() { return List.copyOf(images); }

    @Override
    public List<String> load(InputStream archive) {
        try {
            String text = new String(archive.readAllBytes(), StandardCharsets.UTF_8).trim();
            if (!text.startsWith("image ")) {
                throw new InvalidParameterException("not an image archive");
            }
            String tag = text.substring(6);
            add(image("sha256:" + Integer.toHexString(tag.hashCode()).repeat(8).substring(0, 64).replace('-', 'a'),
                    tag, new ImageConfig.Defaults(null, null, null, List.of("true"), null, null)));
            return List.of(tag);
        } catch (IOException e) {
            throw new InvalidParameterException("unreadable", e);
        }
    }

    @Override
    public List<String> remove(String reference) {
        Image i = resolve(reference);
        images.remove(i);
        List<String> lines = new ArrayList<>();
        i.repoTags().forEach(t -> lines.add("Untagged: " + t));
        lines.add("Deleted: " + i.id());
        return lines;
    }

    @Override
    public List<Path> layerDirs(Image image) { return List.of(); }
}
