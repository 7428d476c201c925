package dev.rabbithole.stage2.libcontainer.process;

import java.util.Set;

/**
 * Seam to the {@code capabilities} package: capability names to bit masks. The init finds the implementation
 * with {@link java.util.ServiceLoader}; without one, the init leaves the capability sets as they are (root's
 * full set). TODO(merge): register the capabilities package's resolver as a service of this interface.
 */
public interface CapabilityResolver {
    /**
     * @param names capability names without {@code CAP_} ({@code CHOWN}); unknown names throw
     * @return 64-bit mask, bit n set for capability number n (linux/capability.h)
     * @throws IllegalArgumentException for an unknown name
     */
    long mask(Set<String> names);

    /** @return the highest capability number the running kernel knows ({@code /proc/sys/kernel/cap_last_cap}) */
    int lastCap();
}
