package dev.rabbithole.stage1.e2e;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The real docker CLI against the stage-1 daemon (the Engine API 1.41 subset the README lists): the Engine API subset is
 * enough for run, ps, logs, rm, images, inspect and version. Skipped with a reason when the CLI is missing.
 */
class DockerCliIT {

    @TempDir
    static Path dir;
    static Stage1Daemon daemon;

    @BeforeAll
    static void startDaemon() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "stage-1 containers need root");
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/lxc-execute")), "lxc-execute missing: ./rabbithole setup installs lxc");
        boolean haveDocker;
        try {
            haveDocker = Stage1Daemon.exec(List.of("docker", "--version")).exit() == 0;
        } catch (java.io.IOException e) {
            haveDocker = false;
        }
        assumeTrue(haveDocker, "the docker CLI is not installed");
        daemon = new Stage1Daemon(dir);
    }

    @AfterAll
    static void stopDaemon() throws Exception {
        if (daemon != null) {
            daemon.stopAndRemoveLayers();
        }
    }

    @Test
    void runPrintsAndExitsLikeDocker() throws Exception {
        var hello = daemon.docker("run", "--rm", "busybox", "echo", "hello");
        assertThat(hello.exit()).as(hello.toString()).isZero();
        assertThat(hello.out()).isEqualTo("hello\n");

        var three = daemon.docker("run", "--rm", "busybox", "sh", "-c", "exit 3");
        assertThat(three.exit()).as(three.toString()).isEqualTo(3);

        var stderr = daemon.docker("run", "--rm", "busybox", "sh", "-c", "echo oops >&2");
        assertThat(stderr.err()).as(stderr.toString()).contains("oops");
        assertThat(stderr.out()).isEmpty();
    }

    @Test
    void psLogsInspectRmWork() throws Exception {
        var run = daemon.docker("run", "--name", "cli-logs", "busybox", "echo", "from the log");
        assertThat(run.exit()).as(run.toString()).isZero();

        var ps = daemon.docker("ps", "-a");
        assertThat(ps.exit()).as(ps.toString()).isZero();
        assertThat(ps.out()).contains("cli-logs").contains("Exited (0)");

        var logs = daemon.docker("logs", "cli-logs");
        assertThat(logs.out()).as(logs.toString()).isEqualTo("from the log\n");

        var inspect = daemon.docker("inspect", "--format", "{{.State.ExitCode}} {{.Name}}", "cli-logs");
        assertThat(inspect.out().trim()).as(inspect.toString()).isEqualTo("0 /cli-logs");

        var rm = daemon.docker("rm", "cli-logs");
        assertThat(rm.exit()).as(rm.toString()).isZero();
        var gone = daemon.docker("logs", "cli-logs");
        assertThat(gone.exit()).isNotZero();
        assertThat(gone.err()).contains("No such container");
    }

    @Test
    void detachedContainerCanBeStoppedAndRemoved() throws Exception {
        var run = daemon.docker("run", "-d", "--name", "cli-sleeper", "busybox", "sleep", "60");
        assertThat(run.exit()).as(run.toString()).isZero();
        var rm = daemon.docker("rm", "cli-sleeper");
        assertThat(rm.exit()).as("removing a running container is refused").isNotZero();
        var stop = daemon.docker("stop", "-t", "1", "cli-sleeper");
        assertThat(stop.exit()).as(stop.toString()).isZero();
        var code = daemon.docker("inspect", "--format", "{{.State.Status}}", "cli-sleeper");
        assertThat(code.out().trim()).isEqualTo("exited");
        assertThat(daemon.docker("rm", "cli-sleeper").exit()).isZero();
    }

    @Test
    void imagesVersionAndInfo() throws Exception {
        assertThat(daemon.docker("run", "--rm", "busybox", "true").exit()).isZero();
        var images = daemon.docker("images");
        assertThat(images.exit()).as(images.toString()).isZero();
        assertThat(images.out()).contains("busybox").contains("latest");

        var inspect = daemon.docker("inspect", "--format", "{{.Id}}", "busybox");
        assertThat(inspect.out().trim()).as(inspect.toString()).matches("sha256:[0-9a-f]{64}");

        var version = daemon.docker("version");
        assertThat(version.exit()).as(version.toString()).isZero();
        assertThat(version.out()).contains("1.41");

        var info = daemon.docker("info");
        assertThat(info.exit()).as(info.toString()).isZero();
    }

    @Test
    void stdinIsRefusedInsteadOfLost() throws Exception {
        Path hello = dir.resolve("hello.txt");
        Files.writeString(hello, "hello\n");
        // echo hello | docker run -i --rm busybox cat: stage 1 has no stdin, so it says so
        var r = daemon.dockerWithInput(hello, "run", "-i", "--rm", "busybox", "cat");
        assertThat(r.exit()).as(r.toString()).isEqualTo(125);
        assertThat(r.err()).as(r.toString()).contains("stage 1 does not support stdin (-i) or a TTY (-t)");
    }

    @Test
    void anEnvironmentVariableUnsetInTheShellIsNotSet() throws Exception {
        // docker sends "KEY" for -e KEY when KEY is unset; LXC could not parse "lxc.environment = KEY"
        var docker = daemon.docker("run", "--rm", "-e", "RABBITHOLE_SURELY_UNSET", "busybox", "sh", "-c",
                "echo ${RABBITHOLE_SURELY_UNSET-unset}");
        assertThat(docker.exit()).as(docker.toString()).isZero();
        assertThat(docker.out()).isEqualTo("unset\n");
        var ours = daemon.client("run", "--rm", "-e", "RABBITHOLE_SURELY_UNSET", "busybox", "sh", "-c",
                "echo ${RABBITHOLE_SURELY_UNSET-unset}");
        assertThat(ours.exit()).as(ours.toString()).isZero();
        assertThat(ours.out()).isEqualTo("unset\n");
    }

    @Test
    void startErrorsGiveDockersExitCodesAndKillWaitsForTheExit() throws Exception {
        var dir = daemon.docker("run", "--rm", "busybox", "/etc");
        assertThat(dir.exit()).as(dir.toString()).isEqualTo(126);
        assertThat(dir.err()).contains("exec: \"/etc\": permission denied");
        var missing = daemon.docker("run", "--rm", "busybox", "/no/such/program");
        assertThat(missing.exit()).as(missing.toString()).isEqualTo(127);

        assertThat(daemon.docker("run", "-d", "--name", "cli-k1", "busybox", "sleep", "300").exit()).isZero();
        var kill = daemon.docker("kill", "cli-k1");
        assertThat(kill.exit()).as(kill.toString()).isZero();
        var status = daemon.docker("inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", "cli-k1");
        assertThat(status.out().trim()).as(status.toString()).isEqualTo("exited 137");
        assertThat(daemon.docker("rm", "cli-k1").exit()).isZero();

        var oom = daemon.docker("run", "--name", "cli-oom", "-m", "16m", "busybox",
                "sh", "-c", "x=0123456789abcdef; while :; do x=$x$x; done");
        assertThat(oom.exit()).as(oom.toString()).isEqualTo(137);
        var oomState = daemon.docker("inspect", "-f", "{{.State.OOMKilled}}", "cli-oom");
        assertThat(oomState.out().trim()).as(oomState.toString()).isEqualTo("true");
        assertThat(daemon.docker("rm", "cli-oom").exit()).isZero();
    }
}
