package dev.rabbithole.stage1.security;

import java.util.List;
import java.util.Set;

/** Linux capabilities by name (capabilities(7)), and Docker's default set. */
public final class Capabilities {
    private Capabilities() { }

    /**
     * The capabilities that {@code resolve} keeps for a container.
     *
     * @param add        {@code --cap-add} values, with or without {@code CAP_}, any case, or {@code ALL}
     * @param drop       {@code --cap-drop} values, likewise
     * @param privileged {@code --privileged}: every capability
     * @return names without {@code CAP_}, upper case, e.g. {@code CHOWN}
     * @throws dev.rabbithole.stage1.errdefs.InvalidParameterException an unknown capability name
     */
    public static Set<String> resolve(List<String> add, List<String> drop, boolean privileged) {
        throw new UnsupportedOperationException("TODO(lxc helper)");
    }
}
