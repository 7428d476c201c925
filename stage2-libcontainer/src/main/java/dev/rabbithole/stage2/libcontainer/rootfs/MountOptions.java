package dev.rabbithole.stage2.libcontainer.rootfs;

import dev.rabbithole.stage2.libcontainer.system.MountFlags;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * mount(8)-style options split into mount(2) flags, propagation flags and the filesystem data string, as the
 * runtime-spec's "mounts[].options".
 *
 * @param flags       {@code MS_*} flags (ro, nosuid, nodev, noexec, bind, rec, ...)
 * @param clearFlags  flags the options turn off explicitly (rw, suid, dev, exec)
 * @param propagation {@code MS_PRIVATE|MS_SLAVE|MS_SHARED|MS_UNBINDABLE} with {@code MS_REC}, or 0
 * @param data        comma-joined options the kernel passes to the filesystem ({@code mode=755}), or null
 */
public record MountOptions(long flags, long clearFlags, long propagation, String data) {

    private static final Map<String, Long> SET = Map.ofEntries(
            Map.entry("ro", MountFlags.MS_RDONLY), Map.entry("nosuid", MountFlags.MS_NOSUID),
            Map.entry("nodev", MountFlags.MS_NODEV), Map.entry("noexec", MountFlags.MS_NOEXEC),
            Map.entry("sync", MountFlags.MS_SYNCHRONOUS), Map.entry("noatime", MountFlags.MS_NOATIME),
            Map.entry("relatime", MountFlags.MS_RELATIME), Map.entry("strictatime", MountFlags.MS_STRICTATIME),
            Map.entry("bind", MountFlags.MS_BIND), Map.entry("rbind", MountFlags.MS_BIND | MountFlags.MS_REC));
    private static final Map<String, Long> CLEAR = Map.of(
            "rw", MountFlags.MS_RDONLY, "suid", MountFlags.MS_NOSUID, "dev", MountFlags.MS_NODEV,
            "exec", MountFlags.MS_NOEXEC);
    private static final Map<String, Long> PROPAGATION = Map.of(
            "private", MountFlags.MS_PRIVATE, "rprivate", MountFlags.MS_PRIVATE | MountFlags.MS_REC,
            "slave", MountFlags.MS_SLAVE, "rslave", MountFlags.MS_SLAVE | MountFlags.MS_REC,
            "shared", MountFlags.MS_SHARED, "rshared", MountFlags.MS_SHARED | MountFlags.MS_REC,
            "unbindable", MountFlags.MS_UNBINDABLE, "runbindable", MountFlags.MS_UNBINDABLE | MountFlags.MS_REC);

    /**
     * @param options mount(8) option words; null for none
     * @return the split options
     */
    public static MountOptions parse(List<String> options) {
        long flags = 0;
        long clear = 0;
        long propagation = 0;
        List<String> data = new ArrayList<>();
        for (String o : options == null ? List.<String>of() : options) {
            if (SET.containsKey(o)) {
                flags |= SET.get(o);
            } else if (CLEAR.containsKey(o)) {
                clear |= CLEAR.get(o);
            } else if (PROPAGATION.containsKey(o)) {
                propagation |= PROPAGATION.get(o);
            } else if (!o.equals("defaults")) {
                data.add(o);
            }
        }
        return new MountOptions(flags & ~clear, clear, propagation, data.isEmpty() ? null : String.join(",", data));
    }

    /** @return whether this is a bind mount (bind or rbind) */
    public boolean isBind() {
        return (flags & MountFlags.MS_BIND) != 0;
    }
}
