package dev.rabbithole.stage3.runc;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The runc commands' parsing and output that need no container: signals, global options, the json log. */
class RuncCommandsTest {

    @Test
    void signalsByNameWithOrWithoutSigAndByNumber() throws Exception {
        assertThat(KillCommand.parse("KILL")).isEqualTo(9);
        assertThat(KillCommand.parse("SIGKILL")).isEqualTo(9);
        assertThat(KillCommand.parse("sigterm")).isEqualTo(15);
        assertThat(KillCommand.parse("9")).isEqualTo(9);
        assertThat(KillCommand.parse("USR1")).isEqualTo(10);
        assertThatThrownBy(() -> KillCommand.parse("FROB")).hasMessage("unknown signal \"FROB\"");
        assertThatThrownBy(() -> KillCommand.parse("0")).hasMessage("unknown signal \"0\"");
    }

    @Test
    void systemdCgroupAndABadLogFormatAreRefusedAndLogged() throws Exception {
        Path dir = Files.createTempDirectory("rh-runc-test");
        try {
            Path log = dir.resolve("log.json");
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            int rc = RuncMain.run(new String[] {"--root", dir.toString(), "--log", log.toString(), "--log-format", "json",
                    "--systemd-cgroup", "state", "x"}, System.out, new PrintStream(err, true, StandardCharsets.UTF_8));
            assertThat(rc).isEqualTo(1);
            assertThat(err.toString(StandardCharsets.UTF_8)).contains("--systemd-cgroup: the systemd cgroup driver is not supported");
            assertThat(Files.readString(log)).startsWith("{\"level\":\"error\",\"msg\":\"--systemd-cgroup");
            err.reset();
            assertThat(RuncMain.run(new String[] {"--root", dir.toString(), "--log-format", "xml", "list"}, System.out,
                    new PrintStream(err, true, StandardCharsets.UTF_8))).isEqualTo(1);
            assertThat(err.toString(StandardCharsets.UTF_8)).contains("invalid log-format: xml");
        } finally {
            for (Path p : List.of(dir.resolve("log.json"), dir)) {
                Files.deleteIfExists(p);
            }
        }
    }

    @Test
    void everyCommandHasHelpThatExitsZeroBeforeItsArgumentsAreChecked() {
        for (String command : List.of("create", "start", "state", "kill", "delete", "list", "spec", "features", "exec")) {
            for (String flag : List.of("--help", "-h")) {
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                ByteArrayOutputStream err = new ByteArrayOutputStream();
                int rc = RuncMain.run(new String[] {command, flag}, new PrintStream(out, true, StandardCharsets.UTF_8),
                        new PrintStream(err, true, StandardCharsets.UTF_8));
                assertThat(rc).as(command + " " + flag).isZero();
                assertThat(out.toString(StandardCharsets.UTF_8)).as(command + " " + flag)
                        .startsWith("Usage: runc " + command).contains("--help");
                assertThat(err.toString(StandardCharsets.UTF_8)).as(command + " " + flag).isEmpty();
            }
        }
    }

    @Test
    void textLogLinesAreLogrusLike() throws Exception {
        Path log = Files.createTempFile("rh-runc", ".log");
        try {
            new RuncLog(log, "text", false).error("container \"x\" does not exist");
            new RuncLog(log, "text", false).debug("not written without --debug");
            assertThat(Files.readString(log)).matches("time=\"[0-9T:.\\-]+Z\" level=error msg=\"container \\\\\"x\\\\\" does not exist\"\n");
        } finally {
            Files.deleteIfExists(log);
        }
    }
}
