package dev.rabbithole.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.File;
import java.io.IOException;
import java.lang.ProcessBuilder.Redirect;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * {@code ./rabbithole bench}: how long {@code docker run --rm busybox true} takes through the real docker CLI
 * against each engine, N times (15 by default) in one interleaved run (each round runs every row once, so a
 * change of the machine's load hits every row alike), and how much memory each engine costs with 10 containers
 * running. Not a test: it prints figures and asserts nothing. Needs root.
 *
 * <p>The rows:
 * <ul>
 * <li>stage 1: the stage-1 jar's daemon (LXC);</li>
 * <li>stage 2, native, with the init pool ({@code --init-pool 2}) and without ({@code --init-pool 0});</li>
 * <li>stage 2 with the LXC driver;</li>
 * <li>docker: Debian's dockerd (with its containerd and runc), started by the bench on temporary roots with
 *     {@code --bridge=none --iptables=false}, with the same busybox imported ({@code docker import} of a rootfs
 *     holding the host's static busybox and a link per applet), stopped after;</li>
 * <li>runc: {@code runc run} of an OCI bundle with that same rootfs (no engine, no CLI).</li>
 * </ul>
 * Each daemon runs on its own temporary data root, socket and exec root. Our daemons are timed once the
 * init's class archive is trained and the pool is full. The table gives the median and 90th percentile
 * (nearest rank) in milliseconds and each median's ratio to Docker's.
 *
 * <p>Memory: with 10 {@code busybox sleep} containers running on each engine, the proportional set size
 * ({@code Pss} of {@code /proc/PID/smaps_rollup}, proc(5)) of the engine's own processes (the daemon; for
 * Docker dockerd and its containerd; for stage 2 the idle pooled inits, also shown apart) and of the
 * per-container processes (between the engine and the workload: for Docker the containerd shim, for LXC
 * lxc-execute and its helpers; the native driver has none: the workload is the daemon's child), per container.
 *
 * <p>Stage 3 (with {@code --stage3-jar}): its dockerd, the containerd it starts, our shim and our runc, once
 * with one shim per container and once with one shared shim; its engine processes are dockerd and containerd,
 * its per-container processes the shim (a shared shim's PSS is divided among the containers it serves).
 *
 * <p>Stage 4 (with {@code --stage4-runc PATH}, the executable {@code rabbithole-runc}): the runtime alone,
 * {@code rabbithole-runc run} of the same bundle as the runc row (the goal: at most 3 times runc's median); and
 * under Debian's dockerd, registered as {@code --add-runtime rabbithole=PATH}, {@code docker run --runtime
 * rabbithole} beside that dockerd's own row (its default runtime, runc). After the table, where the runtime's
 * time goes: the median of each of its commands run apart ({@code --version}, the JVM's start alone;
 * {@code create}, {@code start}, the wait for the workload's exit, {@code delete}), runc's beside it.
 *
 * <p>Usage: {@code RunBenchmark [--stage1-jar JAR] [--stage2-jar JAR] [--stage3-jar JAR] [--stage4-runc PATH]
 * [--java JAVA [--java-option OPT]...] [N]}.
 */
public final class RunBenchmark {
    private RunBenchmark() { }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int WARMUP = 2;
    private static final int MEMORY_CONTAINERS = 10;
    private static final java.util.regex.Pattern STEP = java.util.regex.Pattern.compile("(.+?)=(-?[0-9]+)(?:, |$)");

    /** One timed row: a label, the samples in milliseconds, or why there are none. */
    record Row(String label, List<Double> millis, String missing) { }

    /** One engine under test: how to run one container, and what to measure for memory. */
    public interface Engine extends AutoCloseable {
        String label();

        /** Runs {@code run --rm busybox true} once; throws on failure. */
        void runOnce();

        /** @return the docker CLI's -H value, or null for runc */
        String host();

        /** @return the pids of the engine's long-lived processes (daemon, containerd, pooled inits) */
        Set<Long> enginePids();

        /** @return the pids to report apart as the init pool (a subset of {@link #enginePids()}) */
        default Set<Long> poolPids() {
            return Set.of();
        }

        @Override
        void close() throws Exception;
    }

    /**
     * @param args see the class comment
     * @throws Exception when a daemon does not start or a run fails: the benchmark stops with the reason
     */
    public static void main(String[] args) throws Exception {
        Path stage1 = null;
        Path stage2 = null;
        Path stage3 = null;
        Path stage4Runc = null;
        String java = javaLauncher();
        List<String> javaOptions = new ArrayList<>();
        int n = 15;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--stage1-jar" -> stage1 = Path.of(args[++i]);
                case "--stage2-jar" -> stage2 = Path.of(args[++i]);
                case "--stage3-jar" -> stage3 = Path.of(args[++i]);
                case "--stage4-runc" -> stage4Runc = Path.of(args[++i]).toAbsolutePath();
                case "--java" -> java = args[++i];
                case "--java-option" -> javaOptions.add(args[++i]);
                default -> {
                    if (!args[i].matches("[0-9]+")) {
                        System.err.println("usage: RunBenchmark [--stage1-jar JAR] [--stage2-jar JAR] [--stage3-jar JAR] "
                                + "[--stage4-runc PATH] [--java JAVA [--java-option OPT]...] [N]");
                        System.exit(2);
                    }
                    n = Integer.parseInt(args[i]);
                }
            }
        }
        if (!"root".equals(System.getProperty("user.name"))) {
            System.err.println("the benchmark starts containers: run it as root");
            System.exit(1);
        }
        String docker = which("docker", "/usr/bin/docker");
        if (docker == null) {
            System.err.println("the benchmark drives the engines with the docker CLI: install docker.io");
            System.exit(1);
        }
        System.out.printf("rabbithole bench: %d rounds of `docker run --rm busybox true` per row, interleaved "
                + "(%d untimed warm-up rounds); CLI %s%n", n, WARMUP, docker + " " + firstLine(List.of(docker,
                "--version")));
        System.out.printf("machine: %d CPUs, %s, Linux %s; load average %s; daemons on %s%n%n",
                Runtime.getRuntime().availableProcessors(), memTotal(), System.getProperty("os.version"),
                loadAverage(), firstLine(List.of(java, "-version")));

        Path dir = Files.createTempDirectory("rabbithole-bench");
        List<Engine> engines = new ArrayList<>();
        try {
            Path rootfs = busyboxRootfs(dir.resolve("rootfs"));
            if (stage1 != null) {
                engines.add(OurDaemon.start("stage 1 (LXC)", java, javaOptions, stage1, docker, List.of()));
            }
            if (stage2 != null) {
                engines.add(OurDaemon.start("stage 2 native, init pool 2", java, javaOptions, stage2, docker,
                        List.of("--exec-driver", "native", "--init-pool", "2")));
                engines.add(OurDaemon.start("stage 2 native, no pool", java, javaOptions, stage2, docker,
                        List.of("--exec-driver", "native", "--init-pool", "0")));
                engines.add(OurDaemon.start("stage 2 lxc driver", java, javaOptions, stage2, docker,
                        List.of("--exec-driver", "lxc")));
            }
            if (stage3 != null) {
                engines.add(OurDaemon.start("stage 3, a shim per container", java, javaOptions, stage3, docker,
                        "dockerd", List.of("--shim-grouping", "per-container")));
                engines.add(OurDaemon.start("stage 3, one shared shim", java, javaOptions, stage3, docker,
                        "dockerd", List.of("--shim-grouping", "shared")));
            }
            String dockerd = which("dockerd", "/usr/bin/dockerd");
            Engine docker0 = null;
            if (dockerd != null) {
                docker0 = Dockerd.start(dockerd, docker, rootfs, dir, stage4Runc == null ? List.of()
                        : List.of("--add-runtime", "rabbithole=" + stage4Runc));
                engines.add(docker0);
                if (stage4Runc != null) {
                    engines.add(new DockerdRuntime((Dockerd) docker0, "rabbithole",
                            "docker --runtime rabbithole (rabbithole-runc)"));
                }
            }
            String runcBinary = which("runc", "/usr/sbin/runc");
            Runc runc = runcBinary == null ? null : Runc.create(runcBinary, rootfs, dir, "runc run (" + firstLine(
                    List.of(runcBinary, "--version")) + ")");
            if (runc != null) {
                engines.add(runc);
            }
            Runc ours = null;
            if (stage4Runc != null) {
                ours = Runc.create(stage4Runc.toString(), rootfs, dir, "rabbithole-runc run (stage 4)");
                engines.add(ours);
            }
            for (Engine e : engines) {
                if (e instanceof OurDaemon d) {
                    d.awaitReady();
                }
            }
            Map<Engine, List<Double>> samples = new LinkedHashMap<>();
            engines.forEach(e -> samples.put(e, new ArrayList<>()));
            for (int round = -WARMUP; round < n; round++) {
                for (Engine e : engines) {
                    long t0 = System.nanoTime();
                    e.runOnce();
                    double ms = (System.nanoTime() - t0) / 1e6;
                    if (round >= 0) {
                        samples.get(e).add(ms);
                    }
                }
            }
            List<Row> rows = new ArrayList<>();
            samples.forEach((e, s) -> rows.add(new Row(e.label(), s, null)));
            if (dockerd == null) {
                rows.add(new Row("docker (dockerd 20.10)", List.of(), "dockerd is not installed (Debian's docker.io)"));
            }
            System.out.print(table(rows, docker0 == null ? null : docker0.label()));
            System.out.printf("%nload average after the timed runs: %s%n%n", loadAverage());
            if (ours != null) {
                System.out.print(ratio(rows, ours.label(), runc == null ? null : runc.label(), "goal: at most 3x"));
                System.out.print(ratio(rows, "docker --runtime rabbithole (rabbithole-runc)",
                        docker0 == null ? null : docker0.label(), "the same dockerd, containerd and shim"));
                System.out.println();
                System.out.println(RuntimePhases.report(List.of(runc, ours).stream().filter(r -> r != null)
                        .map(r -> new RuntimePhases.Runtime(r.label(), r.binary, r.bundle, dir.resolve("phases-"
                                + Integer.toHexString(r.label().hashCode())))).toList(), Math.max(3, n / 2)));
            }
            for (Engine e : engines) {
                if (e instanceof OurDaemon d) {
                    String report = startReport(d.label(), d.log());
                    if (!report.isEmpty()) {
                        System.out.println(report);
                    }
                }
            }
            System.out.println(memory(engines, docker));
        } finally {
            for (Engine e : engines) {
                try {
                    e.close();
                } catch (Exception ex) {
                    System.err.println("bench: stopping " + e.label() + ": " + ex);
                }
            }
            deleteTree(dir);
        }
    }

    // ---------------------------------------------------------------- the table

    /**
     * The timing table: label, median, p90 (ms), and the median's ratio to the reference row's.
     *
     * @param rows      the rows
     * @param reference the label of the row the ratios are to (Docker's), or null for no ratios
     * @return the table, one line per row
     */
    static String table(List<Row> rows, String reference) {
        double ref = rows.stream().filter(r -> r.label().equals(reference) && !r.millis().isEmpty())
                .mapToDouble(r -> median(sorted(r.millis()))).findFirst().orElse(Double.NaN);
        String header = "docker run --rm busybox true";
        int width = Math.max(header.length(), rows.stream().mapToInt(r -> r.label().length()).max().orElse(10)) + 2;
        StringBuilder out = new StringBuilder(String.format(Locale.ROOT, "%-" + width + "s%9s%9s%12s%n",
                header, "median", "p90", "vs docker"));
        for (Row r : rows) {
            if (r.missing() != null) {
                out.append(String.format(Locale.ROOT, "%-" + width + "s  %s%n", r.label(), r.missing()));
                continue;
            }
            List<Double> s = sorted(r.millis());
            double median = median(s);
            out.append(String.format(Locale.ROOT, "%-" + width + "s%6.0f ms%6.0f ms%12s%n", r.label(), median,
                    percentile(s, 90), Double.isNaN(ref) ? "-" : String.format(Locale.ROOT, "%.2fx", median / ref)));
        }
        return out.toString();
    }

    /**
     * @param rows      the timed rows
     * @param label     a row
     * @param reference the row it is compared with, or null
     * @param note      what to say after the ratio
     * @return {@code LABEL / REFERENCE: R x (NOTE)}, or empty when either row has no samples
     */
    static String ratio(List<Row> rows, String label, String reference, String note) {
        double a = rows.stream().filter(r -> r.label().equals(label) && !r.millis().isEmpty())
                .mapToDouble(r -> median(sorted(r.millis()))).findFirst().orElse(Double.NaN);
        double b = rows.stream().filter(r -> r.label().equals(reference) && !r.millis().isEmpty())
                .mapToDouble(r -> median(sorted(r.millis()))).findFirst().orElse(Double.NaN);
        if (Double.isNaN(a) || Double.isNaN(b)) {
            return "";
        }
        return String.format(Locale.ROOT, "%s / %s: %.2fx (%s)%n", label, reference, a / b, note);
    }

    private static List<Double> sorted(List<Double> l) {
        return l.stream().sorted().toList();
    }

    /**
     * @param sorted samples, ascending, not empty
     * @param p      the percentile, 0 to 100
     * @return the nearest-rank percentile
     */
    public static double percentile(List<Double> sorted, double p) {
        int rank = (int) Math.ceil(p / 100.0 * sorted.size());
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, rank - 1)));
    }

    /**
     * @param sorted samples, ascending, not empty
     * @return the median (the mean of the two middle ones for an even count)
     */
    public static double median(List<Double> sorted) {
        int size = sorted.size();
        return size % 2 == 1 ? sorted.get(size / 2) : (sorted.get(size / 2 - 1) + sorted.get(size / 2)) / 2;
    }

    /**
     * The median of each step of the native driver's starts, from the daemon's log lines
     * {@code native: start of ID, microseconds from start(): {step=us, ...}} ({@code LinuxContainer.startTimings()}).
     *
     * @param label the row
     * @param log   the daemon's log
     * @return one line per step, in the order of their medians; empty when the log has no such line
     */
    static String startReport(String label, String log) {
        Map<String, List<Double>> steps = new LinkedHashMap<>();
        for (String line : log.split("\n")) {
            int at = line.indexOf("microseconds from start(): {");
            if (at < 0 || !line.endsWith("}")) {
                continue;
            }
            String body = line.substring(line.indexOf('{', at) + 1, line.length() - 1);
            // step names hold ", " ("config sent, cgroup set") but never "="; values are whole microseconds
            java.util.regex.Matcher m = STEP.matcher(body);
            while (m.find()) {
                steps.computeIfAbsent(m.group(1), k -> new ArrayList<>()).add(Double.parseDouble(m.group(2)) / 1000);
            }
        }
        if (steps.isEmpty()) {
            return "";
        }
        StringBuilder out = new StringBuilder(label + ": where a start's time went, median ms from "
                + "LinuxContainer.start() (" + steps.values().iterator().next().size() + " starts)\n");
        steps.entrySet().stream().sorted(Comparator.comparingDouble(e -> median(sorted(e.getValue()))))
                .filter(e -> !e.getKey().startsWith("init JVM up"))
                .forEach(e -> out.append(String.format(Locale.ROOT, "  %8.1f  %s%n", median(sorted(e.getValue())),
                        e.getKey())));
        return out.toString();
    }

    // ---------------------------------------------------------------- memory

    private static String memory(List<Engine> engines, String docker) {
        StringBuilder out = new StringBuilder(String.format(Locale.ROOT,
                "idle memory with %d `busybox sleep` containers running (PSS, MB)%n", MEMORY_CONTAINERS));
        int width = engines.stream().mapToInt(e -> e.label().length()).max().orElse(10) + 2;
        out.append(String.format(Locale.ROOT, "%-" + width + "s%9s%9s%16s%11s%n", "", "engine", "of which",
                "per container", "workload"));
        out.append(String.format(Locale.ROOT, "%-" + width + "s%9s%9s%16s%11s%n", "", "", "init pool",
                "(engine's part)", "(sleep)"));
        for (Engine e : engines) {
            if (e.host() == null) {
                continue;
            }
            List<String> ids = new ArrayList<>();
            try {
                for (int i = 0; i < MEMORY_CONTAINERS; i++) {
                    ids.add(output(List.of(docker, "-H", e.host(), "run", "-d", "busybox", "sleep", "3600")).trim());
                }
                List<String> cmd = new ArrayList<>(List.of(docker, "-H", e.host(), "inspect", "-f", "{{.State.Pid}}"));
                cmd.addAll(ids);
                List<Long> pids = output(cmd).lines().filter(l -> !l.isBlank()).map(l -> Long.parseLong(l.trim()))
                        .toList();
                Map<Long, Long> parents = parents();
                Set<Long> engine = new LinkedHashSet<>(e.enginePids());
                Set<Long> perContainer = new LinkedHashSet<>();
                Set<Long> workloads = new LinkedHashSet<>();
                for (long pid : pids) {
                    // up from the container's pid to the engine (or pid 1): the per-container processes
                    long top = pid;
                    for (long p = pid; p > 1 && !engine.contains(p); p = parents.getOrDefault(p, 0L)) {
                        top = p;
                        perContainer.add(p);
                    }
                    // and below them, all but the workload itself
                    for (long d : descendants(top, parents)) {
                        perContainer.add(d);
                    }
                }
                for (long p : new ArrayList<>(perContainer)) {
                    if (comm(p).equals("sleep")) {
                        perContainer.remove(p);
                        workloads.add(p);
                    }
                }
                long enginePss = engine.stream().mapToLong(RunBenchmark::pss).sum();
                long poolPss = e.poolPids().stream().mapToLong(RunBenchmark::pss).sum();
                long containerPss = perContainer.stream().mapToLong(RunBenchmark::pss).sum();
                long workloadPss = workloads.stream().mapToLong(RunBenchmark::pss).sum();
                out.append(String.format(Locale.ROOT, "%-" + width + "s%9.1f%9s%16.1f%11.1f%n", e.label(),
                        enginePss / 1e6, e.poolPids().isEmpty() ? "-" : String.format(Locale.ROOT, "%.1f", poolPss / 1e6),
                        containerPss / 1e6 / pids.size(), workloadPss / 1e6 / Math.max(1, workloads.size())));
            } catch (RuntimeException ex) {
                out.append(String.format(Locale.ROOT, "%-" + width + "s  not measured: %s%n", e.label(), ex.getMessage()));
            } finally {
                if (!ids.isEmpty()) {
                    List<String> rm = new ArrayList<>(List.of(docker, "-H", e.host(), "rm", "-f"));
                    rm.addAll(ids);
                    run(rm);
                }
            }
        }
        return out.toString();
    }

    /** @return pid to parent pid of every process, from /proc/PID/stat (field 4) */
    public static Map<Long, Long> parents() {
        Map<Long, Long> m = new HashMap<>();
        try (Stream<Path> s = Files.list(Path.of("/proc"))) {
            s.filter(p -> p.getFileName().toString().matches("[0-9]+")).forEach(p -> {
                try {
                    String stat = Files.readString(p.resolve("stat"));
                    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    m.put(Long.parseLong(p.getFileName().toString()), Long.parseLong(f[1]));
                } catch (IOException | RuntimeException gone) {
                    // exited meanwhile
                }
            });
        } catch (IOException e) {
            throw new IllegalStateException("reading /proc: " + e.getMessage(), e);
        }
        return m;
    }

    private static List<Long> descendants(long root, Map<Long, Long> parents) {
        List<Long> out = new ArrayList<>();
        List<Long> frontier = new ArrayList<>(List.of(root));
        while (!frontier.isEmpty()) {
            long p = frontier.remove(frontier.size() - 1);
            parents.forEach((child, parent) -> {
                if (parent == p) {
                    out.add(child);
                    frontier.add(child);
                }
            });
        }
        return out;
    }

    /**
     * @param pid a process
     * @return its {@code Pss} from {@code /proc/PID/smaps_rollup}, bytes; 0 when it is gone
     */
    public static long pss(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "smaps_rollup"))) {
                if (line.startsWith("Pss:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            // gone
        }
        return 0;
    }

    /**
     * @param pid a process
     * @return its {@code /proc/PID/comm} (the executable's name, 15 bytes at most), empty when it is gone
     */
    public static String comm(long pid) {
        try {
            return Files.readString(Path.of("/proc", Long.toString(pid), "comm")).trim();
        } catch (IOException e) {
            return "";
        }
    }

    // ---------------------------------------------------------------- the engines

    /** A daemon of ours, started from a stage jar on temporary roots; driven by the docker CLI. */
    public static final class OurDaemon implements Engine {
        private final String label;
        private final Process process;
        private final Path dir;
        private final Path execRoot;
        private final String docker;
        private final boolean pooled;

        private OurDaemon(String label, Process process, Path dir, Path execRoot, String docker, boolean pooled) {
            this.label = label;
            this.process = process;
            this.dir = dir;
            this.execRoot = execRoot;
            this.docker = docker;
            this.pooled = pooled;
        }

        static OurDaemon start(String label, String java, List<String> javaOptions, Path jar, String docker,
                               List<String> daemonArgs) throws Exception {
            return start(label, java, javaOptions, jar, docker, "daemon", daemonArgs);
        }

        /**
         * @param program the jar's program that serves the Engine API: {@code daemon} (stages 1 and 2) or
         *                {@code dockerd} (stage 3, which starts its own containerd)
         */
        public static OurDaemon start(String label, String java, List<String> javaOptions, Path jar, String docker,
                               String program, List<String> daemonArgs) throws Exception {
            Path dir = Files.createTempDirectory("rabbithole-bench-daemon");
            Path execRoot = shortDir();
            List<String> cmd = new ArrayList<>(List.of(java));
            cmd.addAll(javaOptions);
            cmd.addAll(List.of("-jar", jar.toString(), program, "--data-root", dir.resolve("data").toString(),
                    "-H", "unix://" + dir.resolve("docker.sock")));
            // no bridge and no NAT rules: Docker's dockerd is measured with --bridge=none beside us
            cmd.addAll(List.of("--bridge", "none"));
            if (!daemonArgs.isEmpty()) {
                cmd.addAll(List.of("--exec-root", execRoot.toString()));
                cmd.addAll(daemonArgs);
            }
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectOutput(dir.resolve("daemon.log").toFile()).start();
            return new OurDaemon(label, p, dir, execRoot, docker, daemonArgs.contains("--init-pool")
                    && !daemonArgs.contains("0"));
        }

        /** Waits until the daemon answers, the init's archive is trained, and the pool is full. */
        public void awaitReady() throws Exception {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            Path socket = dir.resolve("docker.sock");
            while (System.nanoTime() < deadline) {
                if (!process.isAlive()) {
                    throw new IllegalStateException(label + ": the daemon exited:\n"
                            + Files.readString(dir.resolve("daemon.log")));
                }
                if (Files.exists(socket) && ready(socket)) {
                    return;
                }
                Thread.sleep(200);
            }
            throw new IllegalStateException(label + ": not ready within 120 s");
        }

        private boolean ready(Path socket) throws IOException {
            JsonNode info;
            try {
                info = get(socket, "/info");
            } catch (IOException notYet) {
                return false;
            }
            if (info == null || !info.has("ExecutionDriver")) {
                return false;
            }
            Path cache = execRoot.resolve("init-cache");
            if (info.path("ExecutionDriver").asText().startsWith("native")) {
                if (!Files.isDirectory(cache)) {
                    return false;
                }
                try (Stream<Path> files = Files.list(cache)) {
                    if (files.noneMatch(f -> f.toString().endsWith(".jsa") || f.toString().endsWith(".aot"))) {
                        return false;
                    }
                }
            }
            for (JsonNode pair : info.path("ExecutionDriverStatus")) {
                if (pair.path(0).asText().equals("Init Pool") && !pair.path(1).asText().equals("off")) {
                    String[] f = pair.path(1).asText().split(" ");   // "N idle of M"
                    return f[0].equals(f[3]);
                }
            }
            return true;
        }

        @Override
        public String label() {
            return label;
        }

        /** @return the daemon's output so far (stdout and stderr), empty when unreadable */
        public String log() {
            try {
                return Files.readString(dir.resolve("daemon.log"));
            } catch (IOException e) {
                return "";
            }
        }

        @Override
        public void runOnce() {
            exec(List.of(docker, "-H", host(), "run", "--rm", "busybox", "true"));
        }

        @Override
        public String host() {
            return "unix://" + dir.resolve("docker.sock");
        }

        @Override
        public Set<Long> enginePids() {
            Set<Long> s = new LinkedHashSet<>(List.of(process.pid()));
            s.addAll(poolPids());
            // stage 3: the containerd dockerd started (its child, in a session of its own)
            process.toHandle().children().forEach(h -> {
                if (h.info().arguments().map(a -> List.of(a).contains("containerd")).orElse(false)) {
                    s.add(h.pid());
                }
            });
            return s;
        }

        @Override
        public Set<Long> poolPids() {
            if (!pooled) {
                return Set.of();
            }
            Set<Long> s = new LinkedHashSet<>();
            process.toHandle().descendants().forEach(h -> {
                if (h.info().arguments().map(a -> List.of(a).contains("--pooled")).orElse(false)) {
                    s.add(h.pid());
                }
            });
            return s;
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

    /** Debian's dockerd on temporary roots, with the same busybox imported; stopped and removed by close. */
    public static final class Dockerd implements Engine {
        private final Process process;
        private final Path dir;
        private final Path execRoot;
        private final String docker;
        private final String label;

        private Dockerd(Process process, Path dir, Path execRoot, String docker, String label) {
            this.process = process;
            this.dir = dir;
            this.execRoot = execRoot;
            this.docker = docker;
            this.label = label;
        }

        /**
         * @param dockerd  Debian's dockerd
         * @param docker   the docker CLI
         * @param rootfs   the busybox rootfs to import as {@code busybox}
         * @param benchDir a scratch directory for the image's tar
         * @return the running dockerd, with busybox imported
         * @throws Exception when it does not answer within 60 s or the import fails
         */
        public static Dockerd start(String dockerd, String docker, Path rootfs, Path benchDir) throws Exception {
            return start(dockerd, docker, rootfs, benchDir, List.of());
        }

        /**
         * As {@link #start(String, String, Path, Path)}, with more dockerd flags (e.g. {@code --add-runtime}).
         *
         * @param flags added to dockerd's command line
         */
        public static Dockerd start(String dockerd, String docker, Path rootfs, Path benchDir, List<String> flags)
                throws Exception {
            Path dir = Files.createTempDirectory("rabbithole-bench-dockerd");
            Path execRoot = shortDir();
            Path socket = dir.resolve("docker.sock");
            List<String> command = new ArrayList<>(List.of(dockerd, "--data-root", dir.resolve("data").toString(),
                    "--exec-root", execRoot.toString(), "-H", "unix://" + socket, "--pidfile",
                    dir.resolve("docker.pid").toString(), "--bridge=none", "--iptables=false", "--ip6tables=false"));
            command.addAll(flags);
            Process p = new ProcessBuilder(command)
                    .redirectErrorStream(true).redirectOutput(dir.resolve("dockerd.log").toFile()).start();
            String host = "unix://" + socket;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            String version = null;
            while (System.nanoTime() < deadline && p.isAlive()) {
                Result r = run(List.of(docker, "-H", host, "version", "--format", "{{.Server.Version}}"));
                if (r.exit() == 0) {
                    version = r.out().trim();
                    break;
                }
                Thread.sleep(200);
            }
            Dockerd d = new Dockerd(p, dir, execRoot, docker, "docker (dockerd " + version + ")");
            if (version == null) {
                String log = Files.readString(dir.resolve("dockerd.log"));
                d.close();
                throw new IllegalStateException("dockerd did not answer within 60 s:\n" + log);
            }
            Path tar = benchDir.resolve("busybox.tar");
            exec(List.of("tar", "-C", rootfs.toString(), "-cf", tar.toString(), "."));
            exec(List.of(docker, "-H", host, "import", tar.toString(), "busybox"));
            return d;
        }

        @Override
        public String label() {
            return label;
        }

        @Override
        public void runOnce() {
            exec(List.of(docker, "-H", host(), "run", "--rm", "busybox", "true"));
        }

        @Override
        public String host() {
            return "unix://" + dir.resolve("docker.sock");
        }

        @Override
        public Set<Long> enginePids() {
            Set<Long> s = new LinkedHashSet<>(List.of(process.pid()));
            process.toHandle().children().forEach(h -> s.add(h.pid()));   // its containerd
            return s;
        }

        @Override
        public void close() throws Exception {
            process.destroy();
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor();
            }
            // what dockerd leaves mounted under its roots (its overlay and netns mounts), deepest first
            for (Path root : List.of(dir, execRoot)) {
                List<String> mounts = Files.readAllLines(Path.of("/proc/self/mountinfo")).stream()
                        .map(l -> l.split(" ")[4]).filter(m -> m.startsWith(root.toString()))
                        .sorted(Comparator.reverseOrder()).toList();
                for (String m : mounts) {
                    run(List.of("umount", "-l", m));
                }
            }
            deleteTree(dir);
            deleteTree(execRoot);
        }
    }

    /**
     * A runtime registered with a {@link Dockerd} ({@code --add-runtime}): {@code docker run --rm --runtime NAME
     * busybox true} on that dockerd. Its memory is not measured apart (the engine is the dockerd's row).
     */
    private static final class DockerdRuntime implements Engine {
        private final Dockerd dockerd;
        private final String runtime;
        private final String label;

        DockerdRuntime(Dockerd dockerd, String runtime, String label) {
            this.dockerd = dockerd;
            this.runtime = runtime;
            this.label = label;
        }

        @Override
        public String label() {
            return label;
        }

        @Override
        public void runOnce() {
            exec(List.of(dockerd.docker, "-H", dockerd.host(), "run", "--rm", "--runtime", runtime, "busybox", "true"));
        }

        @Override
        public String host() {
            return null;
        }

        @Override
        public Set<Long> enginePids() {
            return Set.of();
        }

        @Override
        public void close() {
            // the dockerd's row stops it
        }
    }

    /** A runtime's {@code run} of an OCI bundle holding the busybox rootfs: no engine, no CLI, no image store. */
    private static final class Runc implements Engine {
        final String binary;
        final Path bundle;
        private final Path root;
        private final String label;
        private int seq;

        private Runc(String binary, Path bundle, Path root, String label) {
            this.binary = binary;
            this.bundle = bundle;
            this.root = root;
            this.label = label;
        }

        /** A runtime with runc's command line ({@code runc}, {@code rabbithole-runc}) and the bench's bundle. */
        static Runc create(String binary, Path rootfs, Path benchDir, String label) throws IOException {
            Path bundle = benchDir.resolve("bundle");
            if (Files.isRegularFile(bundle.resolve("config.json"))) {
                return new Runc(binary, bundle, benchDir.resolve("state-" + Integer.toHexString(label.hashCode())),
                        label);
            }
            Files.createDirectories(bundle);
            String runc = which("runc", "/usr/sbin/runc");
            exec(List.of(runc == null ? binary : runc, "spec", "--bundle", bundle.toString()));
            ObjectNode spec = (ObjectNode) JSON.readTree(bundle.resolve("config.json").toFile());
            spec.putObject("root").put("path", rootfs.toString()).put("readonly", true);
            ObjectNode process = (ObjectNode) spec.get("process");
            process.put("terminal", false);
            process.putArray("args").add("/bin/true");
            JSON.writeValue(bundle.resolve("config.json").toFile(), spec);
            return new Runc(binary, bundle, benchDir.resolve("state-" + Integer.toHexString(label.hashCode())), label);
        }

        @Override
        public String label() {
            return label;
        }

        @Override
        public void runOnce() {
            exec(List.of(binary, "--root", root.toString(), "run", "--bundle", bundle.toString(),
                    "rh-bench-" + ProcessHandle.current().pid() + "-" + seq++));
        }

        @Override
        public String host() {
            return null;
        }

        @Override
        public Set<Long> enginePids() {
            return Set.of();
        }

        @Override
        public void close() {
            // the state directory is under the bench's temporary directory
        }
    }

    /** The same busybox as our daemons' built-in image: the host's static busybox and a link per applet. */
    public static Path busyboxRootfs(Path rootfs) throws IOException {
        Path bin = Files.createDirectories(rootfs.resolve("bin"));
        Files.copy(Path.of("/bin/busybox"), bin.resolve("busybox"));
        for (String applet : output(List.of("/bin/busybox", "--list")).lines().map(String::trim).toList()) {
            if (!applet.isEmpty() && !applet.equals("busybox")) {
                Files.createSymbolicLink(bin.resolve(applet), Path.of("busybox"));
            }
        }
        for (String d : List.of("proc", "sys", "dev", "tmp", "etc")) {
            Files.createDirectories(rootfs.resolve(d));
        }
        Files.writeString(rootfs.resolve("etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n");
        Files.writeString(rootfs.resolve("etc/group"), "root:x:0:\n");
        return rootfs;
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

    /** {@code GET path} on a unix socket (HTTP/1.0: the server closes after the answer), the body as JSON. */
    private static JsonNode get(Path socket, String path) throws IOException {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            ch.write(ByteBuffer.wrap(("GET " + path + " HTTP/1.0\r\nHost: docker\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII)));
            java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
            ByteBuffer buf = ByteBuffer.allocate(8192);
            while (ch.read(buf) > 0) {
                all.write(buf.array(), 0, buf.position());
                buf.clear();
            }
            String text = all.toString(StandardCharsets.UTF_8);
            int body = text.indexOf("\r\n\r\n");
            return body < 0 ? null : JSON.readTree(text.substring(body + 4));
        }
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
        output(cmd);
    }

    private static String output(List<String> cmd) {
        Result r = run(cmd);
        if (r.exit() != 0) {
            throw new IllegalStateException(String.join(" ", cmd) + " exited " + r.exit() + ": " + r.out());
        }
        return r.out();
    }

    private static String firstLine(List<String> cmd) {
        return run(cmd).out().lines().findFirst().orElse("").trim();
    }

    /**
     * @param tool      a program name
     * @param preferred the path to take when it is executable
     * @return {@code preferred}, else the first executable {@code tool} on the PATH or in the sbin/bin directories, else null
     */
    public static String which(String tool, String preferred) {
        if (Files.isExecutable(Path.of(preferred))) {
            return preferred;
        }
        for (String d : (System.getenv().getOrDefault("PATH", "") + ":/usr/sbin:/usr/bin:/sbin:/bin").split(":")) {
            if (!d.isEmpty() && Files.isExecutable(Path.of(d, tool))) {
                return Path.of(d, tool).toString();
            }
        }
        return null;
    }

    /** @return the 1, 5 and 15 minute load averages of {@code /proc/loadavg} (proc(5)), or "?" */
    public static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException e) {
            return "?";
        }
    }

    /** @return {@code MemTotal} of {@code /proc/meminfo}, as "N GiB RAM" */
    public static String memTotal() {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (l.startsWith("MemTotal:")) {
                    return String.format(Locale.ROOT, "%.0f GiB RAM",
                            Long.parseLong(l.replaceAll("[^0-9]", "")) / 1024.0 / 1024.0);
                }
            }
        } catch (IOException | RuntimeException e) {
            // unknown
        }
        return "? RAM";
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
