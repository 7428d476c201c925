package dev.rabbithole.stage1.builder;

import dev.rabbithole.stage1.image.Image;
import dev.rabbithole.stage1.image.ImageConfig;

/**
 * The image side of a build step: turning a build container into an image, and naming the result. The daemon's
 * implementation is {@code docker commit}'s code (the container's writable layer becomes a layer on top of the
 * parent's), so a build is nothing but containers and commits.
 */
public interface StepCommitter {

    /**
     * Makes the image of one step.
     *
     * @param containerId the build container whose writable layer becomes the new layer; null for a step that
     *                    changes only the config (no layer is added, the history entry is an empty layer)
     * @param parent      the image the step started from; null for {@code FROM scratch}
     * @param config      the new image's config
     * @param createdBy   its history line ({@code /bin/sh -c echo hi}, {@code /bin/sh -c #(nop)  CMD ["sh"]})
     * @return the new image
     */
    Image commit(String containerId, Image parent, ImageConfig.Defaults config, String createdBy);

    /**
     * Points {@code name[:tag]} at the image (moving it from any image it named before).
     *
     * @throws dev.rabbithole.stage1.errdefs.InvalidParameterException a malformed reference
     */
    void tag(Image image, String reference);
}
