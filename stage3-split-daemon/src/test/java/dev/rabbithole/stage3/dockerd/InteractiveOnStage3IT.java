package dev.rabbithole.stage3.dockerd;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Issue 10 items 2 to 4 on a running stage-3 dockerd, through the docker CLIs (the 28.x one first in PATH and
 * Debian's 20.10 at {@code /usr/bin/docker}): {@code run -i} with piped input, {@code run -it} (a terminal inside,
 * through script(1) on the client side), {@code exec} with {@code -e -u -w -i -d -t} and its exit code,
 * {@code POST /containers/{id}/resize} reaching the container's terminal, and {@code docker events} with the
 * lifecycle and exec events in order. Each check is one that Debian's dockerd 20.10 passes.
 *
 * <p>It starts a stage-3 dockerd of the whole stack ours (its containerd, our shim, our runc), or uses one that is
 * already running when its socket is given as {@code -Drabbithole.stage3.host=unix:///PATH} or
 * {@code RABBITHOLE_STAGE3_HOST}; skipped when not root, the jar is not built, or script(1) is missing.
 */
class InteractiveOnStage3IT {

    @TempDir
    static Path dir;
    static String host;
    static DockerdFixture fx;

    record Result(int exit, String out, String err) { }

    @BeforeAll
    static void find() {
        assumeTrue(new File("/usr/bin/script").canExecute(), "script(1) (util-linux) is missing");
        host = System.getProperty("rabbithole.stage3.host", System.getenv("RABBITHOLE_STAGE3_HOST"));
        if (host == null || host.isBlank()) {
            DockerdFixture.assumeCanRun();
            assumeTrue(Files.isRegularFile(Path.of("target/rabbithole-stage3.jar")),
                    "target/rabbithole-stage3.jar is not built (mvn package): our shim and runc run from it");
            try {
                fx = new DockerdFixture();
                fx.ourStack = true;
                fx.shimCommand = "rabbithole-stage3.jar shim";
                fx.startDockerd();
            } catch (Exception e) {
                throw new IllegalStateException("starting a stage-3 dockerd: " + e.getMessage(), e);
            }
            host = fx.host();
        }
    }

    @AfterAll
    static void stopOurs() throws Exception {
        if (fx != null) {
            fx.close();
        }
    }

    static List<String> clis() {
        List<String> clis = new ArrayList<>(List.of("docker"));
        if (Files.isExecutable(Path.of("/usr/bin/docker"))) {
            clis.add("/usr/bin/docker");
        }
        return clis;
    }

    static Result run(List<String> cmd, String stdin) throws Exception {
        Path in = Files.createTempFile(dir, "in", ".txt");
        Files.writeString(in, stdin == null ? "" : stdin);
        Path out = Files.createTempFile(dir, "out", ".txt");
        Path err = Files.createTempFile(dir, "err", ".txt");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectInput(in.toFile()).redirectOutput(out.toFile())
                .redirectError(err.toFile());
        Process p = pb.start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("timed out: " + cmd);
        }
        return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                Files.readString(err, StandardCharsets.UTF_8));
    }

    static Result docker(String cli, String stdin, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(cli, "-H", host));
        cmd.addAll(List.of(args));
        return run(cmd, stdin);
    }

    /** A docker command run in a pseudo-terminal made by script(1), as a user's terminal would be. */
    static Result inTerminal(String cli, String args) throws Exception {
        return run(List.of("/usr/bin/script", "-qec", cli + " -H " + host + " " + args, "/dev/null"), null);
    }

    @Test
    void runDashIAndDashIt() throws Exception {
        for (String cli : clis()) {
            Result piped = docker(cli, "hi\n", "run", "-i", "--rm", "busybox", "cat");
            assertThat(piped.out()).as(cli + ": " + piped).isEqualTo("hi\n");
            Result tty = inTerminal(cli, "run -it --rm busybox sh -c 'tty; echo $TERM; exit 3'");
            assertThat(tty.exit()).as(cli + ": " + tty).isEqualTo(3);
            assertThat(tty.out()).as(cli + ": " + tty).contains("/dev/pts/").contains("xterm\r\n");
        }
    }

    @Test
    void execWithItsFlagsAndExitCode_andResize() throws Exception {
        String c = "ic3-exec";
        docker("docker", null, "rm", "-f", c);
        Result started = docker("docker", null, "run", "-d", "-t", "--name", c, "-e", "A=container", "-w", "/tmp",
                "busybox", "sleep", "300");
        assertThat(started.exit()).as(started.toString()).isZero();
        try {
            for (String cli : clis()) {
                Result r = docker(cli, null, "exec", "-e", "B=exec", c, "sh", "-c", "echo $A $B; pwd; exit 3");
                assertThat(r.exit()).as(cli + ": " + r).isEqualTo(3);
                assertThat(r.out()).as(cli + ": " + r).isEqualTo("container exec\n/tmp\n");
                Result as = docker(cli, null, "exec", "-u", "1000:1000", "-w", "/", c, "sh", "-c", "id -u; pwd");
                assertThat(as.out()).as(cli + ": " + as).isEqualTo("1000\n/\n");
                Result in = docker(cli, "piped\n", "exec", "-i", c, "cat");
                assertThat(in.out()).as(cli + ": " + in).isEqualTo("piped\n");
                Result tty = inTerminal(cli, "exec -it " + c + " tty");
                assertThat(tty.out()).as(cli + ": " + tty).contains("/dev/pts/");
            }
            assertThat(docker("docker", null, "exec", "-d", c, "sh", "-c", "echo made > /tmp/m").exit()).isZero();
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
                    .until(() -> docker("docker", null, "exec", c, "cat", "/tmp/m").out().equals("made\n"));
            Result missing = docker("docker", null, "exec", "ic3-nosuch", "true");
            assertThat(missing.err()).contains("No such container: ic3-nosuch");

            // resize: the container's terminal gets the size (runc's console is /dev/pts/0 inside)
            Path sock = Path.of(host.substring("unix://".length()));
            Result resized = run(List.of("curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--unix-socket",
                    sock.toString(), "-X", "POST", "http://docker/v1.41/containers/" + c + "/resize?h=33&w=77"), null);
            assertThat(resized.out()).as(resized.toString()).isEqualTo("200");
            Result size = docker("docker", null, "exec", c, "sh", "-c", "stty size < /dev/pts/0");
            assertThat(size.out()).as(size.toString()).isEqualTo("33 77\n");
        } finally {
            docker("docker", null, "rm", "-f", c);
        }
    }

    @Test
    void eventsOfTheLifecycleAndOfExecInOrder() throws Exception {
        Instant now = Instant.now();
        String since = now.getEpochSecond() + "." + String.format("%09d", now.getNano());
        assertThat(docker("docker", null, "run", "-d", "--name", "ic3-ev", "busybox", "sleep", "60").exit()).isZero();
        assertThat(docker("docker", null, "exec", "ic3-ev", "sh", "-c", "exit 4").exit()).isEqualTo(4);
        assertThat(docker("docker", null, "rm", "-f", "ic3-ev").exit()).isZero();
        Thread.sleep(1100);                                  // the CLI sends --until in whole seconds
        for (String cli : clis()) {
            Result events = docker(cli, null, "events", "--since", since, "--until", "0s", "--filter",
                    "container=ic3-ev", "--format", "{{.Action}} {{index .Actor.Attributes \"exitCode\"}}");
            assertThat(events.out().lines().map(String::trim).toList()).as(cli + ": " + events).containsExactly(
                    "create", "start", "exec_create: sh -c exit 4", "exec_start: sh -c exit 4", "exec_die 4",
                    "kill", "die 137", "destroy");
        }
    }
}
