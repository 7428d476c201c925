package dev.rabbithole.stage1.daemon;

import java.time.Instant;
import java.util.Locale;

/**
 * The daemon's own log: one line per event on stderr, {@code TIME LEVEL message}. The level comes from the
 * system property {@code rabbithole.log.level} ({@code debug}, {@code info} (default), {@code warn}).
 */
public final class EngineLog {
    private EngineLog() { }

    private static final int LEVEL = switch (System.getProperty("rabbithole.log.level", "info")
            .toLowerCase(Locale.ROOT)) {
        case "debug" -> 0;
        case "warn", "warning" -> 2;
        case "error", "off" -> 3;
        default -> 1;
    };

    /** @return whether {@link #debug} lines are logged: worth computing a costly debug line only then */
    public static boolean debugEnabled() {
        return LEVEL == 0;
    }

    /** @param message one line, logged when the level is debug */
    public static void debug(String message) { log(0, "debug", message); }

    /** @param message one line, logged at info and debug level */
    public static void info(String message) { log(1, "info", message); }

    /** @param message one line, logged unless the level is error/off */
    public static void warn(String message) { log(2, "warn", message); }

    private static void log(int level, String name, String message) {
        if (level >= LEVEL) {
            System.err.println(Instant.now() + " " + name + " " + message);
        }
    }
}
