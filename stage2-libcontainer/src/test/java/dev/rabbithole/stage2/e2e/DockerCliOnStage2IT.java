package dev.rabbithole.stage2.e2e;

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
 * The real docker CLI against the stage-2 socket, native driver: run (pid 1), exit codes, ps, logs, rm,
 * inspect, images, version. Skipped with a reason when the CLI is missing or not root.
 */
class DockerCliOnStage2IT {

    @TempDir
    static Path dir;
    static Stage2Daemon daemon;

    @BeforeAll
    static void startDaemon() throws Exception {
        assumeTrue(Stage2Daemon.isRoot(), "containers need root (run sudo ./rabbithole test)");
        assumeTrue(Files.isExecutable(Path.of("/bin/busybox")), "busybox-static missing: ./rabbithole setup installs it");
        boolean haveDocker;
        try {
            haveDocker = Stage2Daemon.exec(List.of("docker", "--version")).exit() == 0;
        } catch (java.io.IOException e) {
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

    @Test
    void runIsPid1WithTheContainersHostname() throws Exception {
        var r = daemon.docker("run", "--rm", "busybox", "sh", "-c", "echo $$; hostname");
        assertThat(r.exit()).as(r.toString()).isZero();
        String[] lines = r.out().trim().split("\n");
        assertThat(lines[0]).as(r.toString()).isEqualTo("1");
        assertThat(lines[1]).as(r.toString()).matches("[0-9a-f]{12}");
    }

    @Test
    void exitCodesAreDockers() throws Exception {
        assertThat(daemon.docker("run", "--rm", "busybox", "sh", "-c", "exit 3").exit()).isEqualTo(3);
        // pid 1 of a pid namespace ignores SIGKILL sent from inside (`kill -9 $$` exits 0, as under Docker):
        // the signal comes from the host
        var started = daemon.docker("run", "-d", "--name", "killed", "busybox", "sleep", "60");
        assertThat(started.exit()).as(started.toString()).isZero();
        assertThat(daemon.docker("kill", "killed").exit()).isZero();
        var waited = daemon.docker("wait", "killed");
        assertThat(waited.out().trim()).as(waited.toString()).isEqualTo("137");
        assertThat(daemon.docker("rm", "killed").exit()).isZero();
    }

    @Test
    void psLogsInspectRmImagesAndVersionWork() throws Exception {
        var run = daemon.docker("run", "--name", "kept", "busybox", "sh", "-c", "echo out; echo err >&2");
        assertThat(run.exit()).as(run.toString()).isZero();

        var ps = daemon.docker("ps", "-a");
        assertThat(ps.out()).as(ps.toString()).contains("kept").contains("Exited (0)");
        var logs = daemon.docker("logs", "kept");
        assertThat(logs.out()).as(logs.toString()).isEqualTo("out\n");
        assertThat(logs.err()).as(logs.toString()).isEqualTo("err\n");
        var inspect = daemon.docker("inspect", "--format", "{{.State.ExitCode}} {{.Name}}", "kept");
        assertThat(inspect.out().trim()).as(inspect.toString()).isEqualTo("0 /kept");
        var rm = daemon.docker("rm", "kept");
        assertThat(rm.exit()).as(rm.toString()).isZero();
        assertThat(daemon.docker("ps", "-aq").out()).isBlank();

        var images = daemon.docker("images");
        assertThat(images.out()).as(images.toString()).contains("busybox");
        var version = daemon.docker("version");
        assertThat(version.exit()).as(version.toString()).isZero();
        assertThat(version.out()).as(version.toString()).contains("native-0.1");
    }

    @Test
    void stage2NamesItselfInVersionInfoAndErrors() throws Exception {
        var version = daemon.docker("version", "--format", "{{.Server.Platform.Name}} {{.Server.Version}}");
        assertThat(version.out().trim()).as(version.toString())
                .isEqualTo("rabbithole stage 2 (monolith, libcontainer) 0.1.0-stage2");
        var info = daemon.docker("info", "--format", "{{.ServerVersion}}");
        assertThat(info.out().trim()).as(info.toString()).isEqualTo("0.1.0-stage2");
        var client = daemon.client("version");
        assertThat(client.out()).as(client.toString()).contains("Client: rabbithole stage 2").contains("0.1.0-stage2")
                .doesNotContain("stage1").doesNotContain("stage 1");
        var refused = daemon.client("run", "--rm", "--pid", "host", "busybox", "true");
        assertThat(refused.exit()).as(refused.toString()).isEqualTo(125);
        assertThat(refused.err()).as(refused.toString())
                .contains("--pid (HostConfig.PidMode) is not supported by stage 2");
        var noImage = daemon.docker("run", "--rm", "alpine:3.19", "true");
        assertThat(noImage.err()).as(noImage.toString()).doesNotContain("stage 1").doesNotContain("stage1");
    }

    @Test
    void containersHaveASessionOfTheirOwn() throws Exception {
        var started = daemon.docker("run", "-d", "--name", "own-session", "busybox", "sleep", "60");
        assertThat(started.exit()).as(started.toString()).isZero();
        try {
            long pid = Long.parseLong(daemon.docker("inspect", "-f", "{{.State.Pid}}", "own-session").out().trim());
            assertThat(session(pid)).as("the terminal's Ctrl-C to the daemon's group must not reach the container")
                    .isNotEqualTo(session(daemon.pid()));
        } finally {
            daemon.docker("rm", "-f", "own-session");
        }
    }

    /** @return the session id of a process: field 6 of /proc/PID/stat (proc(5)) */
    static long session(long pid) throws java.io.IOException {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(fields[3]);
    }
}
