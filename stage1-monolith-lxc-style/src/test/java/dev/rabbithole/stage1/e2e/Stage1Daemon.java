package dev.rabbithole.stage1.e2e;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A stage-1 daemon started from the shaded jar, as a user starts it ({@code rabbithole stage1 daemon}),
 * on a temporary data root and socket; and the jar's client pointed at it.
 */
final class Stage1Daemon implements AutoCloseable {

    static final Path JAR = Path.of(System.getProperty("rabbithole.stage1.jar", "target/rabbithole-stage1.jar"));

    final Path dir;
    final Path dataRoot;
    final Path socket;
    private Process daemon;
    private final Path daemonLog;

    /** Words before {@code java -jar ...}: how the daemon is launched (a shell that ignores SIGINT, setsid). */
    private final List<String> launcher;

    Stage1Daemon(Path dir) throws IOException, InterruptedException {
        this(dir, List.of());
    }

    /**
     * @param dir      the temporary directory for the data root, the socket and the log
     * @param launcher words before {@code java -jar JAR daemon ...}, e.g. {@code setsid}
     */
    Stage1Daemon(Path dir, List<String> launcher) throws IOException, InterruptedException {
        this.launcher = launcher;
        this.dir = Files.createDirectories(dir);
        this.dataRoot = dir.resolve("data");
        this.socket = dir.resolve("docker.sock");
        this.daemonLog = dir.resolve("daemon.log");
        start();
    }

    String host() {
        return "unix://" + socket;
    }

    void start() throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(launcher);
        cmd.addAll(List.of("java", "-jar", JAR.toString(), "daemon", "--data-root", dataRoot.toString(), "--host", host()));
        daemon = new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(daemonLog.toFile()))
                .start();
        Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
        while (Instant.now().isBefore(deadline)) {
            if (!daemon.isAlive()) {
                throw new IllegalStateException("daemon exited with " + daemon.exitValue() + ":\n" + log());
            }
            if (Files.exists(socket) && client("version").exit() == 0) {
                return;
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("daemon did not answer within 60 s:\n" + log());
    }

    /** Stops the daemon with SIGTERM, as an administrator would, and waits for it. */
    void stop() throws InterruptedException {
        if (daemon != null && daemon.isAlive()) {
            daemon.destroy();
            if (!daemon.waitFor(60, TimeUnit.SECONDS)) {
                daemon.destroyForcibly();
                daemon.waitFor();
            }
        }
    }

    /**
     * Stops the daemon and removes the unpacked image layers from the data root. The busybox layer holds
     * some 400 absolute applet symlinks ({@code /bin/sh -> /bin/busybox}, as in Docker's busybox image);
     * JUnit's {@code @TempDir} cleanup would warn about each one as a link leaving the temporary directory.
     */
    void stopAndRemoveLayers() throws InterruptedException, IOException {
        stop();
        dev.rabbithole.stage1.storage.FileTrees.deleteRecursively(dataRoot.resolve("image").resolve("layers"));
    }

    /** Kills the daemon with SIGKILL, as a crash would. */
    void crash() throws InterruptedException {
        daemon.destroyForcibly();
        daemon.waitFor();
    }

    long pid() {
        return daemon.pid();
    }

    /** @return the daemon process, to wait for its end */
    Process process() {
        return daemon;
    }

    String log() {
        try {
            return Files.readString(daemonLog);
        } catch (IOException e) {
            return "(no daemon log: " + e + ")";
        }
    }

    /** Runs the stage-1 client: {@code java -jar rabbithole-stage1.jar -H unix://SOCK ARGS}. */
    Result client(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("java", "-jar", JAR.toString(), "-H", host()));
        cmd.addAll(List.of(args));
        return exec(cmd);
    }

    /** Runs the real docker CLI against this daemon: {@code docker -H unix://SOCK ARGS}. */
    Result docker(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("docker", "-H", host()));
        cmd.addAll(List.of(args));
        return exec(cmd);
    }

    /** Runs the real docker CLI against this daemon with {@code stdin} as its standard input. */
    Result dockerWithInput(Path stdin, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("docker", "-H", host()));
        cmd.addAll(List.of(args));
        return exec(cmd, stdin);
    }

    static Result exec(List<String> cmd) throws IOException, InterruptedException {
        return exec(cmd, Path.of("/dev/null"));
    }

    static Result exec(List<String> cmd, Path stdin) throws IOException, InterruptedException {
        Path out = Files.createTempFile("rh-out", ".txt");
        Path err = Files.createTempFile("rh-err", ".txt");
        try {
            Process p = new ProcessBuilder(cmd)
                    .redirectInput(ProcessBuilder.Redirect.from(stdin.toFile()))
                    .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                p.waitFor();
                throw new IllegalStateException("timed out: " + cmd);
            }
            return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }

    /** What a command printed and returned. */
    record Result(int exit, String out, String err) {
        @Override
        public String toString() {
            return "exit " + exit + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }
}
