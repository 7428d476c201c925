package dev.rabbithole.compare;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rabbithole.bench.RunBenchmark;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code compare --quick --runs 1} on every stage whose jar is built, and Docker when installed: each section has
 * figures for each stage that started, the HTML holds a chart per charted section and a tree per stage, the CSV and
 * JSON are written, and nothing is left running or mounted on compare's roots. Quick on purpose (CI time): 1 timed run after the warm-up,
 * 3 idle containers, 5 concurrent starts, only each stage's daemon killed.
 */
class CompareIT {
    private static final Path ROOT = Path.of(System.getProperty("user.dir")).getParent();

    @Test
    void quickComparisonHasFiguresInEverySection() throws Exception {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "compare starts containers: needs root");
        Assumptions.assumeTrue(RunBenchmark.which("docker", "/usr/bin/docker") != null,
                "compare drives the engines with the docker CLI: install docker.io");
        Path out = ROOT.resolve("compare/target/compare-it");
        Compare.Options o = Compare.parse(new String[] {"--quick", "--runs", "1", "--out", out.toString(),
            "--source", ROOT.toString()});
        for (Stage s : Stage.ALL) {
            if (!s.isDocker()) {
                Path jar = ROOT.resolve(s.module()).resolve("target/rabbithole-stage" + s.key() + ".jar");
                if (Files.isRegularFile(jar)) {
                    o.jars.put(s.key(), jar);
                }
            }
        }
        Assumptions.assumeFalse(o.jars.isEmpty(), "no stage jar is built (mvn package first)");

        assertThat(Compare.run(o)).isZero();

        JsonNode report = new ObjectMapper().readTree(out.resolve("report.json").toFile());
        Set<String> stages = new HashSet<>();
        report.path("stages").fieldNames().forEachRemaining(stages::add);
        assertThat(stages).as("the stages compared").containsAll(o.jars.keySet());
        for (String stage : stages) {
            Set<Integer> sections = new HashSet<>();
            for (JsonNode f : report.path("figures")) {
                if (f.path("stage").asText().equals(stage)) {
                    sections.add(f.path("section").asInt());
                }
            }
            assertThat(sections).as("sections with figures for stage " + stage + " (notes: " + report.path("notes")
                    + ")").containsAll(Stage.byKey(stage).isDocker() ? List.of(1, 2, 3, 4, 5, 6)
                    : List.of(1, 2, 3, 4, 5, 6, 7));
        }
        String html = Files.readString(out.resolve("report.html"));
        for (String section : List.of("1. Start latency", "2. Memory", "3. Process tree", "4. What survives",
                "5. Concurrent starts", "6. Kernel work", "7. Lines of code")) {
            assertThat(html).contains(section);
        }
        // charts for sections 1, 2, 5, 6, 7 and one tree per stage, all inline
        assertThat(html.split("<svg", -1).length - 1).isGreaterThanOrEqualTo(5 + stages.size());
        assertThat(html).doesNotContain("<script").doesNotContain("src=\"http");
        assertThat(Files.readString(out.resolve("figures.csv"))).startsWith("section,stage,item,metric,value,unit\n");
        assertThat(Cli.processesNaming(List.of(Path.of("/run/rhc-"), Path.of(System.getProperty("java.io.tmpdir"),
                "rabbithole-compare")))).as("processes left on compare's roots").isEmpty();
    }
}
