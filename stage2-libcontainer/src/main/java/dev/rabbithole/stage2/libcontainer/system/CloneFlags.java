package dev.rabbithole.stage2.libcontainer.system;

import dev.rabbithole.stage2.libcontainer.configs.NamespaceType;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Flags for unshare(2), setns(2) and clone(2) (linux/sched.h). The namespace flags are on
 * {@link NamespaceType#cloneFlag}.
 */
public final class CloneFlags {
    private CloneFlags() { }

    /** unshare the filesystem attributes (root, cwd, umask); needed before setns into a mount namespace */
    public static final int CLONE_FS = 0x00000200;

    /**
     * @param types namespaces
     * @return the OR of their {@code CLONE_NEW*} flags
     */
    public static int of(Set<NamespaceType> types) {
        int flags = 0;
        for (NamespaceType t : types) {
            flags |= t.cloneFlag;
        }
        return flags;
    }

    /**
     * Renders clone flags for people, e.g. {@code CLONE_NEWNS|CLONE_NEWPID}.
     *
     * @param flags a clone(2) flag word
     * @return the names joined by {@code |}, unknown bits in hex
     */
    public static String describe(int flags) {
        List<String> parts = new ArrayList<>();
        int rest = flags;
        if ((rest & CLONE_FS) != 0) {
            parts.add("CLONE_FS");
            rest &= ~CLONE_FS;
        }
        for (NamespaceType t : NamespaceType.values()) {
            if ((rest & t.cloneFlag) != 0) {
                parts.add(t == NamespaceType.MOUNT ? "CLONE_NEWNS" : "CLONE_NEW" + t.name());
                rest &= ~t.cloneFlag;
            }
        }
        if (rest != 0) {
            parts.add("0x" + Integer.toHexString(rest));
        }
        return parts.isEmpty() ? "0" : String.join("|", parts);
    }
}
