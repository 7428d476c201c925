package dev.rabbithole.labs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.rabbithole.labs.check.LabSources;
import dev.rabbithole.labs.check.Status;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code lab status}: a work folder with lab 01 solved and lab 03 only started, checked for real as root. */
class StatusTest {
    @Test
    void saysWhichStartedLabsPass(@TempDir Path work) throws Exception {
        assumeTrue(new String(new ProcessBuilder("id", "-u").start().getInputStream().readAllBytes()).trim().equals("0"),
                "the checkers create namespaces: run the tests as root");
        assumeTrue(Files.isExecutable(Path.of("/bin/busybox")), "the labs need busybox-static (/bin/busybox)");
        String master = Files.readString(CheckersTest.LABS.resolve("master/LabRuntime.java"));
        for (int[] lab : new int[][]{{1, 1}, {3, 0}}) {
            Path f = work.resolve(LabSources.relative(lab[0]));
            Files.createDirectories(f.getParent());
            Files.writeString(f, LabSources.generate(master, lab[0], lab[1] == 1));
        }
        List<Status.Row> rows = Status.rows(work);
        assertThat(rows).hasSize(LabSources.LABS);
        assertThat(rows.get(0)).satisfies(r -> assertThat(r.passed()).isTrue()).satisfies(r -> assertThat(r.summary()).startsWith("passes"));
        assertThat(rows.get(1).started()).isFalse();
        assertThat(rows.get(2)).satisfies(r -> assertThat(r.started()).isTrue()).satisfies(r -> assertThat(r.passed()).isFalse())
                .satisfies(r -> assertThat(r.summary()).startsWith("does not pass yet: "));
        assertThat(rows.subList(3, LabSources.LABS)).noneMatch(Status.Row::started);
    }
}
