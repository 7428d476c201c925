package dev.rabbithole.stage2.libcontainer.configs;

/**
 * Kernel settings of the runtime-spec that Docker's path never asks for and an OCI runtime must still apply
 * (runtime-spec 1.2 config.md "Domainname", config-linux.md "Personality", "Rootfs Mount Propagation",
 * "Seccomp" {@code flags}). Each has a neutral value that leaves the kernel's default alone.
 *
 * @param domainname        the NIS domain name set with setdomainname(2) in the container's UTS namespace; null or
 *                          empty for none
 * @param personality       the execution domain passed to personality(2) right before execve ({@code PER_LINUX}
 *                          0x0000, {@code PER_LINUX32} 0x0008); -1 for none (the init's own is kept)
 * @param rootfsPropagation {@code MS_SHARED}, {@code MS_SLAVE}, {@code MS_PRIVATE} or {@code MS_UNBINDABLE},
 *                          with {@code MS_REC} for the recursive forms, applied to {@code /} after pivot_root; 0
 *                          for none (the container's mounts stay private)
 * @param seccompFlags      the {@code SECCOMP_FILTER_FLAG_*} bits given to seccomp(2)'s
 *                          {@code SECCOMP_SET_MODE_FILTER} (TSYNC 1, LOG 2, SPEC_ALLOW 4); 0 for none
 * @param systemMountOrder  the order in which libcontainer makes its own {@code /proc}, {@code /sys} and {@code /dev}
 *                          (with its devpts, shm and mqueue) mounts, as the runtime-spec's {@code mounts} list them
 *                          ("The runtime MUST mount entries in the listed order"); empty or null for libcontainer's
 *                          own order (/proc, /sys, /dev)
 */
public record SpecExtras(String domainname, long personality, long rootfsPropagation, int seccompFlags,
                         java.util.List<String> systemMountOrder) {
    /** Nothing beyond what libcontainer does anyway. */
    public static final SpecExtras NONE = new SpecExtras(null, -1, 0, 0, null);

    /** Extras with libcontainer's own mount order. */
    public SpecExtras(String domainname, long personality, long rootfsPropagation, int seccompFlags) {
        this(domainname, personality, rootfsPropagation, seccompFlags, null);
    }

    /** @return {@link #systemMountOrder()}, never null */
    @Override
    public java.util.List<String> systemMountOrder() {
        return systemMountOrder == null ? java.util.List.of() : systemMountOrder;
    }

    /** @return whether every setting is neutral */
    @com.fasterxml.jackson.annotation.JsonIgnore
    public boolean isNone() {
        return (domainname == null || domainname.isEmpty()) && personality < 0 && rootfsPropagation == 0
                && seccompFlags == 0 && systemMountOrder().isEmpty();
    }
}
