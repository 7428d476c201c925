package dev.rabbithole.labs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rabbithole.labs.check.LabSources;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The invariant of a workshop in levels, for every lab N: skeleton N without its TODO lines is solution N-1 (nobody
 * carries a mistake forward), skeleton N differs from solution N (there is work to do), and skeleton N has at least
 * one TODO (the attendee knows where). Nothing generated is committed; these read the master itself.
 */
class LabSourcesTest {
    static final Path LABS = Path.of(System.getProperty("rabbithole.labs.dir", "."));

    static String master() throws Exception {
        return master(1);
    }

    /** @return the text of the master lab {@code lab} is generated from */
    static String master(int lab) throws Exception {
        return Files.readString(LABS.resolve("master/" + LabSources.master(lab) + ".java"));
    }

    @ParameterizedTest(name = "lab {0}")
    @ValueSource(ints = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16})
    void skeletonIsThePreviousSolutionPlusTodos(int lab) throws Exception {
        String skeleton = LabSources.generate(master(lab), lab, false);
        String solution = LabSources.generate(master(lab), lab, true);
        assertThat(skeleton).contains(String.format("// TODO(lab %02d): ", lab));
        assertThat(skeleton).isNotEqualTo(solution);
        assertThat(solution).contains(String.format("class Lab%02d ", lab)).doesNotContain("LabRuntime").doesNotContain("LabShim");
        // the first lab of a master (1: the runtime, 16: the shim) has no previous solution to start from
        if (!LabSources.firstOfItsMaster(lab)) {
            // compared before the class is named LabNN, so only the markers' choice of lines can differ
            String withoutTodos = LabSources.select(master(), lab, false).lines()
                    .filter(l -> !l.contains("// TODO(lab ")).collect(Collectors.joining("\n"));
            assertThat(withoutTodos).isEqualTo(LabSources.select(master(), lab - 1, true).lines().collect(Collectors.joining("\n")));
        }
    }

    @Test
    void theJarCarriesTheMasters() throws Exception {
        assertThat(LabSources.masterFromClasspath()).isEqualTo(master());
        for (int n = 1; n <= LabSources.LABS; n++) assertThat(LabSources.masterFromClasspath(n)).isEqualTo(master(n));
    }

    @Test
    void writeAllWritesEverySkeletonAndSolution(@TempDir Path out) throws Exception {
        LabSources.writeAll(LABS.resolve("master"), out);
        for (int n = 1; n <= LabSources.LABS; n++) {
            assertThat(out.resolve("skeletons").resolve(LabSources.relative(n))).hasContent(LabSources.generate(master(n), n, false));
            assertThat(out.resolve("solutions").resolve(LabSources.relative(n))).hasContent(LabSources.generate(master(n), n, true));
        }
    }
}
