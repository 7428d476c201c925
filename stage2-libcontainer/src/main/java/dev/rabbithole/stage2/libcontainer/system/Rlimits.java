package dev.rabbithole.stage2.libcontainer.system;

import java.util.Map;

/** Resource numbers for setrlimit(2) (asm-generic/resource.h; the same on x86_64 and aarch64). */
public final class Rlimits {
    private Rlimits() { }

    private static final Map<String, Integer> NUMBERS = Map.ofEntries(
            Map.entry("RLIMIT_CPU", 0), Map.entry("RLIMIT_FSIZE", 1), Map.entry("RLIMIT_DATA", 2),
            Map.entry("RLIMIT_STACK", 3), Map.entry("RLIMIT_CORE", 4), Map.entry("RLIMIT_RSS", 5),
            Map.entry("RLIMIT_NPROC", 6), Map.entry("RLIMIT_NOFILE", 7), Map.entry("RLIMIT_MEMLOCK", 8),
            Map.entry("RLIMIT_AS", 9), Map.entry("RLIMIT_LOCKS", 10), Map.entry("RLIMIT_SIGPENDING", 11),
            Map.entry("RLIMIT_MSGQUEUE", 12), Map.entry("RLIMIT_NICE", 13), Map.entry("RLIMIT_RTPRIO", 14),
            Map.entry("RLIMIT_RTTIME", 15));

    /**
     * @param name {@code RLIMIT_NOFILE} or {@code NOFILE}
     * @return the resource number
     * @throws IllegalArgumentException for an unknown name
     */
    public static int number(String name) {
        String key = name.startsWith("RLIMIT_") ? name : "RLIMIT_" + name;
        Integer n = NUMBERS.get(key);
        if (n == null) {
            throw new IllegalArgumentException("unknown rlimit " + name);
        }
        return n;
    }

    /**
     * @param number a resource number
     * @return its name, e.g. {@code RLIMIT_NOFILE}, or the number as text when unknown
     */
    public static String name(int number) {
        return NUMBERS.entrySet().stream().filter(e -> e.getValue() == number).map(Map.Entry::getKey)
                .findFirst().orElse(Integer.toString(number));
    }
}
