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

    /**
     * Runs a command and says whether it succeeded, never throwing on its failure (for "does this exist?" questions,
     * such as {@code ip -n NS link show dev BRIDGE} or whether {@code nft} is installed).
     *
     * @param command the command and its arguments
     * @return true when it started and exited 0
     * @throws InterruptedException when interrupted while waiting
     */
    public static boolean ok(String... command) throws InterruptedException {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            p.getOutputStream().close();
            p.getInputStream().readAllBytes();
            return p.waitFor() == 0;
        } catch (IOException e) {
            return false;
        }
    }
}
