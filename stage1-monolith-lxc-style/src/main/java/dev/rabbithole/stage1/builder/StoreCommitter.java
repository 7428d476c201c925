package dev.rabbithole.stage1.builder;

import dev.rabbithole.stage1.daemon.CommitOptions;
import dev.rabbithole.stage1.daemon.Daemon;
import dev.rabbithole.stage1.image.Image;
import dev.rabbithole.stage1.image.ImageConfig;

import java.util.List;

/**
 * The daemon's {@link StepCommitter}: {@code docker commit}'s code ({@link Daemon#commit}) for steps that ran in a
 * container, {@link Daemon#commitImage} for steps that changed only the config, and the image store's tag.
 */
public final class StoreCommitter implements StepCommitter {

    private final Daemon daemon;

    /** @param daemon whose containers are committed and whose store names the result */
    public StoreCommitter(Daemon daemon) {
        this.daemon = daemon;
    }

    // tag::build-commit[]
    @Override
    public Image commit(String containerId, Image parent, ImageConfig.Defaults config, String createdBy) {
        CommitOptions options = new CommitOptions(null, null, null, List.of(), config, createdBy, false);
        String id = containerId != null
                ? daemon.commit(containerId, options)                               // its writable layer: a new layer
                : daemon.commitImage(parent == null ? null : parent.id(), options); // the config only: no layer
        return daemon.images().resolve(id);
    }
    // end::build-commit[]

    @Override
    public void tag(Image image, String reference) {
        daemon.images().tag(image.id(), reference);
    }
}
