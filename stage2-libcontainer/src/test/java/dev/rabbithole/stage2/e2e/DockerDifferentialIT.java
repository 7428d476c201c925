package dev.rabbithole.stage2.e2e;

import dev.rabbithole.testsupport.DebianDockerd;
import dev.rabbithole.testsupport.HostFiles;
import dev.rabbithole.stage1.image.BusyboxImage;
import dev.rabbithole.stage1.storage.FileTrees;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

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
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.fail;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The differential test of issue 7: one catalogue of docker CLI invocations ({@link DifferentialCatalogue}) run
 * against Debian's dockerd 20.10 (with its containerd and runc), a stage-1 daemon and a stage-2 daemon (native
 * driver), each on temporary roots, with the same busybox layer ({@link BusyboxImage}, given to Docker with
 * {@code docker import}). Docker's exit codes and outputs, normalised by {@link OutputNormaliser}, are the
 * expected values. An entry fails when a stage expected to MATCH differs, and also when a stage marked DIFFERS
 * now matches (the reason is stale: remove it). A table of every step on every engine is printed at the end and
 * written to {@code target/docker-differential.txt}.
 *
 * <p>One daemon per engine for the whole catalogue; the three engines run the catalogue at the same time, each
 * its entries in order. Skipped, saying why, when not root, or dockerd, the docker CLI, busybox-static or stage
 * 1's jar is missing ({@code ./rabbithole test} installs docker.io, containerd and runc).
 */
class DockerDifferentialIT {

    private static final String DOCKER = "docker";
    private static final String STAGE1 = "stage1";
    private static final String STAGE2 = "stage2";
    private static final Path REPORT = Path.of("target", "docker-differential.txt");

    /** An engine under comparison: its name, socket, own temporary directory and normaliser. */
    private record Engine(String name, String host, Path tmp, OutputNormaliser normaliser) { }

    /** One step's result, normalised; {@code compared} is false for steps whose output is not compared. */
    private record StepResult(boolean compared, int exit, String out, String err) {
        String cell(boolean withErr) {
            String s = "exit " + exit + (out.isEmpty() ? "" : ": " + out);
            if (withErr && !err.isEmpty()) s += " [err: " + err + "]";
            return s;
        }
    }

    private static DebianDockerd dockerd;
    private static Stage1JarDaemon stage1;
    private static Stage2Daemon stage2;
    private static Path stage2Dir;
    private static final List<Engine> ENGINES = new ArrayList<>();
    /** entry name -> engine name -> step results */
    private static final Map<String, Map<String, List<StepResult>>> RESULTS = new ConcurrentHashMap<>();
    private static long catalogueMillis;

    @BeforeAll
    static void startEnginesAndRunTheCatalogue() throws Exception {
        assumeTrue(Stage2Daemon.isRoot(), "the differential test starts containers: it needs root "
                + "(sudo ./rabbithole test)");
        assumeTrue(DebianDockerd.find().isPresent(), "dockerd is not installed (Debian's docker.io, which "
                + "./rabbithole test installs): the comparison with Docker is skipped");
        assumeTrue(Files.isExecutable(Path.of("/bin/busybox")), "busybox-static missing: ./rabbithole setup installs it");
        boolean haveCli;
        try {
            haveCli = Stage2Daemon.exec(List.of("docker", "--version")).exit() == 0;
        } catch (IOException e) {
            haveCli = false;
        }
        assumeTrue(haveCli, "the docker CLI is not installed");
        assumeTrue(Files.isRegularFile(Stage1JarDaemon.JAR), "stage 1's jar " + Stage1JarDaemon.JAR
                + " is not built (build the whole project: mvn package)");
        assumeTrue(Files.isRegularFile(Stage2Daemon.JAR), "stage 2's jar " + Stage2Daemon.JAR + " is not built");

        long t0 = System.nanoTime();
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try {
            Future<DebianDockerd> d = pool.submit(() -> {
                DebianDockerd started = new DebianDockerd(DebianDockerd.find().orElseThrow());
                Path layer = started.dir.resolve("busybox-layer.tar.gz");
                Files.write(layer, BusyboxImage.build().layer());
                started.importImage(layer, "busybox:latest", BusyboxImage.ENV);
                Files.delete(layer);
                return started;
            });
            Future<Stage1JarDaemon> s1 = pool.submit(Stage1JarDaemon::new);
            Future<Stage2Daemon> s2 = pool.submit(() -> {
                stage2Dir = Files.createTempDirectory("rh-stage2-");
                return new Stage2Daemon(stage2Dir, "native");
            });
            // keep each one that started, so that @AfterAll stops it even when another failed
            Exception first = null;
            try { dockerd = d.get(); } catch (Exception e) { first = e; }
            try { stage1 = s1.get(); } catch (Exception e) { first = first == null ? e : first; }
            try { stage2 = s2.get(); } catch (Exception e) { first = first == null ? e : first; }
            if (first != null) throw first;
            System.out.printf("docker-differential: engines up in %d ms%n", (System.nanoTime() - t0) / 1_000_000);

            String dockerVersion = Stage2Daemon.exec(
                    List.of("docker", "-H", dockerd.host(), "version", "--format", "{{.Server.Version}}")).out().trim();
            ENGINES.add(new Engine(DOCKER, dockerd.host(), dockerd.dir,
                    new OutputNormaliser(dockerd.dir.toString(), dockerd.socket.toString(), Pattern.quote(dockerVersion))));
            ENGINES.add(new Engine(STAGE1, stage1.host(), stage1.dir,
                    new OutputNormaliser(stage1.dir.toString(), stage1.socket.toString(), selfName(1))));
            ENGINES.add(new Engine(STAGE2, stage2.host(), stage2Dir,
                    new OutputNormaliser(stage2Dir.toString(), stage2.socket.toString(), selfName(2))));

            long t1 = System.nanoTime();
            List<Future<?>> runs = new ArrayList<>();
            for (Engine e : ENGINES) {
                runs.add(pool.submit(() -> {
                    for (DiffEntry entry : DifferentialCatalogue.ENTRIES) {
                        RESULTS.computeIfAbsent(entry.name(), k -> new ConcurrentHashMap<>()).put(e.name(), run(e, entry));
                    }
                    return null;
                }));
            }
            for (Future<?> f : runs) f.get();
            catalogueMillis = (System.nanoTime() - t1) / 1_000_000;
        } finally {
            pool.shutdownNow();
        }
    }

    /** A stage's version string, e.g. {@code 0.1.0-stage2} (or anything ending in {@code -stageN}). */
    private static String selfName(int stage) {
        return "\\b[0-9][0-9A-Za-z.+~]*-stage" + stage + "\\b";
    }

    @AfterAll
    static void printTableAndStopEngines() throws Exception {
        try {
            if (!RESULTS.isEmpty()) {
                String table = table();
                System.out.println(table);
                Files.createDirectories(REPORT.getParent());
                Files.writeString(REPORT, table);
            }
        } finally {
            Exception first = null;
            try { if (dockerd != null) dockerd.close(); } catch (Exception e) { first = e; }
            try { if (stage1 != null) stage1.close(); } catch (Exception e) { first = first == null ? e : first; }
            try {
                if (stage2 != null) stage2.close();
                if (stage2Dir != null) {
                    HostFiles.unmountUnder(stage2Dir);
                    FileTrees.deleteRecursively(stage2Dir);
                }
            } catch (Exception e) { first = first == null ? e : first; }
            if (first != null) throw first;
        }
    }

    @TestFactory
    Stream<DynamicTest> eachEntryMatchesDockerOrSaysWhyNot() {
        return DifferentialCatalogue.ENTRIES.stream().map(entry -> DynamicTest.dynamicTest(entry.name(), () -> {
            List<String> problems = new ArrayList<>();
            check(entry, STAGE1, entry.stage1(), problems);
            check(entry, STAGE2, entry.stage2(), problems);
            if (!problems.isEmpty()) {
                fail(entry.name() + " (" + entry.about() + "):\n" + String.join("\n", problems) + "\n" + detail(entry));
            }
        }));
    }

    private static void check(DiffEntry entry, String stage, DiffEntry.Expect expect, List<String> problems) {
        boolean same = same(entry, stage);
        if (expect.match() && !same) {
            problems.add(stage + " differs from Docker but is expected to MATCH");
        } else if (!expect.match() && same) {
            problems.add(stage + " now matches Docker: remove its DIFFERS (" + expect.reason() + ")");
        }
    }

    private static boolean same(DiffEntry entry, String stage) {
        List<StepResult> docker = RESULTS.get(entry.name()).get(DOCKER);
        List<StepResult> other = RESULTS.get(entry.name()).get(stage);
        for (int i = 0; i < docker.size(); i++) {
            StepResult a = docker.get(i);
            StepResult b = other.get(i);
            if (!a.compared()) continue;
            if (a.exit() != b.exit() || !a.out().equals(b.out()) || (entry.stderr() && !a.err().equals(b.err()))) {
                return false;
            }
        }
        return true;
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
                Stage2Daemon.Result raw = switch (step.kind()) {
                    case AWAIT -> awaitOutput(cmd, step.expect());
                    case TIMED -> timed(cmd, step.seconds());
                    default -> Stage2Daemon.exec(cmd);
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
    private static Stage2Daemon.Result awaitOutput(List<String> cmd, String expect) {
        try {
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                    .until(() -> Stage2Daemon.exec(cmd).out().contains(expect));
            return new Stage2Daemon.Result(0, "seen: " + expect, "");
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            return new Stage2Daemon.Result(1, "not seen within 30 s: " + expect, "");
        }
    }

    /** Runs {@code cmd} and appends to its stdout whether it ended within {@code seconds}. */
    private static Stage2Daemon.Result timed(List<String> cmd, int seconds) throws IOException, InterruptedException {
        long t0 = System.nanoTime();
        Stage2Daemon.Result r = Stage2Daemon.exec(cmd);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        String verdict = ms <= seconds * 1000L ? "[ended within " + seconds + " s]" : "[took longer than " + seconds + " s]";
        return new Stage2Daemon.Result(r.exit(), r.out() + verdict + "\n", r.err());
    }

    // ---- the table --------------------------------------------------------------------------------------

    private static String table() {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"entry", "docker", "stage1", "stage2", "verdict"});
        int failures = 0;
        for (DiffEntry entry : DifferentialCatalogue.ENTRIES) {
            Map<String, List<StepResult>> byEngine = RESULTS.get(entry.name());
            if (byEngine == null || byEngine.size() < 3) continue;
            String v1 = verdict(entry, STAGE1, entry.stage1());
            String v2 = verdict(entry, STAGE2, entry.stage2());
            if (v1.startsWith("FAIL") || v2.startsWith("FAIL")) failures++;
            for (int i = 0; i < entry.steps().size(); i++) {
                if (!byEngine.get(DOCKER).get(i).compared()) continue;
                rows.add(new String[] {
                    entry.name() + (entry.steps().size() > 1 ? "/" + (i + 1) : ""),
                    cell(byEngine.get(DOCKER).get(i), entry),
                    cell(byEngine.get(STAGE1).get(i), entry),
                    cell(byEngine.get(STAGE2).get(i), entry),
                    i == 0 ? "s1 " + v1 + "; s2 " + v2 : ""});
            }
        }
        int[] width = new int[5];
        for (String[] r : rows) for (int c = 0; c < 5; c++) width[c] = Math.max(width[c], r[c].length());
        StringBuilder b = new StringBuilder();
        b.append(String.format("docker-differential: %d entries on docker, stage1, stage2 in %d ms (catalogue only); "
                + "%d entries FAIL%n", DifferentialCatalogue.ENTRIES.size(), catalogueMillis, failures));
        for (String[] r : rows) {
            b.append(String.format("%-" + width[0] + "s | %-" + width[1] + "s | %-" + width[2] + "s | %-" + width[3]
                    + "s | %s%n", (Object[]) r));
        }
        b.append("\nDetails of each entry that differs from Docker:\n");
        for (DiffEntry entry : DifferentialCatalogue.ENTRIES) {
            if (RESULTS.containsKey(entry.name()) && RESULTS.get(entry.name()).size() == 3
                    && !(same(entry, STAGE1) && same(entry, STAGE2))) {
                b.append(detail(entry));
            }
        }
        return b.toString();
    }

    /** {@code ok} (matches, as expected), {@code differs (expected)}, or FAIL with why. */
    private static String verdict(DiffEntry entry, String stage, DiffEntry.Expect expect) {
        boolean same = same(entry, stage);
        if (expect.match()) return same ? "ok" : "FAIL differs";
        return same ? "FAIL now matches" : "differs (expected)";
    }

    private static final int CELL = 48;

    private static String cell(StepResult r, DiffEntry entry) {
        String s = r.cell(entry.stderr()).replace("\n", "\u23ce");
        return s.length() <= CELL ? s : s.substring(0, CELL - 1) + "\u2026";
    }

    private static String detail(DiffEntry entry) {
        StringBuilder b = new StringBuilder();
        b.append("== ").append(entry.name()).append(": ").append(entry.about())
                .append("\n   stage1 ").append(entry.stage1()).append("; stage2 ").append(entry.stage2()).append('\n');
        Map<String, List<StepResult>> byEngine = RESULTS.get(entry.name());
        for (int i = 0; i < entry.steps().size(); i++) {
            DiffEntry.Step step = entry.steps().get(i);
            b.append("   $ ").append(step.kind() == DiffEntry.Kind.HOST ? "" : "docker ").append(step.line()).append('\n');
            Map<String, StepResult> row = new LinkedHashMap<>();
            for (String e : List.of(DOCKER, STAGE1, STAGE2)) row.put(e, byEngine.get(e).get(i));
            for (Map.Entry<String, StepResult> e : row.entrySet()) {
                StepResult r = e.getValue();
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
