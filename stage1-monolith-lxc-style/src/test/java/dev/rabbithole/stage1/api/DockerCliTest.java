package dev.rabbithole.stage1.api;

import dev.rabbithole.stage1.daemon.Daemon;
import dev.rabbithole.stage1.daemon.DaemonMain;
import dev.rabbithole.stage1.daemon.fakes.FakeImageStore;
import dev.rabbithole.stage1.daemon.fakes.FakeSecurity;
import dev.rabbithole.stage1.daemon.fakes.FakeStorageDriver;
import dev.rabbithole.stage1.daemon.fakes.HostExecDriver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The real docker CLI against our API server. The exec driver runs commands on the host (no isolation):
 * this checks the protocol (ping negotiation, create, attach hijack, wait, start, logs, ps, inspect, rm),
 * not containers; the LXC-driven version of this test belongs to the integration of the real drivers.
 */
class DockerCliTest {

    @TempDir
    Path root;

    DaemonMain.Running running;
    Path socket;
    Path config;

    @BeforeEach
    void start() throws IOException {
        Assumptions.assumeTrue(docker() != null, "the docker CLI is not installed");
        socket = root.resolve("docker.sock");
        config = Files.createDirectories(root.resolve("cli-config"));
        Daemon daemon = new Daemon(root.resolve("data"), new FakeImageStore(),
                new FakeStorageDriver(root.resolve("rootfs")), new HostExecDriver(), new FakeSecurity());
        running = DaemonMain.start(daemon, socket);
    }

    @AfterEach
    void stop() {
        if (running != null) {
            running.close();
        }
    }

    static String docker() {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
            Path p = Path.of(dir, "docker");
            if (Files.isExecutable(p)) {
                return p.toString();
            }
        }
        return null;
    }

    record Result(int exit, String out, String err) { }

    Result docker(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(docker(), "--config", config.toString(), "-H", "unix://" + socket));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().remove("DOCKER_HOST");
        pb.environment().remove("DOCKER_CONTEXT");
        Path out = root.resolve("out.txt");
        Path err = root.resolve("err.txt");
        Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("docker " + String.join(" ", args) + " hung; stderr: "
                    + Files.readString(err, StandardCharsets.UTF_8));
        }
        return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                Files.readString(err, StandardCharsets.UTF_8));
    }

    @Test
    void versionAndInfo() throws Exception {
        Result version = docker("version");
        assertThat(version.exit()).as(version.err()).isZero();
        assertThat(version.out()).contains(Daemon.VERSION).contains("1.41");

        Result info = docker("info");
        assertThat(info.exit()).as(info.out() + info.err()).isZero();
        assertThat(info.out()).contains("Server Version: " + Daemon.VERSION).contains("Storage Driver: fake");
    }

    @Test
    void runRmPsLogsInspect() throws Exception {
        Result run = docker("run", "--rm", "busybox", "echo", "hello");
        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(run.out()).isEqualTo("hello\n");

        Result failing = docker("run", "--name", "failing", "busybox", "sh", "-c", "echo out; echo err >&2; exit 3");
        assertThat(failing.exit()).isEqualTo(3);
        assertThat(failing.out()).isEqualTo("out\n");
        assertThat(failing.err()).contains("err\n");

        Result ps = docker("ps", "-a");
        assertThat(ps.exit()).as(ps.err()).isZero();
        assertThat(ps.out()).contains("failing").contains("Exited (3)").doesNotContain("echo hello");

        Result logs = docker("logs", "failing");
        assertThat(logs.exit()).as(logs.err()).isZero();
        assertThat(logs.out()).isEqualTo("out\n");
        assertThat(logs.err()).isEqualTo("err\n");

        Result inspect = docker("inspect", "--format", "{{.State.ExitCode}} {{.Name}}", "failing");
        assertThat(inspect.exit()).as(inspect.err()).isZero();
        assertThat(inspect.out().trim()).isEqualTo("3 /failing");

        Result detached = docker("run", "-d", "--name", "sleeper", "busybox", "sleep", "60");
        assertThat(detached.exit()).as(detached.err()).isZero();
        assertThat(detached.out().trim()).matches("[0-9a-f]{64}");
        Result rm = docker("rm", "sleeper");
        assertThat(rm.exit()).isNotZero();
        assertThat(rm.err()).contains("cannot remove a running container");
        Result stop = docker("stop", "-t", "1", "sleeper");
        assertThat(stop.exit()).as(stop.err()).isZero();
        assertThat(docker("rm", "sleeper", "failing").exit()).isZero();
        assertThat(docker("ps", "-a", "-q").out()).isBlank();

        Result missing = docker("inspect", "nothing");
        assertThat(missing.exit()).isNotZero();
        assertThat(missing.err()).contains("No such object: nothing");

        Result images = docker("images");
        assertThat(images.exit()).as(images.err()).isZero();
        assertThat(images.out()).contains("busybox");
    }

    @Test
    void flagsStage1CannotHonourAreRefusedNotIgnored() throws Exception {
        Result stdin = docker("run", "-i", "--rm", "busybox", "cat");
        assertThat(stdin.exit()).as(stdin.err()).isEqualTo(125);
        assertThat(stdin.err()).contains("Error response from daemon: stage 1 does not support stdin (-i) or a TTY (-t): ");
        Result volume = docker("run", "--rm", "-v", "/tmp:/x", "busybox", "true");
        assertThat(volume.exit()).isEqualTo(125);
        assertThat(volume.err()).contains("-v/--volume (HostConfig.Binds) is not supported by stage 1");
        // this daemon has no bridge (networking off, as dockerd's --bridge=none): nothing to publish on
        Result publish = docker("run", "--rm", "-p", "8080:80", "busybox", "true");
        assertThat(publish.err()).contains("conflicting options: port publishing and the container type network mode");
        Result network = docker("run", "--rm", "--network", "nosuch", "busybox", "true");
        assertThat(network.err()).contains("network nosuch not found");
        Result restart = docker("run", "-d", "--restart", "always", "busybox", "true");
        assertThat(restart.err()).contains("--restart always (HostConfig.RestartPolicy) is not supported by stage 1");
        Result pid = docker("run", "--rm", "--pid", "host", "busybox", "true");
        assertThat(pid.err()).contains("--pid (HostConfig.PidMode) is not supported by stage 1");
        assertThat(docker("ps", "-a", "-q").out()).as("nothing was created").isBlank();

        Result plain = docker("run", "--rm", "--network", "none", "-e", "RABBITHOLE_SURELY_UNSET", "busybox", "sh", "-c",
                "echo ${RABBITHOLE_SURELY_UNSET-unset}");
        assertThat(plain.exit()).as(plain.err()).isZero();
        assertThat(plain.out()).isEqualTo("unset\n");
    }

    @Test
    void psFiltersAndLast() throws Exception {
        assertThat(docker("run", "--name", "web-1", "busybox", "sh", "-c", "exit 3").exit()).isEqualTo(3);
        assertThat(docker("run", "-d", "--name", "db", "busybox", "sleep", "60").exit()).isZero();
        assertThat(docker("create", "--name", "web-2", "busybox", "true").exit()).isZero();

        assertThat(names("ps", "-a", "--filter", "name=web")).containsExactly("web-2", "web-1");
        assertThat(names("ps", "--filter", "status=exited")).containsExactly("web-1");
        assertThat(names("ps", "-a", "--filter", "exited=3")).containsExactly("web-1");
        assertThat(names("ps", "-n", "2")).containsExactly("web-2", "db");
        assertThat(names("ps", "-l")).containsExactly("web-2");
        assertThat(names("ps")).containsExactly("db");
        Result bad = docker("ps", "--filter", "foo=bar");
        assertThat(bad.exit()).isNotZero();
        assertThat(bad.err()).contains("invalid filter 'foo'");
        assertThat(docker("rm", "-f", "db", "web-1", "web-2").exit()).isZero();
    }

    List<String> names(String... args) throws Exception {
        String[] all = new String[args.length + 2];
        System.arraycopy(args, 0, all, 0, args.length);
        all[args.length] = "--format";
        all[args.length + 1] = "{{.Names}}";
        Result r = docker(all);
        assertThat(r.exit()).as(r.err()).isZero();
        return r.out().isBlank() ? List.of() : List.of(r.out().strip().split("\n"));
    }
}
