package dev.rabbithole.stage3.dockerd;

import dev.rabbithole.testsupport.JarDaemon;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * What the split buys: containers outlive dockerd and containerd. Our dockerd with the containerd it supervises
 * (ours, started by dockerd in its own session), Debian's {@code containerd-shim-runc-v2} and runc; the dockerd is
 * killed (SIGKILL), stopped (SIGTERM) and started again on the same roots. Docker's {@code --live-restore}:
 * running containers are found again with every line they printed meanwhile; one that exited meanwhile reports
 * its real exit code; without it, stopping dockerd stops the containers.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LiveRestoreIT {

    /** Prints {@code line N} a second and keeps N in /tmp/n, where the test reads it while no dockerd runs. */
    static final String TICKER = "trap 'echo bye; exit 3' TERM; i=0; while true; do echo line $i; echo $i > /tmp/n; "
            + "i=$((i+1)); sleep 1; done";

    static DockerdFixture fx;

    @BeforeAll
    static void start() throws Exception {
        DockerdFixture.assumeCanRun();
        fx = new DockerdFixture();
        fx.startDockerd("--live-restore");
    }

    @AfterAll
    static void stop() throws Exception {
        if (fx != null) {
            System.out.println("dockerd's log:\n" + fx.log());
            System.out.println("containerd's log:\n"
                    + DockerdFixture.read(fx.dataRoot.resolve("containerd/containerd.log")));
            fx.close();
        }
    }

    static JarDaemon.Result docker(String... args) throws Exception {
        return fx.docker(args);
    }

    /** The ticker's last number, as its rootfs says. */
    static int counter(String id) {
        try {
            return Integer.parseInt(Files.readString(fx.rootfs(id).resolve("tmp/n")).trim());
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
    }

    /** @return the logged lines' numbers, checked to be 0, 1, 2, ... without a gap or a repeat */
    static int consecutiveLines(String id) throws Exception {
        String out = docker("logs", id).out();
        List<Integer> seen = new ArrayList<>();
        for (String line : out.split("\n")) {
            if (line.startsWith("line ")) {
                seen.add(Integer.parseInt(line.substring(5)));
            }
        }
        for (int i = 0; i < seen.size(); i++) {
            assertThat(seen.get(i)).as("line %d of the log:\n%s", i, out).isEqualTo(i);
        }
        return seen.size() - 1;
    }

    static long pid(String id) throws Exception {
        return Long.parseLong(docker("inspect", "-f", "{{.State.Pid}}", id).out().trim());
    }

    @Test
    @Order(1)
    void aKilledAndAStoppedDockerdLeaveTheContainerRunningAndLoseNoLine() throws Exception {
        String id = docker("run", "-d", "busybox", "sh", "-c", TICKER).out().trim();
        await().atMost(Duration.ofSeconds(20)).until(() -> counter(id) >= 1);
        long pid = pid(id);

        fx.killDockerd();                                       // SIGKILL: no shutdown at all
        int atKill = counter(id);
        await().atMost(Duration.ofSeconds(20)).until(() -> counter(id) >= atKill + 3);
        assertThat(ProcessHandle.of(pid)).as("the container lives on without dockerd").isPresent();
        fx.startDockerd("--live-restore");
        assertThat(docker("ps", "--no-trunc", "--format", "{{.ID}} {{.Status}}").out()).contains(id + " Up");
        assertThat(pid(id)).isEqualTo(pid);
        await().atMost(Duration.ofSeconds(20)).until(() -> consecutiveLines(id) >= atKill + 5);

        fx.stopDockerd();                                       // SIGTERM with --live-restore: the containers stay
        int atStop = counter(id);
        await().atMost(Duration.ofSeconds(20)).until(() -> counter(id) >= atStop + 3);
        assertThat(ProcessHandle.of(pid)).isPresent();
        fx.startDockerd("--live-restore");
        await().atMost(Duration.ofSeconds(20)).until(() -> consecutiveLines(id) >= atStop + 5);
        // logs -f on the new dockerd follows what the container prints from now on
        Path follow = fx.dir.resolve("follow.txt");
        Process following = new ProcessBuilder("docker", "-H", fx.host(), "logs", "-f", "--tail", "1", id)
                .redirectErrorStream(true).redirectOutput(follow.toFile()).start();
        int now = counter(id);
        await().atMost(Duration.ofSeconds(20)).until(() -> Files.readString(follow).contains("line " + (now + 2) + "\n"));

        // wait on the restored container answers when it ends
        Process waiting = new ProcessBuilder("docker", "-H", fx.host(), "wait", id).redirectErrorStream(true).start();
        await().atMost(Duration.ofSeconds(10)).until(() -> docker("stop", id).exit() == 0);
        assertThat(waiting.waitFor(20, TimeUnit.SECONDS)).isTrue();
        assertThat(following.waitFor(20, TimeUnit.SECONDS)).as("logs -f ends with the container").isTrue();
        assertThat(Files.readString(follow)).endsWith("bye\n");
        assertThat(new String(waiting.getInputStream().readAllBytes())).isEqualTo("3\n");
        assertThat(docker("logs", id).out()).endsWith("bye\n");
        assertThat(docker("rm", id).exit()).isZero();
    }

    @Test
    @Order(2)
    void aContainerThatExitedWhileDockerdWasDownReportsItsRealExitCode() throws Exception {
        String id = docker("run", "-d", "busybox", "sh", "-c",
                "echo waiting; while [ ! -e /go ]; do sleep 0.2; done; exit 5").out().trim();
        await().atMost(Duration.ofSeconds(20)).until(() -> docker("logs", id).out().contains("waiting"));
        long pid = pid(id);
        fx.killDockerd();
        Files.writeString(fx.rootfs(id).resolve("go"), "");
        await().atMost(Duration.ofSeconds(20)).until(() -> ProcessHandle.of(pid).isEmpty());
        fx.startDockerd("--live-restore");
        await().atMost(Duration.ofSeconds(20)).until(() -> docker("inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}",
                id).out().equals("exited 5\n"));
        assertThat(docker("wait", id).out()).isEqualTo("5\n");
        assertThat(docker("rm", id).exit()).isZero();
    }

    @Test
    @Order(3)
    void aKilledContainerdIsStartedAgainAndFindsTheContainer() throws Exception {
        String id = docker("run", "-d", "busybox", "sh", "-c", TICKER).out().trim();
        await().atMost(Duration.ofSeconds(20)).until(() -> counter(id) >= 1);
        long pid = pid(id);
        Path pidFile = fx.execRoot.resolve("containerd/containerd.pid");
        long containerd = Long.parseLong(Files.readString(pidFile).trim());
        ProcessHandle old = ProcessHandle.of(containerd).orElseThrow();
        old.destroyForcibly();                                  // kill -9 containerd
        await().atMost(Duration.ofSeconds(10)).until(() -> !old.isAlive());
        assertThat(ProcessHandle.of(pid)).as("the container lives on without containerd").isPresent();
        // dockerd starts its containerd again; the new one finds the shim, dockerd's wait reconnects
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            long now = Long.parseLong(Files.readString(pidFile).trim());
            return now != containerd && ProcessHandle.of(now).isPresent();
        });
        int atRestart = counter(id);
        await().atMost(Duration.ofSeconds(30)).until(() -> consecutiveLines(id) >= atRestart + 2);
        assertThat(docker("stop", id).exit()).isZero();
        assertThat(docker("inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", id).out()).isEqualTo("exited 3\n");
        assertThat(ProcessHandle.of(pid)).isEmpty();
        assertThat(docker("rm", id).exit()).isZero();
    }

    @Test
    @Order(5)
    void withoutLiveRestoreStoppingDockerdStopsTheContainers() throws Exception {
        fx.stopDockerd();
        fx.startDockerd();
        String id = docker("run", "-d", "busybox", "sh", "-c", TICKER).out().trim();
        await().atMost(Duration.ofSeconds(20)).until(() -> counter(id) >= 0);
        long pid = pid(id);
        fx.stopDockerd();
        assertThat(ProcessHandle.of(pid)).as("Docker's default: the daemon's stop stops its containers").isEmpty();
        fx.startDockerd();
        assertThat(docker("inspect", "-f", "{{.State.Status}}", id).out()).isEqualTo("exited\n");

        // a crashed dockerd without live restore: the next one stops what it finds running (SIGTERM: the trap)
        assertThat(docker("start", id).exit()).isZero();
        await().atMost(Duration.ofSeconds(20)).until(() -> docker("logs", id).out().split("line 0\n", -1).length > 2);
        long again = pid(id);
        fx.killDockerd();
        assertThat(ProcessHandle.of(again)).isPresent();
        fx.startDockerd();
        await().atMost(Duration.ofSeconds(30)).until(() -> docker("inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}",
                id).out().equals("exited 3\n"));
        assertThat(ProcessHandle.of(again)).isEmpty();
        assertThat(docker("rm", id).exit()).isZero();
    }
}
