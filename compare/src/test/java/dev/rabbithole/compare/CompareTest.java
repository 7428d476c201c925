package dev.rabbithole.compare;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The parts of compare that need no daemon: options, strace's table, line counts, the report's files. */
class CompareTest {

    @Test
    void optionsAreCheckedAndQuickMeansThreeRuns() {
        assertThat(Compare.parse(new String[] {"--quick"}).runs).isEqualTo(3);
        assertThat(Compare.parse(new String[] {"--quick", "--runs", "5"}).runs).isEqualTo(5);
        assertThat(Compare.parse(new String[] {"--stages", "1,docker"}).stages).containsExactly("1", "docker");
        assertThatThrownBy(() -> Compare.parse(new String[] {"--stages", "1,9"}))
                .hasMessageContaining("unknown stage 9");
        assertThatThrownBy(() -> Compare.parse(new String[] {"--runs", "0"})).hasMessageContaining("--runs");
        assertThatThrownBy(() -> Compare.parse(new String[] {"--runs"})).hasMessageContaining("needs a value");
        assertThatThrownBy(() -> Compare.parse(new String[] {"--fast"})).hasMessageContaining("unknown option");
    }

    @Test
    void helpAnywhereOnTheLineIsHelp() {
        assertThat(Compare.parse(new String[] {"--quick", "--help"}).help).isTrue();
        assertThat(Compare.parse(new String[] {"--stages", "1", "-h"}).help).isTrue();
        assertThat(Compare.parse(new String[] {"--quick"}).help).isFalse();
    }

    @Test
    void progressSaysWarmUpAndCountsRoundsFromOne() {
        assertThat(Compare.roundLabel(-1, 3)).isEqualTo("warm-up round (untimed)");
        assertThat(Compare.roundLabel(0, 3)).isEqualTo("round 1/3");
        assertThat(Compare.roundLabel(2, 3)).isEqualTo("round 3/3");
        assertThat(Compare.idle(0)).isEqualTo("0 idle containers");
        assertThat(Compare.idle(1)).isEqualTo("1 idle container");
        assertThat(Compare.idle(10)).isEqualTo("10 idle containers");
    }

    @Test
    void straceSummaryGivesTotalAndKinds() {
        String table = """
                % time     seconds  usecs/call     calls    errors syscall
                ------ ----------- ----------- --------- --------- ----------------
                 61.20    0.012000          40       300        12 futex
                 20.00    0.004000          20       200           read
                  5.00    0.001000         100        10         2 mount
                ------ ----------- ----------- --------- --------- ----------------
                100.00    0.019608                   510        14 total
                """;
        Report r = new Report();
        Compare.parseStraceSummary(r, Stage.byKey("3"), table);
        assertThat(r.value(6, "3", "strace", "calls")).isEqualTo(510);
        assertThat(r.value(6, "3", "strace", "system time")).isEqualTo(0.019608);
        assertThat(r.value(6, "3", "strace mount", "calls")).isEqualTo(10);
        assertThat(r.value(6, "3", "strace", "kinds")).isEqualTo(3);
    }

    @Test
    void codeLinesLeaveOutBlankAndCommentLines(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("A.java");
        Files.writeString(f, "/**\n * doc\n */\nclass A {\n\n    // note\n    int x; // kept\n}\n");
        assertThat(CodeSize.codeLines(f)).isEqualTo(3);
    }

    @Test
    void rawFilesAndHtmlAreWritten(@TempDir Path dir) throws Exception {
        Report r = new Report();
        r.machine.put("cores", "2");
        r.stages.put("docker", "docker");
        r.stages.put("3", "stage 3");
        r.add(1, "docker", "run --rm", "median", 500, "ms");
        r.add(1, "3", "run --rm", "median", 1000, "ms");
        r.add(7, "3", "total", "lines", 1234, "lines");
        r.survival.put("3", new java.util.LinkedHashMap<>(java.util.Map.of("dockerd",
                List.of("yes", "yes (running)", "yes (7)", "none"))));
        r.writeRaw(dir);
        Html.write(r, dir.resolve("report.html"));
        assertThat(Files.readString(dir.resolve("figures.csv"))).contains("1,3,run --rm,median,1000.000,ms");
        String html = Files.readString(dir.resolve("report.html"));
        assertThat(html).contains("<svg").contains("class=\"yes\"").contains("1. Start latency");
        assertThat(Summary.text(r)).contains("stage 3").contains("kill -9 dockerd");
        assertThat(Files.readString(dir.resolve("tables.adoc"))).contains("// tag::section-4[]")
                .contains("| +stage 3+ | +kill -9 dockerd+ | +yes+");
        assertThat(dir.resolve("charts/section-1.svg")).exists();

        // --render: the same report again from report.json
        Report again = new com.fasterxml.jackson.databind.ObjectMapper().readerForUpdating(new Report())
                .readValue(dir.resolve("report.json").toFile());
        assertThat(Summary.text(again)).isEqualTo(Summary.text(r));
    }
}
