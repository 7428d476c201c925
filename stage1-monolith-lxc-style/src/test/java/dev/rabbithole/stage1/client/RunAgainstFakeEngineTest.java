package dev.rabbithole.stage1.client;

import dev.rabbithole.stage1.Main;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The client end to end against {@link FakeEngine}: the requests docker run makes, the streams, the exit code. */
class RunAgainstFakeEngineTest {
    @TempDir
    Path dir;
    private FakeEngine engine;
    private String host;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    @BeforeEach
    void start() {
        Path socket = dir.resolve("docker.sock");
        engine = new FakeEngine(socket);
        host = "unix://" + socket;
    }

    @AfterEach
    void stop() {
        engine.close();
    }

    private int run(String... args) {
        String[] all = new String[args.length + 2];
        all[0] = "-H";
        all[1] = host;
        System.arraycopy(args, 0, all, 2, args.length);
        return Main.execute(all, new PrintStream(out, true), new PrintStream(err, true), Map.of());
    }

    private String stdout() {
        return out.toString(StandardCharsets.UTF_8);
    }

    private String stderr() {
        return err.toString(StandardCharsets.UTF_8);
    }

    @Test
    void runCopiesStdoutAndStderrAndExitsWithTheStatusCode() {
        int rc = run("run", "--rm", "busybox", "sh", "-c", "exit 3");
        assertThat(stdout()).isEqualTo("hello from stdout\nbye\n");
        assertThat(stderr()).isEqualTo("and from stderr\n");
        assertThat(rc).isEqualTo(3);
        // docker's order: create, attach, wait (removed with --rm), start
        assertThat(engine.requests).containsExactly(
                "POST /v1.41/containers/create",
                "POST /v1.41/containers/" + FakeEngine.ID + "/attach?stderr=1&stdout=1&stream=1",
                "POST /v1.41/containers/" + FakeEngine.ID + "/wait?condition=removed",
                "POST /v1.41/containers/" + FakeEngine.ID + "/start");
        assertThat(engine.createBodies.get(0).path("HostConfig").path("AutoRemove").asBoolean()).isTrue();
    }

    @Test
    void exitZeroAndNextExitWithoutRm() {
        engine.exitCode = 0;
        assertThat(run("run", "--name", "demo", "busybox", "true")).isZero();
        assertThat(engine.requests).contains("POST /v1.41/containers/create?name=demo",
                "POST /v1.41/containers/" + FakeEngine.ID + "/wait?condition=next-exit");
    }

    @Test
    void aMissingImageIsPulledOnceThenCreated() {
        engine.imagePresent = false;
        int rc = run("run", "busybox", "true");
        assertThat(rc).isEqualTo(3);
        assertThat(stderr()).startsWith("Unable to find image 'busybox:latest' locally\n");
        assertThat(engine.requests).containsSubsequence("POST /v1.41/containers/create",
                "POST /v1.41/images/create?fromImage=busybox&tag=latest", "POST /v1.41/containers/create");
    }

    @Test
    void aCommandThatCannotBeFoundGives127() {
        engine.startError = "exec: \"nope\": executable file not found in $PATH";
        assertThat(run("run", "busybox", "nope")).isEqualTo(127);
        assertThat(stderr()).contains("Error response from daemon: exec: \"nope\": executable file not found");
    }

    @Test
    void detachedRunPrintsTheId() {
        assertThat(run("run", "-d", "busybox", "sleep", "9")).isZero();
        assertThat(stdout()).isEqualTo(FakeEngine.ID + "\n");
        assertThat(engine.requests).noneMatch(r -> r.contains("/attach"));
    }

    @Test
    void psPrintsDockersTable() {
        assertThat(run("ps")).isZero();
        assertThat(stdout()).startsWith("CONTAINER ID   IMAGE     COMMAND   CREATED")
                .contains("4f7a1c2b9d3e   busybox   \"sh\"      ")
                .contains("Up 5 seconds").endsWith("demo\n");
    }

    @Test
    void logsDemultiplexesAChunkedBody() {
        assertThat(run("logs", "demo")).isZero();
        assertThat(stdout()).isEqualTo("hello from stdout\nbye\n");
        assertThat(stderr()).isEqualTo("and from stderr\n");
    }

    @Test
    void anErrorAnswerIsPrintedAsDockerDoes() {
        assertThat(run("stop", "ghost")).isEqualTo(1);
        assertThat(stderr()).startsWith("Error response from daemon: No such container: /containers/ghost/stop");
    }

    @Test
    void noDaemonGivesAClearMessageAndExit125ForRunAnd1Otherwise() {
        String missing = "unix://" + dir.resolve("nobody-listens.sock");
        int rc = Main.execute(new String[] {"-H", missing, "run", "--rm", "busybox", "true"},
                new PrintStream(out, true), new PrintStream(err, true), Map.of());
        assertThat(rc).as("docker run exits 125 when it cannot reach the daemon").isEqualTo(125);
        assertThat(stderr()).isEqualTo("Cannot connect to the rabbithole daemon at " + missing
                + ". Is the daemon running? (start it with: rabbithole stage1 daemon)\n");
        err.reset();
        rc = Main.execute(new String[] {"-H", missing, "ps"}, new PrintStream(out, true), new PrintStream(err, true), Map.of());
        assertThat(rc).isEqualTo(1);
        assertThat(stderr()).startsWith("Cannot connect to the rabbithole daemon at ");
    }

    @Test
    void anUnknownCommandIsNamedAsDockerDoes() {
        int rc = Main.execute(new String[] {"-H", host, "frobnicate"}, new PrintStream(out, true),
                new PrintStream(err, true), Map.of());
        assertThat(rc).isEqualTo(1);
        assertThat(stderr()).isEqualTo("rabbithole-stage1: 'frobnicate' is not a rabbithole-stage1 command.\n"
                + "See 'rabbithole-stage1 --help'.\n");
        err.reset();
        // an unknown option stays a usage error (125)
        assertThat(Main.execute(new String[] {"--frobnicate"}, new PrintStream(out, true), new PrintStream(err, true),
                Map.of())).isEqualTo(125);
    }

    @Test
    void helpDoesNotBreakTheSocketAddressAndVersionIsOneString() {
        assertThat(run("--help")).isZero();
        assertThat(stdout()).contains("unix:///run/rabbithole/stage1/docker.sock").doesNotContain("unix:\n");
        out.reset();
        assertThat(run("daemon", "--help")).isZero();
        assertThat(stdout()).contains("unix:///run/rabbithole/stage1/docker.sock").doesNotContain("unix:\n");
        out.reset();
        assertThat(run("--version")).isZero();
        assertThat(stdout()).contains(dev.rabbithole.stage1.BuildInfo.VERSION).doesNotContain("SNAPSHOT");
    }

    @Test
    void versionSeparatesEveryLabelFromItsValue() {
        assertThat(run("version")).isZero();
        assertThat(stdout()).contains(" Minimum API version: 1.12\n").contains(" Version:             "
                + dev.rabbithole.stage1.BuildInfo.VERSION + "\n");
    }

    @Test
    void loadNamesAMissingFileOrADirectoryAsDockerDoes() {
        String missing = dir.resolve("nonexistent.tar").toString();
        assertThat(run("load", "-i", missing)).isEqualTo(1);
        assertThat(stderr()).isEqualTo("open " + missing + ": no such file or directory\n");
        err.reset();
        assertThat(run("load", "-i", dir.toString())).isEqualTo(1);
        assertThat(stderr()).isEqualTo("read " + dir + ": is a directory\n");
    }

    @Test
    void rabbitholeHostFromTheEnvironmentIsUsedAndDockerHostIsNot() {
        int rc = Main.execute(new String[] {"ps", "-q"}, new PrintStream(out, true), new PrintStream(err, true),
                Map.of("RABBITHOLE_HOST", host, "DOCKER_HOST", "unix://" + dir.resolve("docker-host.sock")));
        assertThat(rc).isZero();
        assertThat(stdout()).isEqualTo("4f7a1c2b9d3e\n");
    }
}
