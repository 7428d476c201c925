package dev.rabbithole.stage1.security;

import dev.rabbithole.stage1.errdefs.InvalidParameterException;

import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Linux capabilities by name and number (capabilities(7), {@code linux/capability.h}), and
 * Docker's default set (moby {@code oci/caps/defaults.go}).
 */
public final class Capabilities {
    private Capabilities() { }

    /** Every capability of capabilities(7), name without {@code CAP_} to bit number, in bit order. */
    public static final Map<String, Integer> ALL;

    static {
        String[] names = {
            "CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID",
            "SETPCAP", "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW",
            "IPC_LOCK", "IPC_OWNER", "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT",
            "SYS_ADMIN", "SYS_BOOT", "SYS_NICE", "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD",
            "LEASE", "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP", "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG",
            "WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF", "CHECKPOINT_RESTORE"};
        Map<String, Integer> all = new LinkedHashMap<>();
        for (int i = 0; i < names.length; i++) {
            all.put(names[i], i);
        }
        ALL = Collections.unmodifiableMap(all);
    }

    /** Docker's default 14 capabilities, names without {@code CAP_}. */
    public static final Set<String> DOCKER_DEFAULT = Collections.unmodifiableSet(new TreeSet<>(List.of(
            "CHOWN", "DAC_OVERRIDE", "FSETID", "FOWNER", "MKNOD", "NET_RAW", "SETGID", "SETUID", "SETFCAP",
            "SETPCAP", "NET_BIND_SERVICE", "SYS_CHROOT", "KILL", "AUDIT_WRITE")));

    /**
     * The capabilities that a container keeps: Docker's default set, plus {@code add}, minus {@code drop}
     * (moby {@code oci/caps.TweakCapabilities}: {@code ALL} in add starts from every capability, {@code ALL}
     * in drop starts from none, then the explicit adds apply).
     *
     * @param add        {@code --cap-add} values, with or without {@code CAP_}, any case, or {@code ALL}; may be null
     * @param drop       {@code --cap-drop} values, likewise; may be null
     * @param privileged {@code --privileged}: every capability, add and drop ignored
     * @return names without {@code CAP_}, upper case, sorted, e.g. {@code CHOWN}
     * @throws InvalidParameterException an unknown capability name ({@code unknown capability: "CAP_FOO"})
     */
    public static Set<String> resolve(List<String> add, List<String> drop, boolean privileged) {
        List<String> adds = normalize(add);
        List<String> drops = normalize(drop);
        if (privileged) {
            return Collections.unmodifiableSet(new TreeSet<>(ALL.keySet()));
        }
        Set<String> result = new TreeSet<>(DOCKER_DEFAULT);
        if (adds.contains("ALL")) {
            result.addAll(ALL.keySet());
        }
        if (drops.contains("ALL")) {
            result.clear();
        } else {
            result.removeAll(drops);
        }
        for (String a : adds) {
            if (!a.equals("ALL")) {
                result.add(a);
            }
        }
        return Collections.unmodifiableSet(result);
    }

    /**
     * The bit mask of a capability set as {@code /proc/PID/status} prints {@code CapEff}: 16 hex digits.
     * Docker's default set gives {@code 00000000a80425fb}.
     *
     * @param capabilities names without {@code CAP_} (as {@link #resolve} returns)
     * @throws InvalidParameterException an unknown capability name
     */
    public static String capEffHex(Collection<String> capabilities) {
        long mask = 0;
        for (String c : normalize(List.copyOf(capabilities))) {
            mask |= c.equals("ALL") ? (1L << ALL.size()) - 1 : 1L << ALL.get(c);
        }
        return String.format("%016x", mask);
    }

    private static List<String> normalize(List<String> names) {
        if (names == null) {
            return List.of();
        }
        return names.stream().map(Capabilities::normalize).toList();
    }

    private static String normalize(String name) {
        String upper = name.trim().toUpperCase(Locale.ROOT);
        String bare = upper.startsWith("CAP_") ? upper.substring(4) : upper;
        if (!bare.equals("ALL") && !ALL.containsKey(bare)) {
            throw new InvalidParameterException("unknown capability: \"CAP_" + bare + "\"");
        }
        return bare;
    }
}
