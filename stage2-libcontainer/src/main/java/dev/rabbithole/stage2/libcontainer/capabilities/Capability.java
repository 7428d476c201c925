package dev.rabbithole.stage2.libcontainer.capabilities;

import java.util.Locale;

/**
 * The Linux capabilities and their bit numbers, as capabilities(7) and linux/capability.h define them
 * (0 = {@code CAP_CHOWN} .. 40 = {@code CAP_CHECKPOINT_RESTORE}, Linux 5.9).
 */
public enum Capability {
    CHOWN(0), DAC_OVERRIDE(1), DAC_READ_SEARCH(2), FOWNER(3), FSETID(4), KILL(5), SETGID(6), SETUID(7),
    SETPCAP(8), LINUX_IMMUTABLE(9), NET_BIND_SERVICE(10), NET_BROADCAST(11), NET_ADMIN(12), NET_RAW(13),
    IPC_LOCK(14), IPC_OWNER(15), SYS_MODULE(16), SYS_RAWIO(17), SYS_CHROOT(18), SYS_PTRACE(19), SYS_PACCT(20),
    SYS_ADMIN(21), SYS_BOOT(22), SYS_NICE(23), SYS_RESOURCE(24), SYS_TIME(25), SYS_TTY_CONFIG(26), MKNOD(27),
    LEASE(28), AUDIT_WRITE(29), AUDIT_CONTROL(30), SETFCAP(31), MAC_OVERRIDE(32), MAC_ADMIN(33), SYSLOG(34),
    WAKE_ALARM(35), BLOCK_SUSPEND(36), AUDIT_READ(37), PERFMON(38), BPF(39), CHECKPOINT_RESTORE(40);

    /** The highest capability number this enum knows (linux/capability.h {@code CAP_LAST_CAP}). */
    public static final int LAST = 40;

    /** The bit number (capabilities(7)); bit {@code number} of the 64-bit masks in /proc/PID/status. */
    public final int number;

    Capability(int number) {
        this.number = number;
    }

    /** The bit of this capability in a 64-bit mask: {@code 1L << number}. */
    public long bit() {
        return 1L << number;
    }

    /** The kernel's name, with the prefix: {@code CAP_CHOWN}. */
    public String capName() {
        return "CAP_" + name();
    }

    /**
     * Parses a capability name as Docker's {@code --cap-add} takes it: with or without {@code CAP_}, any case.
     *
     * @param name e.g. {@code CAP_NET_ADMIN}, {@code net_admin}
     * @return the capability
     * @throws IllegalArgumentException an unknown name (message names it)
     */
    public static Capability parse(String name) {
        String n = name.trim().toUpperCase(Locale.ROOT);
        if (n.startsWith("CAP_")) {
            n = n.substring(4);
        }
        try {
            return valueOf(n);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown capability: " + name, e);
        }
    }

    /**
     * The capability with this bit number.
     *
     * @param number 0..{@link #LAST}
     * @throws IllegalArgumentException out of range
     */
    public static Capability ofNumber(int number) {
        if (number < 0 || number > LAST) {
            throw new IllegalArgumentException("no capability number " + number + " (0.." + LAST + ")");
        }
        return values()[number];
    }
}
