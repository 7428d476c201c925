package dev.rabbithole.stage2.libcontainer.system;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Flags for mount(2) ({@code MS_*}, linux/mount.h) and umount2(2) ({@code MNT_*}).
 */
public final class MountFlags {
    private MountFlags() { }

    /** mount read-only */
    public static final long MS_RDONLY = 1;
    /** ignore set-user-ID and set-group-ID bits */
    public static final long MS_NOSUID = 2;
    /** no device files */
    public static final long MS_NODEV = 4;
    /** no program execution */
    public static final long MS_NOEXEC = 8;
    /** writes are synchronous */
    public static final long MS_SYNCHRONOUS = 16;
    /** change flags of an existing mount */
    public static final long MS_REMOUNT = 32;
    /** do not update access times */
    public static final long MS_NOATIME = 1024;
    /** bind mount: make a file or directory visible at another place */
    public static final long MS_BIND = 4096;
    /** move a mount */
    public static final long MS_MOVE = 8192;
    /** recursive: applies to the whole subtree (rbind, rprivate) */
    public static final long MS_REC = 16384;
    /** propagation type: receive no events, send none */
    public static final long MS_PRIVATE = 1 << 18;
    /** propagation type: receive events, send none */
    public static final long MS_SLAVE = 1 << 19;
    /** propagation type: share events with the peer group */
    public static final long MS_SHARED = 1 << 20;
    /** propagation type: private and cannot be bind-mounted */
    public static final long MS_UNBINDABLE = 1 << 17;
    /** update access times relative to modification time */
    public static final long MS_RELATIME = 1 << 21;
    /** always update access times */
    public static final long MS_STRICTATIME = 1 << 24;

    /** umount2(2): lazy unmount, detach now, clean up when no longer busy */
    public static final int MNT_DETACH = 2;
    /** umount2(2): force */
    public static final int MNT_FORCE = 1;

    private static final Map<Long, String> NAMES = new LinkedHashMap<>();

    static {
        NAMES.put(MS_RDONLY, "MS_RDONLY");
        NAMES.put(MS_NOSUID, "MS_NOSUID");
        NAMES.put(MS_NODEV, "MS_NODEV");
        NAMES.put(MS_NOEXEC, "MS_NOEXEC");
        NAMES.put(MS_SYNCHRONOUS, "MS_SYNCHRONOUS");
        NAMES.put(MS_REMOUNT, "MS_REMOUNT");
        NAMES.put(MS_NOATIME, "MS_NOATIME");
        NAMES.put(MS_BIND, "MS_BIND");
        NAMES.put(MS_MOVE, "MS_MOVE");
        NAMES.put(MS_REC, "MS_REC");
        NAMES.put(MS_UNBINDABLE, "MS_UNBINDABLE");
        NAMES.put(MS_PRIVATE, "MS_PRIVATE");
        NAMES.put(MS_SLAVE, "MS_SLAVE");
        NAMES.put(MS_SHARED, "MS_SHARED");
        NAMES.put(MS_RELATIME, "MS_RELATIME");
        NAMES.put(MS_STRICTATIME, "MS_STRICTATIME");
    }

    /**
     * Renders mount flags for people, e.g. {@code MS_BIND|MS_REC}; {@code 0} for none.
     *
     * @param flags a mount(2) flag word
     * @return the flag names joined by {@code |}, unknown bits in hex
     */
    public static String describe(long flags) {
        if (flags == 0) {
            return "0";
        }
        List<String> parts = new ArrayList<>();
        long rest = flags;
        for (Map.Entry<Long, String> e : NAMES.entrySet()) {
            if ((rest & e.getKey()) != 0) {
                parts.add(e.getValue());
                rest &= ~e.getKey();
            }
        }
        if (rest != 0) {
            parts.add("0x" + Long.toHexString(rest));
        }
        return String.join("|", parts);
    }
}
