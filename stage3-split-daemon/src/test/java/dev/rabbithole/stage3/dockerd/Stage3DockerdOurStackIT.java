package dev.rabbithole.stage3.dockerd;

import dev.rabbithole.testsupport.JarDaemon;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The whole stack ours, with dockerd's defaults: our dockerd, the containerd it starts and supervises, our shim
 * ({@code containerd-shim-rabbithole-v2}) and our runc ({@code rabbithole-runc}) from this module's {@code bin}
 * directory. The cases are {@link DockerdCases}', plus {@code docker exec}, {@code run -i} with piped stdin,
 * {@code run -t} on a terminal ({@code script(1)}) and {@code docker events}. Needs root, the built jar, the docker CLI.
 */
class Stage3DockerdOurStackIT extends DockerdCases {

    @BeforeAll
    static void start() throws Exception {
        DockerdFixture.assumeCanRun();
        Assumptions.assumeTrue(Files.isRegularFile(Path.of("target/rabbithole-stage3.jar")),
                "skipped: target/rabbithole-stage3.jar is not built (mvn package): our shim and runc run from it");
        fx = new DockerdFixture();
        fx.ourStack = true;
        fx.shimCommand = "rabbithole-stage3.jar shim";
        fx.startDockerd();
        assertThat(fx.log()).contains("runtime io.containerd.rabbithole.v2 with " + DockerdFixture.ourBin()
                .resolve("rabbithole-runc"));
    }

    @AfterAll
    static void stop() throws Exception {
        if (fx != null) {
            System.out.println("dockerd's log:\n" + fx.log());
            fx.close();
        }
    }

    /** docker exec returns with the process's exit code, also for one that exits at once (echo, exit 3). */
    @Test
    void execReturnsWithTheExitCode() throws Exception {
        String id = docker("run", "-d", "busybox", "sleep", "300").out().trim();
        try {
            JarDaemon.Result hi = docker("exec", id, "echo", "hi");
            assertThat(hi.exit()).as("%s", hi).isZero();
            assertThat(hi.out()).isEqualTo("hi\n");
            assertThat(docker("exec", id, "sh", "-c", "exit 3").exit()).isEqualTo(3);
            JarDaemon.Result env = docker("exec", "-u", "nobody", "-w", "/tmp", "-e", "FOO=bar", id, "sh", "-c",
                    "id -u; pwd; echo $FOO");
            assertThat(env.out()).isEqualTo("65534\n/tmp\nbar\n");
            for (int i = 0; i < 5; i++) {
                assertThat(docker("exec", id, "true").exit()).as("exec %d of true", i).isZero();
            }
            // a process the runtime cannot start: as dockerd, the message comes through the upgraded stream and
            // the CLI exits with the exec's code, 126
            JarDaemon.Result missing = docker("exec", id, "nosuchcmd");
            assertThat(missing.exit()).as("%s", missing).isEqualTo(126);
            assertThat(missing.out() + missing.err()).contains("executable file not found");
        } finally {
            docker("rm", "-f", id);
        }
    }

    /** docker run -i: the piped input reaches the workload, its end is the workload's end of input. */
    @Test
    void runWithPipedStdin() throws Exception {
        Path input = Files.writeString(fx.dir.resolve("stdin.txt"), "one\ntwo\n");
        Process p = new ProcessBuilder("docker", "-H", fx.host(), "run", "--rm", "-i", "busybox", "sh", "-c",
                "wc -l; echo done").redirectInput(input.toFile()).redirectErrorStream(true).start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("2\ndone\n");
        assertThat(p.exitValue()).isZero();
    }

    /**
     * docker run -t on a terminal (script(1) makes one, 30 rows by 100 columns): the workload's stdin is a pty of
     * that size. The size arrives with the client's resize after the start (Engine API 1.41 has no console size at
     * create; Debian's dockerd 20.10 is the same), so the workload waits for it.
     */
    @Test
    void runWithATerminal() throws Exception {
        Assumptions.assumeTrue(DockerdMain.onPath("script", System.getenv("PATH") + ":/usr/bin"),
                "skipped: script(1) (bsdutils) is not installed");
        String run = "stty rows 30 cols 100; docker -H " + fx.host() + " run --rm -t busybox sh -c "
                + "'tty; i=0; until [ \"$(stty size 2>/dev/null)\" = \"30 100\" ] || [ $i -ge 100 ]; do "
                + "sleep 0.1; i=$((i+1)); done; stty size; exit 5'";
        Process p = new ProcessBuilder("script", "-qec", run, "/dev/null").redirectInput(ProcessBuilder.Redirect.PIPE)
                .redirectErrorStream(true).start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).replace("\r", "");
        assertThat(out).contains("/dev/pts/0\n").contains("30 100\n");
        assertThat(p.exitValue()).as(out).isEqualTo(5);
    }

    /** docker events: a container's create, start, die (with its exit code) and destroy, in order. */
    @Test
    void eventsShowTheContainersLife() throws Exception {
        Process events = new ProcessBuilder("docker", "-H", fx.host(), "events", "--format",
                "{{.Type}} {{.Action}} {{.Actor.ID}} {{index .Actor.Attributes \"exitCode\"}}")
                .redirectErrorStream(true).start();
        List<String> lines = Collections.synchronizedList(new ArrayList<>());
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(events.getInputStream(),
                    StandardCharsets.UTF_8))) {
                for (String l; (l = r.readLine()) != null; ) {
                    lines.add(l);
                }
            } catch (java.io.IOException e) {
                // the events process was stopped
            }
        });
        reader.setDaemon(true);
        reader.start();
        try {
            // the subscription is in place once an event of a container made after it arrives
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                String probe = docker("create", "busybox", "true").out().trim();
                docker("rm", probe);
                return lines.stream().anyMatch(l -> l.contains(probe));
            });
            String id = docker("run", "-d", "busybox", "sh", "-c", "exit 4").out().trim();
            assertThat(docker("wait", id).out()).isEqualTo("4\n");
            assertThat(docker("rm", id).exit()).isZero();
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(List.copyOf(lines).stream()
                    .filter(l -> l.contains(id) && l.startsWith("container ")).map(String::trim).toList())
                    .containsSubsequence("container create " + id, "container start " + id,
                            "container die " + id + " 4", "container destroy " + id));
        } finally {
            events.destroy();
            events.waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** A second dockerd on the data root of a running one is refused at once, and starts no containerd. */
    @Test
    void aSecondDockerdOnTheSameDataRootIsRefused() throws Exception {
        Path execRoot = Files.createTempDirectory(Path.of("/run"), "rh2nd");
        try {
            Process p = new ProcessBuilder(DockerdFixture.java(), "-cp", System.getProperty("java.class.path"),
                    "dev.rabbithole.stage3.Main", "dockerd", "--data-root", fx.dataRoot.toString(),
                    "-H", "unix://" + fx.dir.resolve("second.sock"), "--exec-root", execRoot.toString())
                    .redirectErrorStream(true).start();
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.exitValue()).as(out).isEqualTo(1);
            assertThat(out).contains("another daemon");
            assertThat(execRoot.resolve("containerd")).doesNotExist();
            assertThat(docker("version").exit()).as("the first dockerd still answers").isZero();
        } finally {
            try (var files = Files.walk(execRoot)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }
}
