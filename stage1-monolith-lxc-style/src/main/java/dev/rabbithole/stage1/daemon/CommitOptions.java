package dev.rabbithole.stage1.daemon;

import dev.rabbithole.stage1.image.ImageConfig;

import java.util.List;

/**
 * What {@link Daemon#commit} makes of a container (Engine API 1.41 {@code POST /commit}, {@code docker commit}).
 *
 * @param reference {@code repo[:tag]} to tag the new image with ({@code :latest} when no tag), or null for an
 *                  untagged image
 * @param comment   {@code -m}: the history entry's and the image's comment; null or empty for none
 * @param author    {@code -a}: the image's and the history entry's author; null or empty for none
 * @param changes   {@code -c}: Dockerfile instructions applied to the config (see {@link ConfigChanges}); null for none
 * @param config    the config to give the image instead of the container's (then the changes apply to it); null
 *                  to use the container's Config (with the image's defaults it was created with), as Docker does
 * @param createdBy the history entry's {@code created_by}; null for Docker's: the container's Cmd joined by spaces
 * @param pause     {@code -p}: freeze the container while its layer is read (ignored where the runtime cannot
 *                  pause yet)
 */
public record CommitOptions(String reference, String comment, String author, List<String> changes,
                            ImageConfig.Defaults config, String createdBy, boolean pause) {

    /** @return Docker's defaults: untagged, no comment, author or changes, the container's config, paused */
    public static CommitOptions defaults() {
        return new CommitOptions(null, null, null, List.of(), null, null, true);
    }

    /** @return a copy tagged {@code reference} */
    public CommitOptions withReference(String reference) {
        return new CommitOptions(reference, comment, author, changes, config, createdBy, pause);
    }
}
