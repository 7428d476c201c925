package dev.rabbithole.stage2.execdriver;

import dev.rabbithole.stage2.libcontainer.capabilities.Capability;

import java.util.Collections;
import java.util.EnumSet;
import java.util.Set;

/**
 * Docker's policy on capabilities, kept out of libcontainer (which takes a complete config): the set a
 * non-privileged container gets, after moby's {@code oci/caps/defaults.go}.
 */
public final class DockerCapabilities {
    private DockerCapabilities() { }

    /**
     * The 14 capabilities Docker gives a non-privileged container: mask {@code 00000000a80425fb}
     * ({@code CapEff} in /proc/PID/status, proc(5)).
     */
    public static final Set<Capability> DEFAULT = Collections.unmodifiableSet(EnumSet.of(
            Capability.CHOWN, Capability.DAC_OVERRIDE, Capability.FSETID, Capability.FOWNER, Capability.MKNOD,
            Capability.NET_RAW, Capability.SETGID, Capability.SETUID, Capability.SETFCAP, Capability.SETPCAP,
            Capability.NET_BIND_SERVICE, Capability.SYS_CHROOT, Capability.KILL, Capability.AUDIT_WRITE));
}
