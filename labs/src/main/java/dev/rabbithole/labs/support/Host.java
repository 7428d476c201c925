package dev.rabbithole.labs.support;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** Running a host tool ({@code ip}, {@code nsenter}) and failing loudly when it fails. */
public final class Host {
    private Host() {}

    /**
     * Runs a command and waits for it.
     *
     * @param command the command and its arguments
     * @return its standard output and error, merged
     * @throws IOException when it cannot start or exits non-zero (the message holds its output)
     * @throws InterruptedException when interrupted while waiting
     */
    public static String run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int code = p.waitFor();
        if (code != 0) throw new IOException(String.join(" ", List.of(command)) + " exited " + code + ": " + out.trim());
        return out;
    }
}
