package dev.rabbithole.stage1.client;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The client's terminal in raw mode while {@code run -t}, {@code exec -t} or {@code attach} to a TTY container is
 * connected, as the docker CLI puts it (no echo, no line editing, Ctrl-C passed through as a byte): done with
 * stty(1) on {@code /dev/tty} ({@code stty -g} saves the settings, {@code stty raw -echo} sets them, the saved
 * string restores them), and {@code stty size} for the window size (rows and columns). Nothing happens when the
 * client has no terminal (stdin piped): {@link #enter()} then returns null.
 */
final class RawTerminal implements AutoCloseable {
    private static final File TTY = new File("/dev/tty");

    private final String saved;

    private RawTerminal(String saved) {
        this.saved = saved;
    }

    /** @return the terminal in raw mode, or null when there is no terminal or stty fails */
    static RawTerminal enter() {
        if (System.console() == null || !TTY.exists()) {
            return null;
        }
        String saved = stty("-g");
        if (saved == null || stty("raw", "-echo") == null) {
            return null;
        }
        return new RawTerminal(saved.trim());
    }

    /** @return {rows, columns} of the client's terminal, or null when unknown */
    static int[] size() {
        String out = System.console() == null ? null : stty("size");
        if (out == null) {
            return null;
        }
        String[] parts = out.trim().split("\\s+");
        try {
            return parts.length == 2 ? new int[] {Integer.parseInt(parts[0]), Integer.parseInt(parts[1])} : null;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** Restores the settings saved by {@link #enter()}. */
    @Override
    public void close() {
        stty(saved);
    }

    private static String stty(String... args) {
        List<String> cmd = new java.util.ArrayList<>(List.of("stty"));
        cmd.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(cmd).redirectInput(TTY).redirectError(ProcessBuilder.Redirect.DISCARD)
                    .start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(5, TimeUnit.SECONDS) || p.exitValue() != 0) {
                return null;
            }
            return out;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }
}
