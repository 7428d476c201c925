package dev.rabbithole.stage2;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The stage-2 jar's command line: stage 1's client with this stage's name, socket and daemon. */
class MainTest {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int execute(String... args) {
        return Main.execute(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), Map.of());
    }

    private CommandLine.ParseResult parse(String... args) {
        return dev.rabbithole.stage1.Main.commandLine(Main.PROFILE, System.out, System.err, Map.of()).parseArgs(args);
    }

    @Test
    void helpNamesStage2AndListsTheDaemonAndTheClientCommands() {
        assertThat(execute("--help")).isZero();
        String help = out.toString(StandardCharsets.UTF_8);
        assertThat(help).startsWith("Usage: rabbithole-stage2").contains("daemon", "run", "ps", "logs", "rm", "inspect",
                "images", "version", "sudo ./rabbithole stage2 daemon");
    }

    @Test
    void runsHelpExampleNamesStage2() {
        assertThat(execute("run", "--help")).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8))
                .contains("Example: sudo ./rabbithole stage2 run --rm").doesNotContain("stage1");
    }

    @Test
    void theDaemonDefaultsToTheNativeDriverAndTheStage2Paths() {
        var daemon = (Main.DaemonCommand) parse("daemon").subcommand().commandSpec().userObject();
        assertThat(daemon.driver).isEqualTo(Main.Driver.NATIVE);
        assertThat(daemon.dataRoot).isEqualTo(Path.of("/var/lib/rabbithole/stage2"));
        assertThat(daemon.execRoot).isEqualTo(Path.of("/run/rabbithole/stage2"));
        var lxc = (Main.DaemonCommand) parse("daemon", "--exec-driver", "lxc").subcommand().commandSpec().userObject();
        assertThat(lxc.driver).isEqualTo(Main.Driver.LXC);
    }

    @Test
    void anUnknownDriverIsAUsageError() {
        assertThat(execute("daemon", "--exec-driver", "docker")).isEqualTo(125);
        assertThat(err.toString(StandardCharsets.UTF_8)).startsWith("rabbithole-stage2: ")
                .contains("unknown exec driver docker: native or lxc");
    }

    @Test
    void theClientTalksToTheStage2SocketByDefault() {
        var parsed = parse("ps");
        var context = (dev.rabbithole.stage1.client.ClientContext) parsed.commandSpec().userObject();
        assertThat(context.host()).isEqualTo("unix:///run/rabbithole/stage2/docker.sock");
        assertThat(context.commandName()).isEqualTo("rabbithole-stage2");
    }
}
