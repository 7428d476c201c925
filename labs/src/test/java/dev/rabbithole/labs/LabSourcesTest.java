package dev.rabbithole.labs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rabbithole.labs.check.LabSources;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The committed skeletons and solutions are what the annotated master generates (regenerate with LabSources). */
class LabSourcesTest {
    static final Path LABS = Path.of(System.getProperty("rabbithole.labs.dir", "."));

    @ParameterizedTest(name = "lab {0}")
    @ValueSource(ints = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12})
    void skeletonAndSolutionAreGeneratedFromTheMaster(int lab) throws Exception {
        String master = Files.readString(LABS.resolve("master/LabRuntime.java"));
        String skeleton = Files.readString(LABS.resolve("skeletons").resolve(LabSources.relative(lab)));
        String solution = Files.readString(LABS.resolve("solutions").resolve(LabSources.relative(lab)));
        assertThat(skeleton).as("skeletons/%s is stale: run LabSources", LabSources.relative(lab))
                .isEqualTo(LabSources.generate(master, lab, false));
        assertThat(solution).as("solutions/%s is stale: run LabSources", LabSources.relative(lab))
                .isEqualTo(LabSources.generate(master, lab, true));
        assertThat(skeleton).contains(String.format("TODO(lab %02d)", lab)).isNotEqualTo(solution);
    }
}
