package dev.rabbithole.stage1;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code help} and {@code -h} print what {@code --help} prints; each stage names itself. */
class HelpAndStageTest {

    private record Run(int exit, String out, String err) { }

    private static Run run(Main.Profile profile, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = Main.execute(profile, args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), Map.of());
        return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @AfterEach
    void backToStage1() {
        Stage.use(Stage.STAGE1);
    }

    @Test
    void helpAndDashHPrintTheHelp() {
        Run help = run(Main.STAGE1, "--help");
        assertThat(help.exit()).isZero();
        assertThat(help.out()).contains("Usage: rabbithole-stage1").contains("daemon").contains("run");
        assertThat(run(Main.STAGE1, "help")).isEqualTo(help);
        assertThat(run(Main.STAGE1, "-h")).isEqualTo(help);
    }

    @Test
    void helpOfACommandIsItsHelp() {
        Run runHelp = run(Main.STAGE1, "run", "--help");
        assertThat(runHelp.exit()).isZero();
        assertThat(run(Main.STAGE1, "help", "run")).isEqualTo(runHelp);
    }

    @Test
    void runDashHIsStillTheHostname() {
        Run r = run(Main.STAGE1, "-H", "unix:///nonexistent/rabbithole.sock", "run", "-h", "box", "busybox", "true");
        assertThat(r.err()).contains("Cannot connect");           // parsed: -h took "box", IMAGE is busybox
    }

    @Test
    void eachStageNamesItself() {
        Main.Profile stage2 = new Main.Profile("rabbithole-stage2", "stage 2", "unix:///nonexistent/s2.sock",
                Main.STAGE1.daemonCommand());
        run(stage2, "--help");
        Stage s = Stage.current();
        assertThat(s.version()).isEqualTo("0.1.0-stage2");
        assertThat(s.platform()).contains("stage 2");
        assertThat(s.rename("-p/--publish (HostConfig.PortBindings) is not supported by stage 1"))
                .isEqualTo("-p/--publish (HostConfig.PortBindings) is not supported by stage 2");
        assertThat(s.rename("load other images with `load` (rabbithole stage1 load or docker load)"))
                .isEqualTo("load other images with `load` (rabbithole stage2 load or docker load)");

        run(Main.STAGE1, "--help");
        assertThat(Stage.current().version()).isEqualTo("0.1.0-stage1");
        assertThat(Stage.current().rename("not supported by stage 1")).isEqualTo("not supported by stage 1");
    }
}
