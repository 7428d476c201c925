package dev.rabbithole.stage1.daemon;

import dev.rabbithole.stage1.image.Image;
import dev.rabbithole.stage1.image.ImageConfig;

import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/** The anonymous volumes a create asks for: the keys of its {@code Config.Volumes} and of the image's. */
final class ContainerVolumes {
    private ContainerVolumes() { }

    /**
     * @param config the create body's config ({@code -v /PATH} of the docker CLI lands in its {@code Volumes})
     * @param image  the image ({@code VOLUME} of its Dockerfile)
     * @return the destinations, the user's first; empty for none
     */
    static Set<String> destinations(ContainerConfig config, Image image) {
        Set<String> out = new LinkedHashSet<>();
        if (config != null && config.volumes() != null) {
            out.addAll(config.volumes().keySet());
        }
        ImageConfig.Defaults d = image.config() == null ? null : image.config().config();
        Map<String, Map<String, Object>> v = d == null ? null : d.volumes();
        if (v != null) {
            out.addAll(v.keySet());
        }
        return out;
    }
}
