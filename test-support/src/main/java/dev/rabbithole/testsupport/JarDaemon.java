package dev.rabbithole.testsupport;

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
 * A stage's daemon started from its shaded jar as a user starts it ({@code java -jar JAR daemon --data-root DIR/data
 * --host unix://DIR/docker.sock ...}), on a temporary directory of the test's; its log is {@code DIR/daemon.log}.
 * A stage adds its own flags ({@link #daemonArgs}); the jar's client and the docker CLI are pointed at it. The
 * constructor does not start it: the subclass calls {@link #start} once its fields are set.
 */
public abstract class JarDaemon implements AutoCloseable {

    /** The stage's shaded jar. */
    public final Path jar;
    /** The test's directory: data root, socket and log below it. */
    public final Path dir;
    /** {@code DIR/data}. */
    public final Path dataRoot;
    /** {@code DIR/docker.sock}. */
    public final Path socket;
    private final Path daemonLog;
    /** Words before {@code java -jar ...}: how the daemon is launched (e.g. {@code setsid}). */
    private final List<String> launcher;
    private Process daemon;

    /**
     * @param jar      the stage's shaded jar
     * @param dir      the directory for the data root, the socket and the log (created if missing)
     * @param launcher words before {@code java -jar JAR daemon ...}, e.g. {@code setsid}; empty for none
     * @throws IOException the directory cannot be created
     */
    protected JarDaemon(Path jar, Path dir, List<String> launcher) throws IOException {
        this.jar = jar;
        this.launcher = List.copyOf(launcher);
        this.dir = Files.createDirectories(dir);
        this.dataRoot = dir.resolve("data");
        this.socket = dir.resolve("docker.sock");
        this.daemonLog = dir.resolve("daemon.log");
    }

    /** @return the flags after {@code --data-root D --host H}, e.g. stage 2's {@code --exec-driver native} */
    protected List<String> daemonArgs() {
        return List.of();
    }

    /** @return true when the tests run as root (what starting containers needs) */
    public static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    /** @return {@code unix://} and the socket's path, for {@code -H} */
    public String host() {
        return "unix://" + socket;
    }

    /**
     * Starts the daemon (its output appended to the log) and waits until its socket exists and the jar's client
     * gets an answer to {@code version}.
     *
     * @throws IllegalStateException it exited, or did not answer within 60 s (with its log)
     */
    public void start() throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(launcher);
        cmd.addAll(List.of("java", "-jar", jar.toString(), "daemon", "--data-root", dataRoot.toString(), "--host", host()));
        cmd.addAll(daemonArgs());
        if (!daemonArgs().contains("--bridge") && launcher.stream().noneMatch(w -> w.startsWith("--net="))) {
            // a daemon in the host's network namespace gets no bridge and no rules there (dockerd's --bridge=none);
            // networking tests start theirs in a namespace of their own (NetworkNamespace#launcher)
            cmd.addAll(List.of("--bridge", "none"));
        }
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

    /** Stops the daemon with SIGTERM, as an administrator would, and waits for it (SIGKILL after 60 s). */
    public void stop() throws InterruptedException {
        if (daemon != null && daemon.isAlive()) {
            daemon.destroy();
            if (!daemon.waitFor(60, TimeUnit.SECONDS)) {
                daemon.destroyForcibly();
                daemon.waitFor();
            }
        }
    }

    /**
     * Stops the daemon and removes the unpacked image layers from the data root. The busybox layer holds some 400
     * absolute applet symlinks ({@code /bin/sh -> /bin/busybox}); JUnit's {@code @TempDir} cleanup would warn about
     * each one as a link leaving the temporary directory.
     */
    public void stopAndRemoveLayers() throws InterruptedException, IOException {
        stop();
        HostFiles.deleteRecursively(dataRoot.resolve("image").resolve("layers"));
    }

    /** Kills the daemon with SIGKILL, as a crash would, and waits for its end. */
    public void crash() throws InterruptedException {
        daemon.destroyForcibly();
        daemon.waitFor();
    }

    /** @return the daemon's pid */
    public long pid() {
        return daemon.pid();
    }

    /** @return the daemon process, to wait for its end */
    public Process process() {
        return daemon;
    }

    /** @return the daemon's output so far, or a line saying why there is none */
    public String log() {
        try {
            return Files.readString(daemonLog);
        } catch (IOException e) {
            return "(no daemon log: " + e + ")";
        }
    }

    /** Runs the stage's client: {@code java -jar JAR -H unix://SOCK ARGS}. */
    public Result client(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("java", "-jar", jar.toString(), "-H", host()));
        cmd.addAll(List.of(args));
        return exec(cmd);
    }

    /** Runs the real docker CLI against this daemon: {@code docker -H unix://SOCK ARGS}. */
    public Result docker(String... args) throws IOException, InterruptedException {
        return dockerWithInput(Path.of("/dev/null"), args);
    }

    /** Runs the real docker CLI against this daemon with {@code stdin} as its standard input. */
    public Result dockerWithInput(Path stdin, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("docker", "-H", host()));
        cmd.addAll(List.of(args));
        return exec(cmd, stdin);
    }

    /** {@link #exec(List, Path)} with {@code /dev/null} as standard input. */
    public static Result exec(List<String> cmd) throws IOException, InterruptedException {
        return exec(cmd, Path.of("/dev/null"));
    }

    /**
     * Runs a command to its end and collects what it printed.
     *
     * @throws IllegalStateException it ran longer than 120 s (then it is killed)
     */
    public static Result exec(List<String> cmd, Path stdin) throws IOException, InterruptedException {
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

    /** Stops the daemon ({@link #stop}). */
    @Override
    public void close() throws InterruptedException, IOException {
        stop();
    }

    /**
     * What a command printed and returned.
     *
     * @param exit its exit status
     * @param out  its standard output (UTF-8)
     * @param err  its standard error (UTF-8)
     */
    public record Result(int exit, String out, String err) {
        @Override
        public String toString() {
            return "exit " + exit + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }
}
