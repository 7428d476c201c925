package dev.rabbithole.stage1.storage;

import dev.rabbithole.stage1.errdefs.SystemException;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Runs host tools the way a 2013 engine did: by shelling out ({@code mount}, {@code umount},
 * {@code mknod}, {@code setfattr}). Stage 1 has no native-call library; stage 2 replaces these with syscalls.
 */
public final class HostCommands {

    private HostCommands() { }

    /**
     * What a finished command left behind.
     *
     * @param exitCode the process exit status (0 is success)
     * @param stdout   everything it wrote to standard output, UTF-8
     * @param stderr   everything it wrote to standard error, UTF-8, trimmed
     */
    public record Result(int exitCode, String stdout, String stderr) {
        /** @return true when the exit status is 0 */
        public boolean ok() { return exitCode == 0; }
    }

    /**
     * Runs {@code argv} (no shell) and waits for it.
     *
     * @param argv      the program and its arguments, e.g. {@code ["mount", "-t", "overlay", ...]}
     * @param directory working directory, or null for the JVM's
     * @return exit status and output
     * @throws SystemException the program could not be started (missing binary) or the wait was interrupted
     */
    public static Result run(List<String> argv, Path directory) {
        ProcessBuilder pb = new ProcessBuilder(argv).redirectInput(ProcessBuilder.Redirect.PIPE);
        if (directory != null) pb.directory(directory.toFile());
        try {
            Process p = pb.start();
            p.getOutputStream().close();
            CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> readAll(p.getErrorStream()));
            String out = readAll(p.getInputStream());
            int rc = p.waitFor();
            return new Result(rc, out, err.join().trim());
        } catch (IOException e) {
            throw new SystemException("cannot run " + argv.get(0) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SystemException("interrupted while running " + argv.get(0), e);
        }
    }

    /** {@link #run(List, Path)} in the JVM's working directory. */
    public static Result run(String... argv) {
        return run(List.of(argv), null);
    }

    /**
     * Finds an executable like {@code which(1)}: each {@code PATH} directory, then the sbin and bin
     * directories (the daemon may run with a short PATH).
     *
     * @param name a program name without slash, e.g. {@code setfattr}
     * @return its absolute path, or empty when no executable of that name exists
     */
    public static Optional<Path> which(String name) {
        List<String> dirs = new ArrayList<>();
        String path = System.getenv("PATH");
        if (path != null) dirs.addAll(List.of(path.split(":")));
        dirs.addAll(List.of("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"));
        for (String d : dirs) {
            if (d.isEmpty()) continue;
            Path p = Paths.get(d, name);
            if (Files.isRegularFile(p) && Files.isExecutable(p)) return Optional.of(p.toAbsolutePath());
        }
        return Optional.empty();
    }

    /** @return true when this process runs with effective uid 0 (owner of {@code /proc/self}) */
    public static boolean isRoot() {
        try {
            return ((Integer) Files.getAttribute(Paths.get("/proc/self"), "unix:uid")) == 0;
        } catch (IOException | UnsupportedOperationException e) {
            return "root".equals(System.getProperty("user.name"));
        }
    }

    private static String readAll(InputStream in) {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
