package dev.rabbithole.stage2.libcontainer.configs;

import java.util.Set;

/**
 * The five capability sets of capabilities(7), names without {@code CAP_} ({@code CHOWN}, {@code SYS_ADMIN}),
 * as the runtime-spec's "process.capabilities".
 */
public record CapabilitySet(Set<String> bounding, Set<String> effective, Set<String> permitted,
                            Set<String> inheritable, Set<String> ambient) {

    /** The same set in bounding, effective and permitted, none inheritable or ambient: what Docker gives root. */
    public static CapabilitySet of(Set<String> caps) {
        return new CapabilitySet(caps, caps, caps, Set.of(), Set.of());
    }
}
