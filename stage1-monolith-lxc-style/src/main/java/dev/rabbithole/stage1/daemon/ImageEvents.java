package dev.rabbithole.stage1.daemon;

import dev.rabbithole.stage1.image.Image;
import dev.rabbithole.stage1.image.ImageStore;

import java.util.List;
import java.util.Map;

/**
 * The image events of {@code GET /events} (Engine API 1.41), shaped as dockerd 20.10 emits them (checked against
 * it): {@code pull} (Actor.ID the reference pulled, {@code name} the repository), {@code untag} and
 * {@code delete} (Actor.ID and {@code name} the image ID), {@code load} (the same, for each image loaded).
 */
public final class ImageEvents {
    private ImageEvents() { }

    /** @return the image, after its {@code pull} event */
    public static Image pulled(Events events, Image image, String fromImage, String tag) {
        String repo = fromImage;
        String ref = tag == null || tag.isEmpty() ? (fromImage.contains(":") ? fromImage : fromImage + ":latest")
                : fromImage + ":" + tag;
        int colon = repo.lastIndexOf(':');
        if (colon > repo.lastIndexOf('/')) {
            repo = repo.substring(0, colon);
        }
        events.emit("image", "pull", ref, Map.of("name", repo));
        return image;
    }

    /** @return the ID of the image a reference names, or null when there is none (the removal then fails) */
    static String idOf(ImageStore store, String ref) {
        try {
            return store.resolve(ref).id();
        } catch (RuntimeException e) {
            return null;
        }
    }

    /** @return the report lines, after an {@code untag} event per {@code Untagged:} and a {@code delete} per {@code Deleted:} */
    static List<String> removed(Events events, String imageId, List<String> report) {
        for (String line : report) {
            if (line.startsWith("Untagged: ") && imageId != null) {
                events.emit("image", "untag", imageId, Map.of("name", imageId));
            } else if (line.startsWith("Deleted: ")) {
                String id = line.substring("Deleted: ".length());
                events.emit("image", "delete", id, Map.of("name", id));
            }
        }
        return report;
    }

    /**
     * The {@code load} events of {@code POST /images/load}: one per loaded image.
     *
     * @param events the daemon's events
     * @param store  the image store, to find each loaded reference's image ID
     * @param loaded what the load reported: references or {@code sha256:} IDs
     */
    public static void loaded(Events events, ImageStore store, List<String> loaded) {
        for (String ref : loaded) {
            String id = ref.startsWith("sha256:") ? ref : idOf(store, ref);
            if (id != null) {
                events.emit("image", "load", id, Map.of("name", id));
            }
        }
    }
}
