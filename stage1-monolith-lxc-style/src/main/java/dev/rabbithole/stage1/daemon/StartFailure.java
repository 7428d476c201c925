package dev.rabbithole.stage1.daemon;

import java.util.Locale;

/**
 * The exit code Docker records for a container whose start failed (moby's daemon, translating the runtime's
 * start error in {@code daemon/start.go}): the container keeps its status ({@code created} for a new one),
 * {@code State.Error} holds the message and {@code State.ExitCode} says what kind of failure it was.
 */
public final class StartFailure {
    /** Any other start error: the runtime or a driver failed. */
    public static final int OTHER = 128;
    /** The program was not found ({@code no such file or directory}, {@code executable file not found}). */
    public static final int NOT_FOUND = 127;
    /** The program could not be invoked ({@code permission denied}). */
    public static final int CANNOT_INVOKE = 126;

    private StartFailure() { }

    /**
     * Classifies a start error as Docker 20.10 does: 127 when the message names the program and says it was not
     * found, 126 when it says permission denied (EACCES), 127 for "not a directory" (ENOTDIR), else 128.
     *
     * @param message the start error's text
     * @param program the container's program ({@code Path}), may be null
     * @return 126, 127 or 128
     */
    public static int exitCode(String message, String program) {
        String m = message == null ? "" : message.toLowerCase(Locale.ROOT);
        int code = OTHER;
        if (program != null && m.contains(program.toLowerCase(Locale.ROOT))
                && (m.contains("executable file not found") || m.contains("no such file or directory")
                || m.contains("system error: exec"))) {
            code = NOT_FOUND;
        }
        if (m.contains("permission denied")) {
            code = CANNOT_INVOKE;
        }
        if (m.contains("not a directory")) {
            code = NOT_FOUND;
        }
        return code;
    }
}
