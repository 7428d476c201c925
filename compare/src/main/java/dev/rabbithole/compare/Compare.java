package dev.rabbithole.compare;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rabbithole.bench.RunBenchmark;
import dev.rabbithole.bench.RunBenchmark.Engine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code ./rabbithole compare}: the architectures side by side on this machine. Starts each chosen stage's daemon
 * (and Debian's dockerd, when installed) on temporary roots with the bench's {@link RunBenchmark.OurDaemon} and
 * {@link RunBenchmark.Dockerd}, runs the same workloads on each through the docker CLI, stops everything, and writes
 * a report: a terminal summary, {@code report.html} (one file, charts as inline SVG), {@code figures.csv} and
 * {@code report.json}. Sections: 1 start latency, 2 memory (PSS), 3 process trees and IPC hops, 4 kill -9
 * survival, 5 concurrent starts (20 at once), 6 kernel work per start, 7 lines of code. Needs root.
 *
 * <p>Usage: {@code Compare --jar KEY=JAR... [--stages 1,2,3,4,docker] [--runs N] [--quick] [--out DIR]
 * [--source DIR] [--java JAVA [--java-option OPT]...]}, or {@code Compare --render DIR}: the HTML, charts,
 * tables and summary again from {@code DIR/report.json}.
 */
public final class Compare {
    private Compare() { }

    /** The options of one comparison. */
    static final class Options {
        final Map<String, Path> jars = new LinkedHashMap<>();
        List<String> stages = List.of("1", "2", "3", "4", "docker");
        int runs = 10;
        boolean quick;
        /** -h or --help anywhere: print the usage and run nothing. */
        boolean help;
        Path out = Path.of("compare-report");
        Path source = Path.of(".");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        final List<String> javaOptions = new ArrayList<>();
        boolean runsGiven;

        int memoryContainers() {
            return quick ? 3 : 10;
        }

        int concurrent() {
            return quick ? 5 : 20;
        }
    }

    private static final List<String> VALUED = List.of("--stages", "--runs", "--out", "--source", "--java",
            "--java-option", "--jar");

    static final String USAGE = "usage: rabbithole compare [--stages 1,2,3,4,docker] [--runs N] [--quick] [--out DIR]";

    /**
     * @param args see the class comment
     * @throws Exception when the report cannot be written
     */
    public static void main(String[] args) throws Exception {
        if (args.length == 2 && args[0].equals("--render")) {
            // the report again from its report.json: HTML, charts, tables, summary (no daemon, no root)
            Path dir = Path.of(args[1]);
            Report r = new ObjectMapper().readerForUpdating(new Report()).readValue(dir.resolve("report.json").toFile());
            Html.write(r, dir.resolve("report.html"));
            System.out.print(Summary.text(r));
            return;
        }
        Options o;
        try {
            o = parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("compare: " + e.getMessage());
            System.err.println(USAGE);
            System.exit(2);
            return;
        }
        if (o.help) {
            System.out.println(USAGE);
            System.out.println("(./rabbithole compare --help says what each option does)");
            return;
        }
        if (!"root".equals(System.getProperty("user.name"))) {
            System.err.println("compare starts containers: run it as root (sudo ./rabbithole compare)");
            System.exit(1);
        }
        System.exit(run(o));
    }

    /**
     * @param args the command line
     * @return the options
     * @throws IllegalArgumentException for a bad option or value, saying which
     */
    static Options parse(String[] args) {
        Options o = new Options();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (VALUED.contains(a) && i + 1 >= args.length) {
                throw new IllegalArgumentException(a + " needs a value");
            }
            switch (a) {
                case "--stages" -> {
                    o.stages = List.of(args[++i].split(","));
                    o.stages.forEach(Stage::byKey);
                }
                case "--runs" -> {
                    String n = args[++i];
                    if (!n.matches("[1-9][0-9]{0,3}")) {
                        throw new IllegalArgumentException("--runs takes a number from 1 to 9999, not " + n);
                    }
                    o.runs = Integer.parseInt(n);
                    o.runsGiven = true;
                }
                case "--quick" -> o.quick = true;
                case "-h", "--help" -> o.help = true;
                case "--out" -> o.out = Path.of(args[++i]);
                case "--source" -> o.source = Path.of(args[++i]);
                case "--java" -> o.java = args[++i];
                case "--java-option" -> o.javaOptions.add(args[++i]);
                case "--jar" -> {
                    String[] kv = args[++i].split("=", 2);
                    if (kv.length != 2) {
                        throw new IllegalArgumentException("--jar takes KEY=JAR, not " + args[i]);
                    }
                    o.jars.put(kv[0], Path.of(kv[1]));
                }
                default -> throw new IllegalArgumentException("unknown option " + a);
            }
        }
        if (o.quick && !o.runsGiven) {
            o.runs = 3;
        }
        return o;
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static String docker;
    private static final int STEPS = 7;
    private static final boolean TTY = System.console() != null;

    /** Prints the progress line: which section runs on which stage. */
    static synchronized void progress(int section, String what) {
        String line = String.format(Locale.ROOT, "[%d/%d] %s", section, STEPS, what);
        if (TTY) {
            System.err.print("\r" + String.format(Locale.ROOT, "%-110.110s", line));
        } else {
            System.err.println(line);
        }
    }

    /**
     * @param round the latency round, -1 for the untimed warm-up round
     * @param runs  the timed rounds
     * @return {@code warm-up round (untimed)} or {@code round R/RUNS}, R from 1
     */
    static String roundLabel(int round, int runs) {
        return round < 0 ? "warm-up round (untimed)" : "round " + (round + 1) + "/" + runs;
    }

    /** @return {@code 1 idle container}, {@code N idle containers} */
    static String idle(int count) {
        return count + " idle container" + (count == 1 ? "" : "s");
    }

    static int run(Options o) throws Exception {
        docker = RunBenchmark.which("docker", "/usr/bin/docker");
        if (docker == null) {
            System.err.println("compare drives the engines with the docker CLI: install docker.io (./rabbithole setup)");
            return 1;
        }
        Report report = new Report();
        machine(report, o);
        List<Stage> stages = new ArrayList<>();
        for (String key : o.stages) {
            Stage s = Stage.byKey(key);
            if (s.isDocker() && RunBenchmark.which("dockerd", "/usr/bin/dockerd") == null) {
                report.note(1, s.key(), "not compared: dockerd is not installed (Debian's docker.io)");
                continue;
            }
            if (!s.isDocker() && (o.jars.get(key) == null || !Files.isRegularFile(o.jars.get(key)))) {
                report.note(1, s.key(), "not compared: its jar is not built");
                continue;
            }
            stages.add(s);
            report.stages.put(s.key(), s.label());
        }
        Files.createDirectories(o.out);
        long t0 = System.nanoTime();
        Path work = Files.createTempDirectory("rabbithole-compare");
        Map<Stage, Engine> engines = new LinkedHashMap<>();
        try {
            Path rootfs = RunBenchmark.busyboxRootfs(work.resolve("rootfs"));
            progress(1, "starting " + stages.size() + " engines on temporary roots");
            for (Stage s : stages) {
                try {
                    engines.put(s, start(s, o, rootfs, work));
                } catch (Exception e) {
                    report.note(1, s.key(), "did not start: " + e.getMessage());
                }
            }
            for (Map.Entry<Stage, Engine> e : new ArrayList<>(engines.entrySet())) {
                if (e.getValue() instanceof RunBenchmark.OurDaemon d) {
                    try {
                        d.awaitReady();
                    } catch (Exception ex) {
                        report.note(1, e.getKey().key(), "did not start: " + ex.getMessage());
                        close(e.getValue());
                        engines.remove(e.getKey());
                    }
                }
            }
            report.machine.put("load before", RunBenchmark.loadAverage());
            latency(report, engines, o);
            memory(report, engines, o);
            trees(report, engines);
            load(report, engines, o);
            kernel(report, engines);
        } finally {
            engines.values().forEach(Compare::close);
        }
        try {
            new Survival(docker, o, work.resolve("rootfs"), report).run(engines.keySet().stream().toList());
        } finally {
            Cli.removeTrees(List.of(work));
        }
        progress(7, "counting lines of code");
        CodeSize.measure(report, stages, o.source);
        report.machine.put("load after", RunBenchmark.loadAverage());
        report.machine.put("duration", String.format(Locale.ROOT, "%.0f s", (System.nanoTime() - t0) / 1e9));
        if (TTY) {
            System.err.println();
        }
        report.writeRaw(o.out);
        Html.write(report, o.out.resolve("report.html"));
        System.out.print(Summary.text(report));
        System.out.println("\nreport: " + o.out.resolve("report.html") + " (and figures.csv, report.json)");
        return 0;
    }

    private static void machine(Report r, Options o) {
        r.machine.put("cores", Integer.toString(Runtime.getRuntime().availableProcessors()));
        r.machine.put("memory", RunBenchmark.memTotal());
        r.machine.put("kernel", "Linux " + System.getProperty("os.version"));
        r.machine.put("cpu", cpuModel());
        r.machine.put("docker CLI", firstLine(List.of(docker, "--version")));
        r.machine.put("daemons' java", firstLine(List.of(o.java, "-version")));
        r.machine.put("mode", (o.quick ? "--quick, " : "") + o.runs + " runs, " + o.memoryContainers()
                + " idle containers, " + o.concurrent() + " concurrent starts");
        r.machine.put("date", java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString());
    }

    private static String cpuModel() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .map(l -> l.substring(l.indexOf(':') + 1).trim()).findFirst().orElse("?");
        } catch (IOException e) {
            return "?";
        }
    }

    private static String firstLine(List<String> cmd) {
        return Cli.run(30, cmd).out().lines().findFirst().orElse("").trim();
    }

    private static Engine start(Stage s, Options o, Path rootfs, Path work) throws Exception {
        if (s.isDocker()) {
            return RunBenchmark.Dockerd.start(RunBenchmark.which("dockerd", "/usr/bin/dockerd"), docker, rootfs, work);
        }
        return RunBenchmark.OurDaemon.start(s.label(), o.java, o.javaOptions, o.jars.get(s.key()), docker,
                s.program(), s.args());
    }

    private static void close(Engine e) {
        try {
            e.close();
        } catch (Exception ex) {
            System.err.println("compare: stopping " + e.label() + ": " + ex);
        }
    }

    // ---------------------------------------------------------------- 1. start latency

    private static void latency(Report r, Map<Stage, Engine> engines, Options o) {
        r.method.put(1, "Wall time of the docker CLI (Debian's 20.10) per command, from its start to its exit: "
                + "`run --rm busybox true`, and `run -d busybox sleep 3600` (it returns once the container runs; "
                + "removed after, untimed). " + o.runs + " rounds after one untimed warm-up round, interleaved: "
                + "each round runs every stage once, so drift of the machine hits all alike. Median and 90th "
                + "percentile (nearest rank); ratio = median / Docker's median.");
        Map<Stage, List<Double>> rm = new LinkedHashMap<>();
        Map<Stage, List<Double>> detached = new LinkedHashMap<>();
        for (int round = -1; round < o.runs; round++) {
            for (Map.Entry<Stage, Engine> e : engines.entrySet()) {
                progress(1, "start latency, " + roundLabel(round, o.runs) + ": " + e.getKey().label());
                String host = e.getValue().host();
                long t = System.nanoTime();
                Cli.Result a = Cli.run(120, Cli.docker(docker, host, "run", "--rm", "busybox", "true"));
                double ms = (System.nanoTime() - t) / 1e6;
                if (round >= 0 && a.ok()) {
                    rm.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).add(ms);
                }
                t = System.nanoTime();
                Cli.Result b = Cli.run(120, Cli.docker(docker, host, "run", "-d", "busybox", "sleep", "3600"));
                ms = (System.nanoTime() - t) / 1e6;
                if (round >= 0 && b.ok()) {
                    detached.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).add(ms);
                }
                if (b.ok()) {
                    Cli.run(60, Cli.docker(docker, host, "rm", "-f", b.out().trim()));
                }
                if (!a.ok() || !b.ok()) {
                    r.note(1, e.getKey().key(), "a run failed: " + (a.ok() ? b.out() : a.out()).trim());
                }
            }
        }
        summarize(r, 1, "run --rm", rm);
        summarize(r, 1, "run -d", detached);
    }

    private static void summarize(Report r, int section, String item, Map<Stage, List<Double>> samples) {
        Stage dockerStage = Stage.byKey("docker");
        List<Double> ref = samples.get(dockerStage);
        double refMedian = ref == null || ref.isEmpty() ? Double.NaN : RunBenchmark.median(sorted(ref));
        samples.forEach((s, l) -> {
            if (l.isEmpty()) {
                return;
            }
            List<Double> sorted = sorted(l);
            double median = RunBenchmark.median(sorted);
            r.add(section, s.key(), item, "median", median, "ms");
            r.add(section, s.key(), item, "p90", RunBenchmark.percentile(sorted, 90), "ms");
            r.add(section, s.key(), item, "runs", l.size(), "runs");
            if (!Double.isNaN(refMedian)) {
                r.add(section, s.key(), item, "ratio to docker", median / refMedian, "x");
            }
        });
    }

    private static List<Double> sorted(List<Double> l) {
        return l.stream().sorted().toList();
    }

    // ---------------------------------------------------------------- 2. memory

    private static void memory(Report r, Map<Stage, Engine> engines, Options o) {
        int n = o.memoryContainers();
        r.method.put(2, "Proportional set size (Pss of /proc/PID/smaps_rollup, proc(5): a page shared by k processes "
                + "counts 1/k to each) of every long-lived process of the engine (the daemon, containerd, pooled "
                + "inits) and of the per-container processes between the engine and the workload (shims, "
                + "lxc-execute), grouped by role, with 0, 1 and " + n + " idle `busybox sleep 3600` containers; the "
                + "workloads themselves are not counted. MB = 10^6 bytes. Cost per container = (total with " + n
                + " - total with 1) / " + (n - 1) + ".");
        for (Map.Entry<Stage, Engine> e : engines.entrySet()) {
            Stage s = e.getKey();
            String host = e.getValue().host();
            List<String> ids = new ArrayList<>();
            try {
                for (int count : List.of(0, 1, n)) {
                    progress(2, "memory: " + s.label() + " with " + idle(count));
                    while (ids.size() < count) {
                        ids.add(Cli.output(Cli.docker(docker, host, "run", "-d", "busybox", "sleep", "3600")).trim());
                    }
                    Map<String, long[]> roles = rolesPss(e.getValue(), ids, host);
                    long total = 0;
                    for (Map.Entry<String, long[]> role : roles.entrySet()) {
                        r.add(2, s.key(), role.getKey(), "pss " + count, role.getValue()[0] / 1e6, "MB");
                        r.add(2, s.key(), role.getKey(), "processes " + count, role.getValue()[1], "processes");
                        total += role.getValue()[0];
                    }
                    r.add(2, s.key(), "total", "pss " + count, total / 1e6, "MB");
                }
                double perContainer = (r.value(2, s.key(), "total", "pss " + n) - r.value(2, s.key(), "total", "pss 1"))
                        / (n - 1);
                r.add(2, s.key(), "total", "per container", perContainer, "MB");
            } catch (RuntimeException ex) {
                r.note(2, s.key(), "not measured: " + ex.getMessage());
            } finally {
                removeAll(host, ids);
            }
        }
    }

    private static void removeAll(String host, List<String> ids) {
        if (!ids.isEmpty()) {
            List<String> rm = Cli.docker(docker, host, "rm", "-f");
            rm.addAll(ids);
            Cli.run(300, rm);
        }
    }

    /** @return per role: PSS bytes and process count */
    private static Map<String, long[]> rolesPss(Engine engine, List<String> ids, String host) {
        Set<Long> enginePids = engine.enginePids();
        Set<Long> pids = new LinkedHashSet<>(enginePids);
        Map<Long, Long> parents = RunBenchmark.parents();
        for (long w : workloads(host, ids)) {
            pids.addAll(ProcessTree.chain(w, enginePids, parents));
        }
        Map<String, long[]> roles = new TreeMap<>();
        for (long pid : pids) {
            long[] a = roles.computeIfAbsent(ProcessTree.role(pid), k -> new long[2]);
            a[0] += RunBenchmark.pss(pid);
            a[1]++;
        }
        return roles;
    }

    private static List<Long> workloads(String host, List<String> ids) {
        if (ids.isEmpty()) {
            return List.of();
        }
        List<String> cmd = Cli.docker(docker, host, "inspect", "-f", "{{.State.Pid}}");
        cmd.addAll(ids);
        return Cli.output(cmd).lines().map(String::trim).filter(l -> l.matches("[0-9]+")).map(Long::parseLong)
                .filter(p -> p > 0).toList();
    }

    // ---------------------------------------------------------------- 3. process trees

    private static void trees(Report r, Map<Stage, Engine> engines) {
        r.method.put(3, "One `run -d busybox sleep 3600` per stage; its process tree read from /proc (parent pids, "
                + "command lines, /proc/PID/exe to tell JVMs): the engine's processes, those between the engine and "
                + "the workload, the workload. Processes that exit once the container started (runc) and the IPC "
                + "hops of `docker run` with their protocols come from the stage's table (Stage.ALL), checked "
                + "against the code.");
        for (Map.Entry<Stage, Engine> e : engines.entrySet()) {
            Stage s = e.getKey();
            progress(3, "process tree: " + s.label());
            String host = e.getValue().host();
            String id = null;
            try {
                id = Cli.output(Cli.docker(docker, host, "run", "-d", "busybox", "sleep", "3600")).trim();
                long w = workloads(host, List.of(id)).get(0);
                List<ProcessTree.Node> nodes = ProcessTree.tree(e.getValue().enginePids(), w);
                r.trees.put(s.key(), nodes);
                r.note(3, s.key(), ProcessTree.draw(nodes).stripTrailing());
                r.add(3, s.key(), "processes", "running container", nodes.size(), "processes");
                r.add(3, s.key(), "processes", "JVMs", nodes.stream().filter(ProcessTree.Node::jvm).count(), "processes");
                r.add(3, s.key(), "processes", "exit after start", s.transients().size(), "processes");
                r.add(3, s.key(), "docker run", "IPC hops", s.hops().size(), "hops");
            } catch (RuntimeException ex) {
                r.note(3, s.key(), "not measured: " + ex.getMessage());
            } finally {
                if (id != null) {
                    Cli.run(60, Cli.docker(docker, host, "rm", "-f", id));
                }
            }
        }
    }

    // ---------------------------------------------------------------- 5. concurrent starts

    private static void load(Report r, Map<Stage, Engine> engines, Options o) throws InterruptedException {
        int n = o.concurrent();
        r.method.put(5, n + " `docker run --rm busybox true` started at once per stage (one thread each, one stage "
                + "after the other); total = from the first start to the last exit (wall time); a failure is a "
                + "non-zero exit of the CLI or no exit within 300 s.");
        for (Map.Entry<Stage, Engine> e : engines.entrySet()) {
            progress(5, n + " concurrent starts: " + e.getKey().label());
            String host = e.getValue().host();
            AtomicInteger failures = new AtomicInteger();
            List<String> errors = new ArrayList<>();
            ExecutorService pool = Executors.newFixedThreadPool(n);
            long t = System.nanoTime();
            List<Future<?>> all = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                all.add(pool.submit(() -> {
                    Cli.Result res = Cli.run(300, Cli.docker(docker, host, "run", "--rm", "busybox", "true"));
                    if (!res.ok()) {
                        failures.incrementAndGet();
                        synchronized (errors) {
                            errors.add(res.out().trim());
                        }
                    }
                }));
            }
            for (Future<?> f : all) {
                try {
                    f.get();
                } catch (java.util.concurrent.ExecutionException ex) {
                    failures.incrementAndGet();
                }
            }
            double seconds = (System.nanoTime() - t) / 1e9;
            pool.shutdown();
            pool.awaitTermination(10, TimeUnit.SECONDS);
            r.add(5, e.getKey().key(), "concurrent run --rm", "total", seconds, "s");
            r.add(5, e.getKey().key(), "concurrent run --rm", "failures", failures.get(), "runs");
            r.add(5, e.getKey().key(), "concurrent run --rm", "started", n, "runs");
            if (!errors.isEmpty()) {
                r.note(5, e.getKey().key(), "first failure: " + errors.get(0));
            }
        }
    }

    // ---------------------------------------------------------------- 6. kernel work

    private static void kernel(Report r, Map<Stage, Engine> engines) {
        String strace = RunBenchmark.which("strace", "/usr/bin/strace");
        r.method.put(6, "The kernel calls of one `docker run --rm busybox true`, counted by `strace -f -c` attached "
                + "to the engine's long-lived processes (all their threads, and every process they start during the "
                + "run: shims, runc, the container's init); the docker CLI and processes outside the engine's tree "
                + "are not counted. Time is the system time strace measured in the calls (seconds), not wall time; "
                + "strace slows every call. Where a stage records its own start (a rabbithole extension, GET "
                + "/containers/ID/explain, what `run --explain` prints) its recorded calls are counted by kind too.");
        for (Map.Entry<Stage, Engine> e : engines.entrySet()) {
            Stage s = e.getKey();
            String host = e.getValue().host();
            progress(6, "kernel work per start: " + s.label());
            if (strace != null) {
                try {
                    straced(r, s, e.getValue(), strace);
                } catch (Exception ex) {
                    r.note(6, s.key(), "strace: not measured: " + ex.getMessage());
                }
            } else {
                r.note(6, s.key(), "strace is not installed (apt-get install strace): no kernel call counts");
            }
            if (!s.isDocker()) {
                explained(r, s, host);
            }
        }
    }

    private static void straced(Report r, Stage s, Engine engine, String strace) throws Exception {
        Path out = Files.createTempFile("rabbithole-compare-strace", ".txt");
        try {
            List<String> cmd = new ArrayList<>(List.of(strace, "-f", "-c", "-o", out.toString()));
            Set<Long> pids = engine.enginePids();
            pids.forEach(p -> cmd.addAll(List.of("-p", Long.toString(p))));
            Path err = Files.createTempFile("rabbithole-compare-strace", ".err");
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(err.toFile()).start();
            try {
                // strace says "Process N attached" for each process it attaches (and each of its threads)
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                while (System.nanoTime() < deadline && p.isAlive()
                        && Files.readString(err).split("attached", -1).length - 1 < pids.size()) {
                    Thread.sleep(50);
                }
                if (!p.isAlive()) {
                    throw new IllegalStateException(Files.readString(err).trim());
                }
                Cli.Result run = Cli.run(120, Cli.docker(docker, engine.host(), "run", "--rm", "busybox", "true"));
                if (!run.ok()) {
                    throw new IllegalStateException("the run failed under strace: " + run.out().trim());
                }
            } finally {
                p.destroy();   // SIGTERM: strace detaches and writes its summary
                if (!p.waitFor(60, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
                Files.deleteIfExists(err);
            }
            parseStraceSummary(r, s, Files.readString(out));
        } finally {
            Files.deleteIfExists(out);
        }
    }

    /**
     * Reads strace's {@code -c} table (% time, seconds, usecs/call, calls, errors, syscall) into figures: the
     * total, and the eight kinds with the most calls.
     */
    static void parseStraceSummary(Report r, Stage s, String table) {
        Map<String, double[]> kinds = new LinkedHashMap<>();
        double seconds = Double.NaN;
        for (String line : table.split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length < 4 || !f[0].matches("[0-9.]+") || !f[1].matches("[0-9.]+")) {
                continue;
            }
            String name = f[f.length - 1];
            if (name.equals("total")) {
                seconds = Double.parseDouble(f[1]);   // its columns vary with strace's version: the calls are summed
            } else if (f.length >= 5) {
                kinds.put(name, new double[] {Double.parseDouble(f[3]), Double.parseDouble(f[1])});
            }
        }
        if (Double.isNaN(seconds)) {
            throw new IllegalStateException("strace wrote no summary: " + table.strip());
        }
        r.add(6, s.key(), "strace", "calls", kinds.values().stream().mapToDouble(k -> k[0]).sum(), "calls");
        r.add(6, s.key(), "strace", "system time", seconds, "s");
        r.add(6, s.key(), "strace", "kinds", kinds.size(), "kinds");
        kinds.entrySet().stream().sorted((a, b) -> Double.compare(b.getValue()[0], a.getValue()[0])).limit(8)
                .forEach(k -> r.add(6, s.key(), "strace " + k.getKey(), "calls", k.getValue()[0], "calls"));
    }

    private static void explained(Report r, Stage s, String host) {
        String id = null;
        try {
            id = Cli.output(Cli.docker(docker, host, "run", "-d", "busybox", "true")).trim();
            Path socket = Path.of(host.substring("unix://".length()));
            Cli.Result res = Cli.get(socket, "/containers/" + id + "/explain");
            if (!res.ok()) {
                r.note(6, s.key(), "the stage records no kernel calls of its starts (no explain)");
                return;
            }
            JsonNode calls = JSON.readTree(res.out()).path("KernelCalls");
            Map<String, Integer> byKind = new TreeMap<>();
            int count = 0;
            for (JsonNode c : calls) {
                String line = c.asText().trim();
                int paren = line.indexOf('(');
                if (paren <= 0 || !line.substring(0, paren).matches("[a-z_0-9]+")) {
                    continue;
                }
                byKind.merge(line.substring(0, paren), 1, Integer::sum);
                count++;
            }
            if (count == 0) {
                r.note(6, s.key(), "the stage records no kernel calls of its starts (its explain lists none)");
                return;
            }
            r.add(6, s.key(), "explain", "calls", count, "calls");
            byKind.forEach((k, v) -> r.add(6, s.key(), "explain " + k, "calls", v, "calls"));
        } catch (Exception ex) {
            r.note(6, s.key(), "explain: " + ex.getMessage());
        } finally {
            if (id != null) {
                Cli.run(60, Cli.docker(docker, host, "rm", "-f", id));
            }
        }
    }
}
