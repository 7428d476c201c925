package dev.rabbithole.stage4;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class MainTest {

    @Test
    void helpListsThePrograms() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int rc = Main.run(new String[] {"--help"}, new PrintStream(out, true, StandardCharsets.UTF_8), System.err);
        assertThat(rc).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8))
                .containsPattern("(?m)^  dockerd +the Engine API")
                .containsPattern("(?m)^  runc +a runtime-spec runtime")
                .containsPattern("(?m)^  containerd ")
                .containsPattern("(?m)^  shim ")
                .contains("bin/rabbithole-runc");
    }

    @Test
    void theRuntimesVersionIsInRuncsFormatWhichDockerdParses() {
        // dockerd 20.10 reads `NAME version V` and `commit: C` for docker info's runtime version; it logged
        // "unknown output format" for our former one-line version
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertThat(Main.run(new String[] {"runc", "--version"}, new PrintStream(out, true, StandardCharsets.UTF_8),
                System.err)).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8))
                .matches("rabbithole-runc version \\S+\ncommit: .+\nspec: 1\\.2\\.0\n");
    }

    @Test
    void anUnknownProgramExitsTwo() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        assertThat(Main.run(new String[] {"frob"}, System.out, new PrintStream(err, true, StandardCharsets.UTF_8)))
                .isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("unknown program: frob");
    }

    @Test
    void treeNamesStage4AndItsSocket() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertThat(Main.run(new String[] {"tree", "--help"}, new PrintStream(out, true, StandardCharsets.UTF_8), System.err))
                .isZero();
        assertThat(out.toString(StandardCharsets.UTF_8)).startsWith("Usage: rabbithole stage4 tree CONTAINER")
                .contains("(default unix:///run/rabbithole/stage4/docker.sock)");
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        assertThat(Main.run(new String[] {"tree"}, System.out, new PrintStream(err, true, StandardCharsets.UTF_8)))
                .isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("which container? Usage: rabbithole stage4 tree")
                .doesNotContain("stage3");
    }
}
