package dev.rabbithole.stage2.e2e;

import dev.rabbithole.stage1.image.BusyboxImage;
import dev.rabbithole.testsupport.DebianDockerd;
import dev.rabbithole.testsupport.JarDaemon;
import org.junit.jupiter.api.DynamicTest;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.fail;
import static org.awaitility.Awaitility.await;

/**
 * The engine of the differential test, shared by every stage's module: runs {@link DifferentialCatalogue}'s entries
 * on Docker and on each stage under comparison (each engine its entries in order, the engines at the same time),
 * gives one JUnit test per entry (a stage expected to MATCH that differs fails, and a stage marked DIFFERS that now
 * matches fails too: its reason is stale), and prints a table of every step on every engine. An entry marked
 * NOT RUN for a stage is not run on that stage at all.
 *
 * <p>Each step runs the docker CLI found on the PATH ({@code docker -H SOCK WORDS}) or, for host steps, the words
 * themselves; outputs are made comparable by each engine's {@link OutputNormaliser}.
 */
public final class DifferentialRun {

    /**
     * An engine under comparison.
     *
     * @param name       its name in the table ({@code docker}, {@code stage1}, ...)
     * @param host       its socket, as {@code -H} takes it ({@code unix:///PATH})
     * @param tmp        a temporary directory of its own ({@code {tmp}} in a step)
     * @param normaliser its outputs' normaliser
     */
    public record Engine(String name, String host, Path tmp, OutputNormaliser normaliser) { }

    /**
     * A stage compared with Docker.
     *
     * @param engine the stage's engine
     * @param expect what the stage is expected to show for an entry ({@code DiffEntry::stage2}, say)
     */
    public record Stage(Engine engine, Function<DiffEntry, DiffEntry.Expect> expect) { }

    /** One step's result, normalised; {@code compared} is false for steps whose output is not compared. */
    record StepResult(boolean compared, int exit, String out, String err) {
        String cell(boolean withErr) {
            String s = "exit " + exit + (out.isEmpty() ? "" : ": " + out);
            if (withErr && !err.isEmpty()) s += " [err: " + err + "]";
            return s;
        }
    }

    private static final StepResult NOT_RUN = new StepResult(false, 0, "(not run)", "");

    private final Engine docker;
    private final List<Stage> stages;
    private final List<DiffEntry> entries;
    /** entry name -> engine name -> step results */
    private final Map<String, Map<String, List<StepResult>>> results = new ConcurrentHashMap<>();
    private long catalogueMillis;

    /**
     * @param docker  Debian's dockerd, whose results are the expected values
     * @param stages  the stages compared with it
     * @param entries the entries ({@link DifferentialCatalogue#ENTRIES})
     */
    public DifferentialRun(Engine docker, List<Stage> stages, List<DiffEntry> entries) {
        this.docker = docker;
        this.stages = List.copyOf(stages);
        this.entries = List.copyOf(entries);
    }

    /**
     * Starts Debian's dockerd on temporary roots with the busybox layer imported as {@code busybox:latest}.
     *
     * @return the running dockerd
     * @throws Exception it does not start, or the import fails
     */
    public static DebianDockerd startDocker() throws Exception {
        DebianDockerd started = new DebianDockerd(DebianDockerd.find().orElseThrow());
        Path layer = started.dir.resolve("busybox-layer.tar.gz");
        Files.write(layer, BusyboxImage.build().layer());
        started.importImage(layer, "busybox:latest", BusyboxImage.ENV);
        Files.delete(layer);
        return started;
    }

    /**
     * @param dockerd a running Debian dockerd
     * @return the engine of the differential run for it, named {@code docker}
     * @throws Exception {@code docker version} fails
     */
    public static DifferentialRun.Engine dockerEngine(DebianDockerd dockerd) throws Exception {
        String dockerVersion = JarDaemon.exec(
                List.of("docker", "-H", dockerd.host(), "version", "--format", "{{.Server.Version}}")).out().trim();
        return new DifferentialRun.Engine("docker", dockerd.host(), dockerd.dir,
                new OutputNormaliser(dockerd.dir.toString(), dockerd.socket.toString(), Pattern.quote(dockerVersion)));
    }

    /**
     * A stage's version string as {@link OutputNormaliser} takes it, e.g. {@code 0.1.0-stage2}.
     *
     * @param stage 1, 2, 3 ...
     * @return a regular expression for a version ending in {@code -stageN}
     */
    public static String selfName(int stage) {
        return "\\b[0-9][0-9A-Za-z.+~]*-stage" + stage + "\\b";
    }

    /**
     * Runs every entry on every engine, the engines at the same time.
     *
     * @throws Exception a test error of the runner itself (a step's own failure is a result)
     */
    public void runCatalogue() throws Exception {
        List<Engine> engines = new ArrayList<>();
        engines.add(docker);
        stages.forEach(s -> engines.add(s.engine()));
        ExecutorService pool = Executors.newFixedThreadPool(engines.size());
        long t1 = System.nanoTime();
        try {
            List<Future<?>> runs = new ArrayList<>();
            for (Engine e : engines) {
                Function<DiffEntry, DiffEntry.Expect> expect = stages.stream().filter(s -> s.engine() == e)
                        .map(Stage::expect).findFirst().orElse(x -> DiffEntry.Expect.MATCH);
                runs.add(pool.submit(() -> {
                    for (DiffEntry entry : entries) {
                        List<StepResult> r = expect.apply(entry).skipped()
                                ? entry.steps().stream().map(s -> NOT_RUN).toList() : run(e, entry);
                        results.computeIfAbsent(entry.name(), k -> new ConcurrentHashMap<>()).put(e.name(), r);
                    }
                    return null;
                }));
            }
            for (Future<?> f : runs) f.get();
        } finally {
            pool.shutdownNow();
        }
        catalogueMillis = (System.nanoTime() - t1) / 1_000_000;
    }

    /** @return one test per entry: each stage shows what it is expected to show beside Docker */
    public Stream<DynamicTest> tests() {
        return entries.stream().map(entry -> DynamicTest.dynamicTest(entry.name(), () -> {
            List<String> problems = new ArrayList<>();
            for (Stage s : stages) {
                String v = verdict(entry, s);
                if (v.startsWith("FAIL")) {
                    problems.add(s.engine().name() + ": " + v + " (expected " + s.expect().apply(entry) + ")");
                }
            }
            if (!problems.isEmpty()) {
                fail(entry.name() + " (" + entry.about() + "):\n" + String.join("\n", problems) + "\n" + detail(entry));
            }
        }));
    }

    /**
     * Prints the table and writes it to {@code report}; nothing when the catalogue did not run.
     *
     * @throws IOException the report cannot be written
     */
    public void report(Path report) throws IOException {
        if (results.isEmpty()) return;
        String table = table();
        System.out.println(table);
        Files.createDirectories(report.toAbsolutePath().getParent());
        Files.writeString(report, table);
    }

    private boolean same(DiffEntry entry, String engine) {
        List<StepResult> expected = results.get(entry.name()).get(docker.name());
        List<StepResult> other = results.get(entry.name()).get(engine);
        for (int i = 0; i < expected.size(); i++) {
            StepResult a = expected.get(i);
            StepResult b = other.get(i);
            if (!a.compared()) continue;
            if (a.exit() != b.exit() || !a.out().equals(b.out()) || (entry.stderr() && !a.err().equals(b.err()))) {
                return false;
            }
        }
        return true;
    }

    /** {@code ok} (matches, as expected), {@code differs (expected)}, {@code not run}, or FAIL with why. */
    private String verdict(DiffEntry entry, Stage stage) {
        DiffEntry.Expect expect = stage.expect().apply(entry);
        if (expect.skipped()) return "not run";
        boolean same = same(entry, stage.engine().name());
        if (expect.match()) return same ? "ok" : "FAIL differs";
        return same ? "FAIL now matches: remove its DIFFERS" : "differs (expected)";
    }

    // ---- running ----------------------------------------------------------------------------------------

    private static List<StepResult> run(Engine engine, DiffEntry entry) {
        List<StepResult> results = new ArrayList<>();
        String last = "";
        for (DiffEntry.Step step : entry.steps()) {
            StepResult r;
            String rawOut;
            try {
                List<String> words = new ArrayList<>();
                for (String w : DiffEntry.words(step.line())) {
                    words.add(w.replace("{tmp}", engine.tmp().toString()).replace("{last}", last));
                }
                List<String> cmd = new ArrayList<>();
                if (step.kind() != DiffEntry.Kind.HOST) cmd.addAll(List.of("docker", "-H", engine.host()));
                cmd.addAll(words);
                JarDaemon.Result raw = switch (step.kind()) {
                    case AWAIT -> awaitOutput(cmd, step.expect());
                    case TIMED -> timed(cmd, step.seconds());
                    default -> JarDaemon.exec(cmd);
                };
                rawOut = raw.out();
                String out = raw.out();
                if (step.grep() != null) {
                    out = out.lines().filter(l -> l.contains(step.grep())).collect(Collectors.joining("\n"));
                }
                r = new StepResult(step.kind() != DiffEntry.Kind.QUIET, raw.exit(),
                        engine.normaliser().normalise(out, entry.keepSize()),
                        engine.normaliser().normalise(raw.err(), entry.keepSize()));
            } catch (Exception e) {
                rawOut = "";
                r = new StepResult(true, -1, "", "test error: " + e);
            }
            last = rawOut.trim();
            results.add(r);
        }
        return results;
    }

    /** Repeats {@code cmd} until its stdout contains {@code expect} (at most 30 s): exit 0 "seen", 1 "not seen". */
    private static JarDaemon.Result awaitOutput(List<String> cmd, String expect) {
        try {
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                    .until(() -> JarDaemon.exec(cmd).out().contains(expect));
            return new JarDaemon.Result(0, "seen: " + expect, "");
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            return new JarDaemon.Result(1, "not seen within 30 s: " + expect, "");
        }
    }

    /** Runs {@code cmd} and appends to its stdout whether it ended within {@code seconds}. */
    private static JarDaemon.Result timed(List<String> cmd, int seconds) throws IOException, InterruptedException {
        long t0 = System.nanoTime();
        JarDaemon.Result r = JarDaemon.exec(cmd);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        String verdict = ms <= seconds * 1000L ? "[ended within " + seconds + " s]" : "[took longer than " + seconds + " s]";
        return new JarDaemon.Result(r.exit(), r.out() + verdict + "\n", r.err());
    }

    // ---- the table --------------------------------------------------------------------------------------

    private List<String> engineNames() {
        List<String> names = new ArrayList<>();
        names.add(docker.name());
        stages.forEach(s -> names.add(s.engine().name()));
        return names;
    }

    private String table() {
        List<String> names = engineNames();
        int cols = names.size() + 2;
        List<String[]> rows = new ArrayList<>();
        String[] head = new String[cols];
        head[0] = "entry";
        for (int c = 0; c < names.size(); c++) head[c + 1] = names.get(c);
        head[cols - 1] = "verdict";
        rows.add(head);
        int failures = 0;
        int[] matches = new int[stages.size()];
        int[] differs = new int[stages.size()];
        int[] notRun = new int[stages.size()];
        for (DiffEntry entry : entries) {
            Map<String, List<StepResult>> byEngine = results.get(entry.name());
            if (byEngine == null || byEngine.size() < names.size()) continue;
            List<String> verdicts = new ArrayList<>();
            boolean failed = false;
            for (int s = 0; s < stages.size(); s++) {
                String v = verdict(entry, stages.get(s));
                failed |= v.startsWith("FAIL");
                if (v.equals("not run")) notRun[s]++;
                else if (same(entry, stages.get(s).engine().name())) matches[s]++;
                else differs[s]++;
                verdicts.add(stages.get(s).engine().name() + " " + v);
            }
            if (failed) failures++;
            for (int i = 0; i < entry.steps().size(); i++) {
                if (!byEngine.get(docker.name()).get(i).compared()) continue;
                String[] row = new String[cols];
                row[0] = entry.name() + (entry.steps().size() > 1 ? "/" + (i + 1) : "");
                for (int c = 0; c < names.size(); c++) row[c + 1] = cell(byEngine.get(names.get(c)).get(i), entry);
                row[cols - 1] = i == 0 ? String.join("; ", verdicts) : "";
                rows.add(row);
            }
        }
        int[] width = new int[cols];
        for (String[] r : rows) for (int c = 0; c < cols; c++) width[c] = Math.max(width[c], r[c].length());
        StringBuilder b = new StringBuilder();
        b.append(String.format("docker-differential: %d entries on %s in %d ms (catalogue only); %d entries FAIL%n",
                entries.size(), String.join(", ", names), catalogueMillis, failures));
        for (int s = 0; s < stages.size(); s++) {
            b.append(String.format("  %s: %d match, %d differ, %d not run%n", stages.get(s).engine().name(),
                    matches[s], differs[s], notRun[s]));
        }
        for (String[] r : rows) {
            for (int c = 0; c < cols - 1; c++) b.append(String.format("%-" + width[c] + "s | ", r[c]));
            b.append(r[cols - 1]).append('\n');
        }
        b.append("\nDetails of each entry that differs from Docker:\n");
        for (DiffEntry entry : entries) {
            Map<String, List<StepResult>> byEngine = results.get(entry.name());
            if (byEngine != null && byEngine.size() == names.size()
                    && !stages.stream().allMatch(s -> same(entry, s.engine().name()))) {
                b.append(detail(entry));
            }
        }
        return b.toString();
    }

    private static final int CELL = 48;

    private static String cell(StepResult r, DiffEntry entry) {
        String s = r == NOT_RUN ? "(not run)" : r.cell(entry.stderr()).replace("\n", "\u23ce");
        return s.length() <= CELL ? s : s.substring(0, CELL - 1) + "\u2026";
    }

    private String detail(DiffEntry entry) {
        StringBuilder b = new StringBuilder();
        b.append("== ").append(entry.name()).append(": ").append(entry.about()).append("\n  ");
        for (Stage s : stages) b.append(' ').append(s.engine().name()).append(' ').append(s.expect().apply(entry)).append(';');
        b.append('\n');
        Map<String, List<StepResult>> byEngine = results.get(entry.name());
        for (int i = 0; i < entry.steps().size(); i++) {
            DiffEntry.Step step = entry.steps().get(i);
            b.append("   $ ").append(step.kind() == DiffEntry.Kind.HOST ? "" : "docker ").append(step.line()).append('\n');
            Map<String, StepResult> row = new LinkedHashMap<>();
            for (String e : engineNames()) row.put(e, byEngine.get(e).get(i));
            for (Map.Entry<String, StepResult> e : row.entrySet()) {
                StepResult r = e.getValue();
                if (r == NOT_RUN) {
                    b.append(String.format("     %-6s (not run)%n", e.getKey()));
                    continue;
                }
                b.append(String.format("     %-6s exit %d%s%n", e.getKey(), r.exit(),
                        (r.compared() ? "" : " (not compared)")));
                if (!r.out().isEmpty()) b.append(indent(r.out(), "            out| "));
                if (!r.err().isEmpty()) b.append(indent(r.err(), "            err| "));
            }
        }
        return b.toString();
    }

    private static String indent(String text, String prefix) {
        return text.lines().map(l -> prefix + l + "\n").collect(Collectors.joining());
    }
}
