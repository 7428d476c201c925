package dev.rabbithole.stage2.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rabbithole.stage1.client.EngineClient;
import dev.rabbithole.stage2.Main;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.ProcessBuilder.Redirect;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * {@code ./rabbithole bench}: how long {@code run --rm busybox true} takes, N times (20 by default), through
 * a stage-2 daemon with the native driver and with the LXC driver, beside {@code runc run} (when runc is
 * installed) and {@code docker run} (when a dockerd answers), printed as one table of median, min, p90
 * and max in milliseconds. Not a test: it prints figures and asserts nothing.
 *
 * <p>What is timed, per row:
 * <ul>
 * <li>stage 2 native and lxc: the client's {@code run} (create, attach, wait, start, until the container is
 *     removed), through the Engine API with our {@link EngineClient}, in this JVM: the client's JVM start is
 *     excluded and its code is warm (two untimed runs first). Each driver has its own daemon, started from
 *     the stage-2 jar on a temporary data root and socket;</li>
 * <li>runc: {@code runc run --bundle B ID} of an OCI bundle whose rootfs holds the host's static busybox;</li>
 * <li>docker: {@code docker run --rm busybox true} against the default dockerd;</li>
 * <li>the last row: {@code java -jar rabbithole-stage2.jar run --rm busybox true}, client JVM included.</li>
 * </ul>
 * Usage: {@code RunBenchmark --jar PATH/rabbithole-stage2.jar [N] [-- RUN-FLAGS...]}; needs root. RUN-FLAGS go
 * to every stage-2 {@code run} before the image (e.g. {@code --security-opt seccomp=unconfined}).
 */
public final class RunBenchmark {
    private RunBenchmark() { }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int WARMUP = 2;

    /** One row: a label and the samples in milliseconds, or why there are none. */
    record Row(String label, List<Double> millis, String missing) {
        static Row of(String label, List<Double> millis) {
            return new Row(label, millis, null);
        }

        static Row missing(String label, String why) {
            return new Row(label, List.of(), why);
        }
    }

    /**
     * @param args {@code --jar PATH} (the shaded stage-2 jar; default: this JVM's classpath when it is one jar)
     *             and optionally N, the number of timed runs per row
     * @throws Exception when a daemon does not start or a run fails: the benchmark stops with the reason
     */
    public static void main(String[] args) throws Exception {
        Path jar = null;
        int n = 20;
        List<String> runFlags = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--")) {
                runFlags.addAll(List.of(args).subList(i + 1, args.length));
                break;
            } else if (args[i].equals("--jar") && i + 1 < args.length) {
                jar = Path.of(args[++i]);
            } else if (args[i].matches("[0-9]+")) {
                n = Integer.parseInt(args[i]);
            } else {
                System.err.println("usage: RunBenchmark [--jar rabbithole-stage2.jar] [N] [-- RUN-FLAGS...]");
                System.exit(2);
            }
        }
        Path stage2Jar = jar != null ? jar : Path.of(System.getProperty("java.class.path").split(File.pathSeparator)[0]);
        if (!"root".equals(System.getProperty("user.name"))) {
            System.err.println("the benchmark starts containers: run it as root");
            System.exit(1);
        }
        System.out.printf("rabbithole bench: %d x `run --rm busybox true` per row (%d untimed warm-up runs)%n", n, WARMUP);
        if (!runFlags.isEmpty()) {
            System.out.println("stage-2 runs with: " + String.join(" ", runFlags));
        }
        System.out.printf("machine: %d CPUs, Linux %s, Java %s%n%n", Runtime.getRuntime().availableProcessors(),
                System.getProperty("os.version"), System.getProperty("java.version"));
        List<Row> rows = new ArrayList<>();
        try (Stage2 daemon = Stage2.start(stage2Jar, "native")) {
            daemon.awaitInitCache(() -> clientRun(daemon.host(), runFlags));
            rows.add(Row.of("stage 2, native driver", timeRuns(n, () -> clientRun(daemon.host(), runFlags))));
            rows.add(Row.of("stage 2, native, `java -jar` client",
                    timeRuns(n, () -> jvmRun(stage2Jar, daemon.host(), runFlags))));
        }
        try (Stage2 daemon = Stage2.start(stage2Jar, "lxc")) {
            rows.add(Row.of("stage 2, lxc driver", timeRuns(n, () -> clientRun(daemon.host(), runFlags))));
        }
        rows.add(runc(n));
        rows.add(docker(n));
        print(rows);
    }

    // ---------------------------------------------------------------- the rows

    /** What {@code run --rm busybox true} does, in this JVM: stage 1's client command against the daemon. */
    private static void clientRun(String host, List<String> flags) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int rc = Main.execute(runArgs(host, flags).toArray(String[]::new),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8),
                Map.of());
        if (rc != 0) {
            throw new IllegalStateException("run exited " + rc + ": " + err.toString(StandardCharsets.UTF_8));
        }
    }

    private static void jvmRun(Path jar, String host, List<String> flags) {
        List<String> cmd = new ArrayList<>(List.of(javaLauncher(), "-jar", jar.toString()));
        cmd.addAll(runArgs(host, flags));
        exec(cmd);
    }

    private static List<String> runArgs(String host, List<String> flags) {
        List<String> a = new ArrayList<>(List.of("-H", host, "run", "--rm"));
        a.addAll(flags);
        a.addAll(List.of("busybox", "true"));
        return a;
    }

    private static Row runc(int n) throws Exception {
        String label = "runc run";
        if (which("runc") == null) {
            return Row.missing(label, "not installed");
        }
        label = "runc run (" + firstLine(List.of("runc", "--version")) + ")";
        Path dir = Files.createTempDirectory("rabbithole-bench-runc");
        try {
            Path bundle = dir.resolve("bundle");
            Path bin = Files.createDirectories(bundle.resolve("rootfs/bin"));
            Files.copy(Path.of("/bin/busybox"), bin.resolve("busybox"));
            Files.createSymbolicLink(bin.resolve("true"), Path.of("busybox"));
            for (String d : List.of("proc", "sys", "dev", "tmp", "etc")) {
                Files.createDirectories(bundle.resolve("rootfs").resolve(d));
            }
            exec(List.of("runc", "spec", "--bundle", bundle.toString()));
            ObjectNode spec = (ObjectNode) JSON.readTree(bundle.resolve("config.json").toFile());
            ObjectNode process = (ObjectNode) spec.get("process");
            process.put("terminal", false);
            process.putArray("args").add("/bin/true");
            JSON.writeValue(bundle.resolve("config.json").toFile(), spec);
            String root = dir.resolve("state").toString();
            int[] seq = {0};
            List<Double> times = timeRuns(n, () -> exec(List.of("runc", "--root", root, "run", "--bundle",
                    bundle.toString(), "rh-bench-" + ProcessHandle.current().pid() + "-" + seq[0]++)));
            return Row.of(label, times);
        } finally {
            deleteTree(dir);
        }
    }

    private static Row docker(int n) {
        String label = "docker run";
        if (which("docker") == null) {
            return Row.missing(label, "not installed");
        }
        Result info = run(List.of("docker", "version", "--format", "{{.Server.Version}}"));
        if (info.exit() != 0) {
            return Row.missing(label, "no dockerd reachable (docker CLI installed, daemon not running)");
        }
        label = "docker run (dockerd " + info.out().trim() + ")";
        if (run(List.of("docker", "image", "inspect", "busybox")).exit() != 0) {
            return Row.missing(label, "no busybox image in dockerd (no pull attempted)");
        }
        return Row.of(label, timeRuns(n, () -> exec(List.of("docker", "run", "--rm", "busybox", "true"))));
    }

    // ---------------------------------------------------------------- timing and the table

    private static List<Double> timeRuns(int n, Runnable run) {
        for (int i = 0; i < WARMUP; i++) {
            run.run();
        }
        List<Double> times = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            long t0 = System.nanoTime();
            run.run();
            times.add((System.nanoTime() - t0) / 1e6);
        }
        return times;
    }

    /** The nearest-rank percentile of sorted samples. */
    static double percentile(List<Double> sorted, double p) {
        int rank = (int) Math.ceil(p / 100.0 * sorted.size());
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, rank - 1)));
    }

    /** The median of sorted samples (the mean of the two middle ones for an even count). */
    static double median(List<Double> sorted) {
        int size = sorted.size();
        return size % 2 == 1 ? sorted.get(size / 2) : (sorted.get(size / 2 - 1) + sorted.get(size / 2)) / 2;
    }

    private static void print(List<Row> rows) {
        int width = rows.stream().mapToInt(r -> r.label().length()).max().orElse(10) + 2;
        System.out.printf(Locale.ROOT, "%-" + width + "s%8s%8s%8s%8s%n", "ms per run", "median", "min", "p90", "max");
        for (Row r : rows) {
            if (r.missing() != null) {
                System.out.printf(Locale.ROOT, "%-" + width + "s  %s%n", r.label(), r.missing());
                continue;
            }
            List<Double> s = r.millis().stream().sorted().toList();
            System.out.printf(Locale.ROOT, "%-" + width + "s%8.1f%8.1f%8.1f%8.1f%n", r.label(), median(s), s.get(0),
                    percentile(s, 90), s.get(s.size() - 1));
        }
    }

    // ---------------------------------------------------------------- a stage-2 daemon for one row

    /** A stage-2 daemon started from the jar on a temporary data root, socket and exec root. */
    private static final class Stage2 implements AutoCloseable {
        private final Process process;
        private final Path dir;
        private final Path execRoot;

        private Stage2(Process process, Path dir, Path execRoot) {
            this.process = process;
            this.dir = dir;
            this.execRoot = execRoot;
        }

        static Stage2 start(Path jar, String driver) throws Exception {
            Path dir = Files.createTempDirectory("rabbithole-bench-" + driver);
            Path execRoot = shortDir();
            Path socket = dir.resolve("docker.sock");
            Process p = new ProcessBuilder(javaLauncher(), "-jar", jar.toString(), "daemon",
                    "--data-root", dir.resolve("data").toString(), "-H", "unix://" + socket,
                    "--exec-root", execRoot.toString(), "--exec-driver", driver)
                    .redirectErrorStream(true).redirectOutput(dir.resolve("daemon.log").toFile()).start();
            Stage2 d = new Stage2(p, dir, execRoot);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (System.nanoTime() < deadline) {
                if (!p.isAlive()) {
                    String log = Files.readString(dir.resolve("daemon.log"));
                    d.close();
                    throw new IllegalStateException("the " + driver + " daemon exited:\n" + log);
                }
                if (Files.exists(socket)) {
                    try (EngineClient c = new EngineClient(d.host())) {
                        JsonNode v = c.get("/version");
                        if (v.has("Version")) {
                            return d;
                        }
                    } catch (RuntimeException notYet) {
                        // the socket exists before the server accepts
                    }
                }
                Thread.sleep(100);
            }
            d.close();
            throw new IllegalStateException("the " + driver + " daemon did not answer within 60 s");
        }

        String host() {
            return "unix://" + dir.resolve("docker.sock");
        }

        /**
         * Runs one container, then waits (at most 60 s) until the native driver's init start cache holds its
         * class-data archive, trained in the background after the first start: the figures are then those of
         * a daemon that has been up for a while, not of its first minute.
         */
        void awaitInitCache(Runnable firstRun) throws Exception {
            firstRun.run();
            Path cache = execRoot.resolve("init-cache");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (System.nanoTime() < deadline) {
                if (Files.isDirectory(cache)) {
                    try (var files = Files.list(cache)) {
                        if (files.anyMatch(f -> f.getFileName().toString().endsWith(".jsa"))) {
                            return;
                        }
                    }
                }
                Thread.sleep(100);
            }
        }

        @Override
        public void close() throws Exception {
            process.destroy();
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor();
            }
            deleteTree(dir);
            deleteTree(execRoot);
        }
    }

    /** {@code /run/rh-XXXXXX}: short enough for the init socket path below it. */
    private static Path shortDir() throws IOException {
        Random random = new Random();
        for (int i = 0; i < 100; i++) {
            Path p = Path.of("/run", "rh-" + HexFormat.of().toHexDigits(random.nextInt()).substring(2));
            try {
                return Files.createDirectory(p);
            } catch (java.nio.file.FileAlreadyExistsException taken) {
                // try another name
            }
        }
        throw new IOException("no free directory name under /run");
    }

    // ---------------------------------------------------------------- processes and files

    record Result(int exit, String out) { }

    private static Result run(List<String> cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectInput(Redirect.from(new File("/dev/null"))).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return new Result(-1, "timed out: " + cmd);
            }
            return new Result(p.exitValue(), out);
        } catch (IOException e) {
            return new Result(-1, e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(-1, "interrupted");
        }
    }

    private static void exec(List<String> cmd) {
        Result r = run(cmd);
        if (r.exit() != 0) {
            throw new IllegalStateException(String.join(" ", cmd) + " exited " + r.exit() + ": " + r.out());
        }
    }

    private static String firstLine(List<String> cmd) {
        return run(cmd).out().lines().findFirst().orElse("").trim();
    }

    private static String which(String tool) {
        for (String d : (System.getenv().getOrDefault("PATH", "") + ":/usr/sbin:/usr/bin:/sbin:/bin").split(":")) {
            if (!d.isEmpty() && Files.isExecutable(Path.of(d, tool))) {
                return Path.of(d, tool).toString();
            }
        }
        return null;
    }

    private static String javaLauncher() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
