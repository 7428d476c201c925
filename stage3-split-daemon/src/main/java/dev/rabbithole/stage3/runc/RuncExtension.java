package dev.rabbithole.stage3.runc;

import com.fasterxml.jackson.databind.JsonNode;

import java.nio.file.Path;

/**
 * What a later stage's runtime changes in {@code create}: how a bundle's config.json becomes libcontainer's
 * config, and what is applied to the container once its init waits at the start gate (before the prestart
 * hooks). Stage 3's own runc uses {@link #STAGE3}: {@link SpecConverter#convert} and nothing after create.
 */
public interface RuncExtension {
    /** Stage 3's behaviour. */
    RuncExtension STAGE3 = SpecConverter::convert;

    /**
     * Converts a bundle's config, as {@link SpecConverter#convert}.
     *
     * @param id         the container ID
     * @param bundle     the bundle directory, absolute
     * @param spec       the parsed config.json
     * @param ownCgroup  the creating process's cgroup, base of a relative {@code linux.cgroupsPath}
     * @param apparmorOn whether the host enforces AppArmor
     * @return the converted config
     * @throws SpecException the first field that is malformed or cannot be done, named
     */
    SpecConverter.Converted convert(String id, Path bundle, JsonNode spec, String ownCgroup, boolean apparmorOn)
            throws SpecException;

    /**
     * Called once the container's init waits at its start gate, in its cgroup and namespaces, after the sysctls
     * and before the prestart hooks. A failure destroys the container.
     *
     * @param converted what {@link #convert} returned
     * @param pid       the init's host pid
     * @throws Exception when a setting cannot be applied: create fails with its message
     */
    default void created(SpecConverter.Converted converted, long pid) throws Exception {
    }
}
