package dev.rabbithole.stage1.daemon;

import dev.rabbithole.stage1.errdefs.ConflictException;
import dev.rabbithole.stage1.errdefs.NotFoundException;
import dev.rabbithole.stage1.image.Image;
import dev.rabbithole.stage1.image.ImageStore;

import java.util.List;
import java.util.Objects;

/**
 * The daemon's image service, as moby's {@code daemon/images.ImageService}: the image operations of the Engine
 * API that need more than the {@link ImageStore} (stage 1's "pull" of the built-in busybox, a remove that
 * refuses an image a container uses). Stage 3 keeps this seam and backs it with containerd's content store.
 */
public final class ImageService {

    private final ImageStore images;
    private volatile Registry registry;

    /** @param images the store that holds the images */
    public ImageService(ImageStore images) {
        this.images = images;
    }

    /**
     * Installs a registry client: pull, push and login go to it from then on. Without one (stages 1 to 3) only the
     * built-in busybox can be "pulled" ({@link #pull}) and push and login are unknown routes.
     *
     * @param registry the client, or null for none
     */
    public void registry(Registry registry) {
        this.registry = registry;
    }

    /** @return the installed registry client, or null */
    public Registry registry() {
        return registry;
    }

    /** @return the image store behind the service */
    public ImageStore store() {
        return images;
    }

    /**
     * Resolves an image reference.
     *
     * @param ref name[:tag], {@code sha256:ID} or an ID prefix
     * @throws NotFoundException {@code No such image: REF}
     */
    public Image resolve(String ref) {
        return images.resolve(ref);
    }

    /**
     * "Pulls" an image: {@code POST /images/create?fromImage=&tag=}. Stage 1 has no registry: only the embedded
     * {@code busybox} (tag {@code latest}) can be pulled, which builds it from the host's static busybox.
     *
     * @param fromImage {@code busybox}, {@code library/busybox}, {@code docker.io/library/busybox[:latest]}
     * @param tag       the tag, empty or null for the one in fromImage or {@code latest}
     * @return the image
     * @throws NotFoundException any other image
     */
    public Image pull(String fromImage, String tag) {
        String name = Objects.requireNonNullElse(fromImage, "");
        String t = tag == null ? "" : tag;
        int colon = name.lastIndexOf(':');
        if (colon > name.lastIndexOf('/')) {
            if (t.isEmpty()) {
                t = name.substring(colon + 1);
            }
            name = name.substring(0, colon);
        }
        if (t.isEmpty()) {
            t = "latest";
        }
        for (String prefix : List.of("docker.io/", "index.docker.io/", "library/")) {
            if (name.startsWith(prefix)) {
                name = name.substring(prefix.length());
            }
        }
        if (!(name + ":" + t).equals(ImageStore.DEFAULT_IMAGE)) {
            throw new NotFoundException("pull access denied for " + fromImage
                    + ": stage 1 has no registry; only busybox:latest is built in, load other images with `load` (rabbithole stage1 load or docker load)");
        }
        return images.resolve(ImageStore.DEFAULT_IMAGE);
    }

    /**
     * Removes an image reference: {@code DELETE /images/{name}}.
     *
     * @param ref        name[:tag], ID or ID prefix
     * @param force      remove even if a container uses it
     * @param containers the containers there are now (to find one that uses the image)
     * @return the report lines of {@link ImageStore#remove}: {@code Untagged: ...}, {@code Deleted: ...}
     * @throws NotFoundException no such image
     * @throws ConflictException a container uses it and force is false (Docker's message)
     */
    public List<String> remove(String ref, boolean force, List<Container> containers) {
        Image image = images.resolve(ref);
        if (!force) {
            for (Container c : containers) {
                if (c.imageId().equals(image.id())) {
                    throw new ConflictException("conflict: unable to remove repository reference \"" + ref
                            + "\" (must force) - container " + c.shortId() + " is using its referenced image "
                            + shortImageId(image.id()));
                }
            }
        }
        return images.remove(ref);
    }

    private static String shortImageId(String id) {
        String hex = id.startsWith("sha256:") ? id.substring(7) : id;
        return hex.substring(0, Math.min(12, hex.length()));
    }
}
