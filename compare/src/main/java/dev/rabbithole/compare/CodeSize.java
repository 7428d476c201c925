package dev.rabbithole.compare;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Section 7: lines of main code ({@code src/main/java}) per stage and per component (the package directly under
 * {@code dev/rabbithole/stageN}), counting lines that hold code: blank lines and comment lines (starting with
 * {@code //}, {@code /*} or {@code *}) are left out. Each stage runs on the previous stages' code too (its module
 * depends on theirs), so the code a stage runs is the running sum.
 */
final class CodeSize {
    private CodeSize() { }

    static void measure(Report r, List<Stage> stages, Path source) {
        r.method.put(7, "Lines of main code (MODULE/src/main/java, generated code not included), blank and comment "
                + "lines left out, per stage's module and per component (the package under dev/rabbithole/stageN); "
                + "`runs on` adds the stages the module depends on. Docker's own code (Go) is not counted.");
        double runsOn = 0;
        for (Stage s : Stage.ALL) {
            if (s.isDocker()) {
                continue;
            }
            Path main = source.resolve(s.module()).resolve("src/main/java");
            if (!Files.isDirectory(main)) {
                continue;
            }
            Map<String, Integer> components = new TreeMap<>();
            try (Stream<Path> files = Files.walk(main)) {
                for (Path f : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                    Path rel = main.relativize(f);
                    // dev/rabbithole/stageN/COMPONENT/...: the component; a file directly in stageN: "main"
                    String component = rel.getNameCount() > 4 ? rel.getName(3).toString() : "main";
                    components.merge(component, codeLines(f), Integer::sum);
                }
            } catch (IOException e) {
                r.note(7, s.key(), "not counted: " + e.getMessage());
                continue;
            }
            int total = components.values().stream().mapToInt(Integer::intValue).sum();
            runsOn += total;
            if (!stages.contains(s)) {
                continue;
            }
            components.forEach((c, n) -> r.add(7, s.key(), c, "lines", n, "lines"));
            r.add(7, s.key(), "total", "lines", total, "lines");
            r.add(7, s.key(), "total", "runs on", runsOn, "lines");
            r.note(7, s.key(), "adds: " + s.adds());
        }
    }

    /**
     * @param file a Java source file
     * @return its lines that hold code
     * @throws IOException when it cannot be read
     */
    static int codeLines(Path file) throws IOException {
        int n = 0;
        for (String line : Files.readAllLines(file)) {
            String t = line.trim();
            if (!t.isEmpty() && !t.startsWith("//") && !t.startsWith("/*") && !t.startsWith("*")) {
                n++;
            }
        }
        return n;
    }
}
