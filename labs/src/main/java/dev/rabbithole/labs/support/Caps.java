package dev.rabbithole.labs.support;

import java.util.List;

/** Capability numbers by name (linux/capability.h, capabilities(7)). */
public final class Caps {
    private Caps() {}

    private static final List<String> NAMES = List.of("CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH",
            "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP",
            "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW",
            "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT",
            "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
            "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
            "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN",
            "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF",
            "CAP_CHECKPOINT_RESTORE");

    /** Docker's default capability set (moby's oci/caps/defaults.go lists the same 14). */
    public static final List<String> DOCKER_DEFAULT = List.of("CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID",
            "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP",
            "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE");

    /**
     * @param name "CAP_CHOWN" or "chown"
     * @return its number
     * @throws IllegalArgumentException for an unknown name
     */
    public static int number(String name) {
        String n = name.toUpperCase();
        int i = NAMES.indexOf(n.startsWith("CAP_") ? n : "CAP_" + n);
        if (i < 0) throw new IllegalArgumentException("unknown capability " + name);
        return i;
    }

    /**
     * @return the highest capability number this kernel knows (/proc/sys/kernel/cap_last_cap)
     */
    public static int last() {
        try {
            // not Files.readString: on this sysctl file it returned "4" for "40" (JDK 17, a short first read)
            return Integer.parseInt(java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/sys/kernel/cap_last_cap")).get(0).trim());
        } catch (java.io.IOException e) {
            return NAMES.size() - 1;
        }
    }

    /**
     * @param names capability names
     * @return the 64-bit mask with their bits set, as /proc/PID/status shows CapEff
     */
    public static long mask(List<String> names) {
        long m = 0;
        for (String n : names) m |= 1L << number(n);
        return m;
    }
}
