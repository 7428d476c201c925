package dev.rabbithole.stage1.daemon;

import dev.rabbithole.stage1.errdefs.InvalidParameterException;

import java.util.Locale;
import java.util.Map;

/** Signal names and numbers on Linux x86-64 and arm64 (signal(7)), as {@code docker kill --signal} takes them. */
public final class Signals {
    private Signals() { }

    /** SIGKILL, 9 */
    public static final int SIGKILL = 9;
    /** SIGTERM, 15 */
    public static final int SIGTERM = 15;

    private static final Map<String, Integer> NUMBERS = Map.ofEntries(
            Map.entry("HUP", 1), Map.entry("INT", 2), Map.entry("QUIT", 3), Map.entry("ILL", 4),
            Map.entry("TRAP", 5), Map.entry("ABRT", 6), Map.entry("IOT", 6), Map.entry("BUS", 7),
            Map.entry("FPE", 8), Map.entry("KILL", 9), Map.entry("USR1", 10), Map.entry("SEGV", 11),
            Map.entry("USR2", 12), Map.entry("PIPE", 13), Map.entry("ALRM", 14), Map.entry("TERM", 15),
            Map.entry("STKFLT", 16), Map.entry("CHLD", 17), Map.entry("CONT", 18), Map.entry("STOP", 19),
            Map.entry("TSTP", 20), Map.entry("TTIN", 21), Map.entry("TTOU", 22), Map.entry("URG", 23),
            Map.entry("XCPU", 24), Map.entry("XFSZ", 25), Map.entry("VTALRM", 26), Map.entry("PROF", 27),
            Map.entry("WINCH", 28), Map.entry("IO", 29), Map.entry("POLL", 29), Map.entry("PWR", 30),
            Map.entry("SYS", 31));

    /**
     * Parses a signal as {@code docker kill} accepts it.
     *
     * @param signal {@code SIGTERM}, {@code TERM}, {@code term} or {@code 15}; null or empty means SIGKILL
     * @return the signal number, 1..64
     * @throws InvalidParameterException an unknown name or a number out of range
     */
    public static int parse(String signal) {
        if (signal == null || signal.isEmpty()) {
            return SIGKILL;
        }
        String s = signal.toUpperCase(Locale.ROOT);
        try {
            int n = Integer.parseInt(s);
            if (n >= 1 && n <= 64) {
                return n;
            }
        } catch (NumberFormatException notANumber) {
            String name = s.startsWith("SIG") ? s.substring(3) : s;
            Integer n = NUMBERS.get(name);
            if (n != null) {
                return n;
            }
        }
        throw new InvalidParameterException("Invalid signal: " + signal);
    }
}
