package dev.rabbithole.labs;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code lab.sh run N --help} (and {@code -h}, {@code help}) prints the lab runtime's usage, without root. */
class LabScriptHelpTest {

    private static final Path SCRIPT = Path.of("lab.sh");

    private static String[] run(String... args) throws Exception {
        String[] cmd = new String[args.length + 2];
        cmd[0] = "bash";
        cmd[1] = SCRIPT.toString();
        System.arraycopy(args, 0, cmd, 2, args.length);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return new String[] {Integer.toString(p.exitValue()), out};
    }

    @Test
    void runHelpPrintsTheLabsUsage() throws Exception {
        assertThat(Files.exists(SCRIPT)).as("run from the labs module").isTrue();
        for (String flag : new String[] {"--help", "-h", "help"}) {
            String[] r = run("run", "03", flag);
            assertThat(r[0]).as("exit of run 03 " + flag + ":\n" + r[1]).isEqualTo("0");
            assertThat(r[1]).contains("usage: labs/lab.sh run 03").contains("ns PID").contains("--rootfs DIR");
        }
    }

    @Test
    void runHelpOfTheShimLabPrintsTheShimsUsage() throws Exception {
        String[] r = run("run", "16", "--help");
        assertThat(r[0]).as("exit of run 16 --help:\n" + r[1]).isEqualTo("0");
        assertThat(r[1]).contains("usage: labs/lab.sh run 16 shim DIR -- CMD").contains("stdout.log").doesNotContain("--rootfs");
    }

    @Test
    void scriptHelpExitsZero() throws Exception {
        String[] r = run("--help");
        assertThat(r[0]).isEqualTo("0");
        assertThat(r[1]).contains("labs/lab.sh check N");
    }
}
