package dev.rabbithole.bench;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class RunBenchmarkTest {

    @Test
    void medianAndNearestRankPercentile() {
        List<Double> s = List.of(1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0);
        assertThat(RunBenchmark.median(s)).isEqualTo(5.5);
        assertThat(RunBenchmark.median(List.of(1.0, 2.0, 9.0))).isEqualTo(2.0);
        assertThat(RunBenchmark.percentile(s, 90)).isEqualTo(9.0);
        assertThat(RunBenchmark.percentile(List.of(4.0), 90)).isEqualTo(4.0);
    }

    @Test
    void tableGivesEachMedianAsARatioToDockers() {
        String t = RunBenchmark.table(List.of(
                new RunBenchmark.Row("ours", List.of(100.0, 120.0, 110.0), null),
                new RunBenchmark.Row("docker", List.of(200.0, 220.0, 210.0), null),
                new RunBenchmark.Row("lxc", List.of(), "not installed")), "docker");
        assertThat(t).contains("ours").containsPattern("ours +110 ms +120 ms +0\\.52x")
                .containsPattern("docker +210 ms +220 ms +1\\.00x").containsPattern("lxc +not installed");
    }

    @Test
    void theRuntimeRatioIsOfTheTwoMedians() {
        List<RunBenchmark.Row> rows = List.of(
                new RunBenchmark.Row("rabbithole-runc run", List.of(300.0, 500.0, 400.0), null),
                new RunBenchmark.Row("runc run", List.of(90.0, 100.0, 110.0), null),
                new RunBenchmark.Row("none", List.of(), "missing"));
        assertThat(RunBenchmark.ratio(rows, "rabbithole-runc run", "runc run", "goal: at most 3x"))
                .isEqualTo("rabbithole-runc run / runc run: 4.00x (goal: at most 3x)\n");
        assertThat(RunBenchmark.ratio(rows, "rabbithole-runc run", "none", "x")).isEmpty();
        assertThat(RunBenchmark.ratio(rows, "rabbithole-runc run", null, "x")).isEmpty();
    }

    @Test
    void withoutDockerThereAreNoRatios() {
        String t = RunBenchmark.table(List.of(new RunBenchmark.Row("ours", List.of(100.0), null)), null);
        assertThat(t).containsPattern("ours +100 ms +100 ms +-");
    }

    @Test
    void theStartReportGivesEachStepsMedianInOrder() {
        String log = "2026-12-01T15:28:43Z info native: start of 1293d7a5a25a, microseconds from start(): "
                + "{init JVM up (until its main)=-5305433, taken from the init pool=20000, config sent, cgroup set=40000, exec done (socket closed)=300000}\n"
                + "2026-12-01T15:28:44Z info POST /v1.41/containers/create 201\n"
                + "2026-12-01T15:28:45Z info native: start of 50d3488b48e2, microseconds from start(): "
                + "{init JVM up (until its main)=-5234249, taken from the init pool=10000, config sent, cgroup set=20000, exec done (socket closed)=100000}\n";
        String r = RunBenchmark.startReport("pool", log);
        assertThat(r).startsWith("pool: where a start's time went, median ms from LinuxContainer.start() (2 starts)")
                .containsPattern("15\\.0  taken from the init pool\n +30\\.0  config sent, cgroup set\n +200\\.0  exec done \\(socket closed\\)")
                .doesNotContain("init JVM up");
        assertThat(RunBenchmark.startReport("lxc", "info POST /x 201\n")).isEmpty();
    }
}
