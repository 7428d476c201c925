package dev.rabbithole.stage1.builder;

import dev.rabbithole.stage1.daemon.Daemon;
import dev.rabbithole.stage1.errdefs.NotImplementedException;
import dev.rabbithole.stage1.image.Image;
import dev.rabbithole.stage1.image.ImageConfig;

/** Placeholder until the daemon's commit API exists. */
public final class StoreCommitter implements StepCommitter {
    private final Daemon daemon;

    public StoreCommitter(Daemon daemon) {
        this.daemon = daemon;
    }

    @Override
    public Image commit(String containerId, Image parent, ImageConfig.Defaults config, String createdBy) {
        throw new NotImplementedException("commit is not there yet");
    }

    @Override
    public void tag(Image image, String reference) {
        throw new NotImplementedException("tag is not there yet");
    }
}
