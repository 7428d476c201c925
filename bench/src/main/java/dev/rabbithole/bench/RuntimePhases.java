package dev.rabbithole.bench;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Where a runtime's {@code run} spends its time: each of the commands an engine calls (runc(8)'s {@code create},
 * {@code start}, {@code delete}) run apart and timed, with {@code --version} (for a runtime on the JVM, the JVM's
 * start and nothing else) and the wait between {@code start} and the workload's exit ({@code /bin/true}, seen as
 * its pid leaving {@code /proc} or becoming a zombie, polled every millisecond). The runtimes take turns, one
 * container each per round. Not a test: it prints medians in milliseconds.
 */
final class RuntimePhases {
    private RuntimePhases() { }

    /** The phases, in the order they run. */
    static final List<String> PHASES = List.of("--version", "create", "start", "until exit", "delete", "sum");

    /**
     * A runtime to time.
     *
     * @param label  its name in the table
     * @param binary its executable, with runc's command line
     * @param bundle an OCI bundle whose process exits at once
     * @param root   a state directory of its own ({@code --root})
     */
    record Runtime(String label, String binary, Path bundle, Path root) { }

    /**
     * @param runtimes the runtimes, runc first (the ratios are to it)
     * @param rounds   containers per runtime
     * @return a table: one line per runtime, the median of each phase in ms; a line for a failed runtime says why
     */
    static String report(List<Runtime> runtimes, int rounds) {
        Map<Runtime, Map<String, List<Double>>> samples = new LinkedHashMap<>();
        Map<Runtime, String> failed = new LinkedHashMap<>();
        for (Runtime r : runtimes) {
            Map<String, List<Double>> m = new LinkedHashMap<>();
            PHASES.forEach(p -> m.put(p, new ArrayList<>()));
            samples.put(r, m);
        }
        for (int round = 0; round < rounds; round++) {
            for (Runtime r : runtimes) {
                if (failed.containsKey(r)) {
                    continue;
                }
                try {
                    once(r, "rh-phase-" + ProcessHandle.current().pid() + "-" + round, samples.get(r));
                } catch (IOException | RuntimeException e) {
                    failed.put(r, e.getMessage());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    failed.put(r, "interrupted");
                }
            }
        }
        int width = runtimes.stream().mapToInt(r -> r.label().length()).max().orElse(10) + 2;
        StringBuilder out = new StringBuilder(String.format(Locale.ROOT,
                "where a runtime's `run` goes: each command apart, median ms of %d (runc(8)'s create, start, delete)%n",
                rounds));
        out.append(String.format(Locale.ROOT, "%-" + width + "s", ""));
        PHASES.forEach(p -> out.append(String.format(Locale.ROOT, "%12s", p)));
        out.append('\n');
        for (Runtime r : runtimes) {
            out.append(String.format(Locale.ROOT, "%-" + width + "s", r.label()));
            if (failed.containsKey(r)) {
                out.append("  failed: ").append(failed.get(r)).append('\n');
                continue;
            }
            for (String p : PHASES) {
                List<Double> s = samples.get(r).get(p).stream().sorted().toList();
                out.append(s.isEmpty() ? String.format(Locale.ROOT, "%12s", "-")
                        : String.format(Locale.ROOT, "%9.0f ms", RunBenchmark.median(s)));
            }
            out.append('\n');
        }
        return out.toString();
    }

    private static void once(Runtime r, String id, Map<String, List<Double>> into) throws IOException,
            InterruptedException {
        Files.createDirectories(r.root());
        Path pidFile = r.root().resolve(id + ".pid");
        boolean deleted = false;
        try {
            deleted = phases(r, id, pidFile, into);
        } finally {
            if (!deleted) {
                // a failed phase: what the runtime still knows of goes, with its cgroup
                new ProcessBuilder(r.binary(), "--root", r.root().toString(), "delete", "--force", id)
                        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start()
                        .waitFor(120, TimeUnit.SECONDS);
            }
            Files.deleteIfExists(pidFile);
        }
    }

    /** @return true once the container is deleted */
    private static boolean phases(Runtime r, String id, Path pidFile, Map<String, List<Double>> into)
            throws IOException, InterruptedException {
        double sum = 0;
        sum += timed(into, "--version", List.of(r.binary(), "--version"));
        sum += timed(into, "create", List.of(r.binary(), "--root", r.root().toString(), "create", "--bundle",
                r.bundle().toString(), "--pid-file", pidFile.toString(), id));
        long pid = Long.parseLong(Files.readString(pidFile).trim());
        sum += timed(into, "start", List.of(r.binary(), "--root", r.root().toString(), "start", id));
        long t0 = System.nanoTime();
        long deadline = t0 + TimeUnit.SECONDS.toNanos(60);
        while (alive(pid)) {
            if (System.nanoTime() > deadline) {
                throw new IOException(r.label() + ": the workload of " + id + " did not exit within 60 s");
            }
            Thread.sleep(1);
        }
        double waited = (System.nanoTime() - t0) / 1e6;
        into.get("until exit").add(waited);
        sum += waited;
        sum += timed(into, "delete", List.of(r.binary(), "--root", r.root().toString(), "delete", id));
        into.get("sum").add(sum);
        return true;
    }

    /** @return whether the process exists and is no zombie ({@code /proc/PID/stat}, proc(5), field 3) */
    private static boolean alive(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            return stat.charAt(stat.lastIndexOf(')') + 2) != 'Z';
        } catch (IOException gone) {
            return false;
        }
    }

    private static double timed(Map<String, List<Double>> into, String phase, List<String> cmd) throws IOException,
            InterruptedException {
        // the output goes to a file, not a pipe: after create the container's init holds the runtime's stdout and
        // stderr (process.terminal false) until it exits, so a pipe would not end when the command does
        Path log = Files.createTempFile("rh-phase", ".out");
        try {
            long t0 = System.nanoTime();
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(String.join(" ", cmd) + ": no answer within 120 s");
            }
            double ms = (System.nanoTime() - t0) / 1e6;
            String out = Files.readString(log, StandardCharsets.UTF_8);
            if (p.exitValue() != 0) {
                throw new IOException(String.join(" ", cmd) + " exited " + p.exitValue() + ": " + out.trim());
            }
            into.get(phase).add(ms);
            return ms;
        } finally {
            Files.deleteIfExists(log);
        }
    }
}
