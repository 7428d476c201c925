package dev.rabbithole.stage3;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class MainTest {

    @Test
    void helpListsTheFourPrograms() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int rc = Main.run(new String[] {"--help"}, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        assertThat(rc).isZero();
        String help = out.toString(StandardCharsets.UTF_8);
        assertThat(help).containsPattern("(?m)^  containerd +containerd's gRPC API");
        assertThat(help).containsPattern("(?m)^  shim +containerd's shim v2 API");
        assertThat(help).containsPattern("(?m)^  runc +an OCI runtime with runc's command line");
        assertThat(help).containsPattern("(?m)^  dockerd +the Engine API");
        assertThat(help).doesNotContain("not yet");
    }

    @Test
    void aUsageErrorOrAnUnknownProgramExitsTwo() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8);
        assertThat(Main.run(new String[] {"shim"}, System.out, e)).isEqualTo(2);
        assertThat(Main.run(new String[] {"containerd", "--frob"}, System.out, e)).isEqualTo(2);
        assertThat(Main.run(new String[] {"frob"}, System.out, e)).isEqualTo(2);
        assertThat(Main.run(new String[] {"dockerd", "--frob"}, System.out, e)).isEqualTo(2);
        assertThat(Main.run(new String[] {"tree"}, System.out, e)).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("Unknown option: '--frob'")
                .contains("tree: which container?").contains("shim-rabbithole-v2: no action (start or delete)").contains("containerd: unknown argument: --frob").contains("unknown program: frob");
    }

    @Test
    void runcHasRuncsCommands() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8);
        assertThat(Main.run(new String[] {"runc", "--help"}, o, e)).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("create", "start", "state", "kill", "delete", "list",
                "ps", "spec", "run", "exec");
        out.reset();
        assertThat(Main.run(new String[] {"runc", "--version"}, o, e)).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8)).startsWith("rabbithole-runc version ").contains("\ncommit: ");
        assertThat(Main.run(new String[] {"runc", "frob"}, o, e)).isEqualTo(1);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("Unmatched argument at index 0: 'frob'");
    }
}
