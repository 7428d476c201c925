package dev.rabbithole.stage2.e2e;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A stage-2 daemon started from the shaded jar as a user starts it ({@code rabbithole stage2 daemon
 * [--exec-driver lxc]}), on a temporary data root and socket and a short exec root under /run (the init's
 * socket path must fit in 107 bytes); and the jar's client and the docker CLI pointed at it.
 */
final class Stage2Daemon implements AutoCloseable {

    static final Path JAR = Path.of(System.getProperty("rabbithole.stage2.jar", "target/rabbithole-stage2.jar"));
    private static final Pattern STARTED = Pattern.compile("POST /v[0-9.]+/containers/([0-9a-f]{64})/start ");

    final Path dir;
    final Path dataRoot;
    final Path socket;
    final Path execRoot;
    final String driver;
    private Process daemon;
    private final Path daemonLog;

    /**
     * @param dir    an empty temporary directory
     * @param driver {@code native} or {@code lxc}
     */
    Stage2Daemon(Path dir, String driver) throws IOException, InterruptedException {
        this.dir = dir;
        this.driver = driver;
        this.dataRoot = dir.resolve("data");
        this.socket = dir.resolve("docker.sock");
        this.daemonLog = dir.resolve("daemon.log");
        this.execRoot = shortRunDir();
        start();
    }

    static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    /** @return the daemon's pid */
    long pid() {
        return daemon.pid();
    }

    String host() {
        return "unix://" + socket;
    }

    void start() throws IOException, InterruptedException {
        daemon = new ProcessBuilder("java", "-jar", JAR.toString(), "daemon", "--data-root", dataRoot.toString(),
                "--host", host(), "--exec-root", execRoot.toString(), "--exec-driver", driver)
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

    /** Stops the daemon with SIGTERM and waits for it. */
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
     * Stops the daemon and removes the unpacked image layers, whose ~400 absolute busybox applet links would
     * each make JUnit's {@code @TempDir} cleanup warn about a link leaving the temporary directory.
     */
    void stopAndRemoveLayers() throws InterruptedException, java.io.IOException {
        stop();
        dev.rabbithole.stage1.storage.FileTrees.deleteRecursively(dataRoot.resolve("image").resolve("layers"));
    }

    /** @return the daemon's pid */
    String log() {
        try {
            return Files.readString(daemonLog);
        } catch (IOException e) {
            return "(no daemon log: " + e + ")";
        }
    }

    /** @return the IDs of every container the daemon started, from its request log */
    Set<String> startedIds() {
        Set<String> ids = new LinkedHashSet<>();
        Matcher m = STARTED.matcher(log());
        while (m.find()) {
            ids.add(m.group(1));
        }
        return ids;
    }

    /** Runs the stage-2 client: {@code java -jar rabbithole-stage2.jar -H unix://SOCK ARGS}. */
    Result client(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("java", "-jar", JAR.toString(), "-H", host()));
        cmd.addAll(List.of(args));
        return exec(cmd);
    }

    /** {@code client("run", args...)}. */
    Result run(String... args) throws IOException, InterruptedException {
        String[] full = new String[args.length + 1];
        full[0] = "run";
        System.arraycopy(args, 0, full, 1, args.length);
        return client(full);
    }

    /** Runs the real docker CLI against this daemon: {@code docker -H unix://SOCK ARGS}. */
    Result docker(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("docker", "-H", host()));
        cmd.addAll(List.of(args));
        return exec(cmd);
    }

    static Result exec(List<String> cmd) throws IOException, InterruptedException {
        Path out = Files.createTempFile("rh-out", ".txt");
        Path err = Files.createTempFile("rh-err", ".txt");
        try {
            Process p = new ProcessBuilder(cmd)
                    .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
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

    /** Stops the daemon and removes the exec root (the data root is a JUnit temporary directory). */
    @Override
    public void close() throws InterruptedException, IOException {
        stopAndRemoveLayers();
        if (Files.exists(execRoot)) {
            try (Stream<Path> walk = Files.walk(execRoot)) {
                for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    /** {@code /run/rh-XXXXXX}. */
    private static Path shortRunDir() throws IOException {
        Random random = new Random();
        for (int i = 0; i < 100; i++) {
            try {
                return Files.createDirectory(Path.of("/run", String.format("rh-%06x", random.nextInt(1 << 24))));
            } catch (FileAlreadyExistsException taken) {
                // another name
            }
        }
        throw new IOException("no free name under /run");
    }

    /** What a command printed and returned. */
    record Result(int exit, String out, String err) {
        @Override
        public String toString() {
            return "exit " + exit + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }
}
