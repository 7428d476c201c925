package dev.rabbithole.stage2.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rabbithole.testsupport.JarDaemon.Result;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
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
 * Stage 2's stdin, events and refusals, through the real docker CLI (the 28.x one first in PATH and Debian's 20.10
 * at {@code /usr/bin/docker} when present) and the jar's client: {@code echo hi | docker run -i busybox cat} prints
 * hi (the native driver's init gets a pipe as its stdin and the workload inherits it); {@code docker events}
 * shows create, attach, start, die, destroy in order; {@code -t} and {@code docker exec} are refused with
 * messages naming stage 2. Skipped with a reason when not root or the docker CLI is missing.
 */
class InteractiveOnStage2IT {

    @TempDir
    static Path dir;
    static Stage2Daemon daemon;
    static final ObjectMapper JSON = new ObjectMapper();

    @BeforeAll
    static void startDaemon() throws Exception {
        assumeTrue(Stage2Daemon.isRoot(), "containers need root (run sudo ./rabbithole test)");
        assumeTrue(Files.isExecutable(Path.of("/bin/busybox")), "busybox-static missing: ./rabbithole setup installs it");
        boolean haveDocker;
        try {
            haveDocker = Stage2Daemon.exec(List.of("docker", "--version")).exit() == 0;
        } catch (IOException e) {
            haveDocker = false;
        }
        assumeTrue(haveDocker, "the docker CLI is not installed");
        daemon = new Stage2Daemon(dir, "native");
    }

    @AfterAll
    static void stopDaemon() throws Exception {
        if (daemon != null) {
            daemon.close();
        }
    }

    static Path input(String text) throws IOException {
        Path f = Files.createTempFile(dir, "stdin", ".txt");
        Files.writeString(f, text);
        return f;
    }

    /** The docker CLIs on this machine: {@code docker} (first in PATH) and Debian's 20.10 when installed. */
    static List<String> clis() {
        List<String> clis = new ArrayList<>(List.of("docker"));
        if (Files.isExecutable(Path.of("/usr/bin/docker"))) {
            clis.add("/usr/bin/docker");
        }
        return clis;
    }

    static Result cli(String docker, Path stdin, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(docker, "-H", daemon.host()));
        cmd.addAll(List.of(args));
        return Stage2Daemon.exec(cmd, stdin);
    }

    @Test
    void runDashIFeedsPipedInputToTheContainer_dockerClis() throws Exception {
        for (String docker : clis()) {
            Result r = cli(docker, input("hi\n"), "run", "-i", "--rm", "busybox", "cat");
            assertThat(r.exit()).as(docker + ": " + r).isZero();
            assertThat(r.out()).as(docker + ": " + r).isEqualTo("hi\n");
            // more than one line, read by a shell that then exits with a status of its own
            Result sh = cli(docker, input("a\nb\n"), "run", "-i", "--rm", "busybox", "sh", "-c",
                    "read x; read y; echo \"$y $x\"; exit 4");
            assertThat(sh.exit()).as(docker + ": " + sh).isEqualTo(4);
            assertThat(sh.out()).as(docker + ": " + sh).isEqualTo("b a\n");
        }
    }

    @Test
    void theWorkloadsStdinIsAPipeWithDashIAndDevNullWithout() throws Exception {
        Result piped = daemon.dockerWithInput(input(""), "run", "-i", "--rm", "busybox", "readlink", "/proc/self/fd/0");
        assertThat(piped.out()).as(piped.toString()).startsWith("pipe:[");
        Result closed = daemon.docker("run", "--rm", "busybox", "readlink", "/proc/self/fd/0");
        assertThat(closed.out().trim()).as(closed.toString()).isEqualTo("/dev/null");
    }

    @Test
    void runDashIFeedsPipedInputToTheContainer_ourClient() throws Exception {
        List<String> cmd = new ArrayList<>(List.of("java", "-jar", daemon.jar.toString(), "-H", daemon.host(),
                "run", "-i", "--rm", "busybox", "sh", "-c", "cat; echo done"));
        Result r = Stage2Daemon.exec(cmd, input("from the client\n"));
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.out()).as(r.toString()).isEqualTo("from the client\ndone\n");
    }

    @Test
    void dockerEventsShowTheLifecycleInOrder() throws Exception {
        long since = Instant.now().getEpochSecond() - 1;
        Result run = daemon.docker("run", "--rm", "--name", "evt", "busybox", "sh", "-c", "exit 3");
        assertThat(run.exit()).as(run.toString()).isEqualTo(3);
        long until = Instant.now().getEpochSecond() + 1;
        for (String docker : clis()) {
            Result events = cli(docker, Path.of("/dev/null"), "events", "--since", Long.toString(since), "--until",
                    Long.toString(until), "--filter", "container=evt", "--format", "{{json .}}");
            assertThat(events.exit()).as(docker + ": " + events).isZero();
            List<JsonNode> lines = new ArrayList<>();
            for (String l : events.out().split("\n")) {
                lines.add(JSON.readTree(l));
            }
            assertThat(lines).as(events.out()).extracting(e -> e.get("Action").asText())
                    .containsExactly("create", "attach", "start", "die", "destroy");
            JsonNode die = lines.get(3);
            assertThat(die.get("Type").asText()).isEqualTo("container");
            assertThat(die.get("scope").asText()).isEqualTo("local");
            assertThat(die.get("from").asText()).isEqualTo("busybox");
            assertThat(die.get("Actor").get("Attributes").get("exitCode").asText()).isEqualTo("3");
            assertThat(die.get("Actor").get("Attributes").get("name").asText()).isEqualTo("evt");
            assertThat(die.get("timeNano").asLong() / 1_000_000_000L).isEqualTo(die.get("time").asLong());
        }
        // the jar's client prints the same events as docker's default lines
        Result ours = daemon.client("events", "--since", Long.toString(since), "--until", Long.toString(until),
                "-f", "container=evt", "-f", "event=die");
        assertThat(ours.out()).as(ours.toString()).contains(" container die ").contains("exitCode=3").contains("name=evt");
    }

    @Test
    void dockerEventsFollowsAContainerThatRunsAndExits() throws Exception {
        Process follow = new ProcessBuilder("docker", "-H", daemon.host(), "events", "--format", "{{.Action}}",
                "--filter", "container=live").redirectErrorStream(true).start();
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(follow.getInputStream(),
                StandardCharsets.UTF_8))) {
            Result run = daemon.docker("run", "--rm", "--name", "live", "busybox", "true");
            assertThat(run.exit()).as(run.toString()).isZero();
            List<String> seen = new ArrayList<>();
            String line;
            while ((line = lines.readLine()) != null) {
                seen.add(line);
                if (line.equals("destroy")) {
                    break;
                }
            }
            assertThat(seen).containsExactly("create", "attach", "start", "die", "destroy");
        } finally {
            follow.destroy();
            follow.waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void aTtyAndExecAreRefusedNamingStage2() throws Exception {
        Result tty = daemon.docker("run", "-t", "--rm", "busybox", "true");
        assertThat(tty.exit()).as(tty.toString()).isEqualTo(125);
        assertThat(tty.err()).contains("Error response from daemon: stage 2 does not support a TTY (-t): ");
        Result started = daemon.docker("run", "-d", "--name", "noexec", "busybox", "sleep", "60");
        assertThat(started.exit()).as(started.toString()).isZero();
        try {
            for (String docker : clis()) {
                Result exec = cli(docker, Path.of("/dev/null"), "exec", "noexec", "true");
                assertThat(exec.exit()).as(docker + ": " + exec).isEqualTo(1);
                assertThat(exec.err()).as(docker + ": " + exec)
                        .contains("Error response from daemon: stage 2 does not support exec");
            }
        } finally {
            daemon.docker("rm", "-f", "noexec");
        }
    }
}
