package dev.rabbithole.stage2.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rabbithole.stage1.daemon.ContainerRuntime;
import dev.rabbithole.stage1.daemon.Daemon;
import dev.rabbithole.stage1.daemon.DaemonMain;
import dev.rabbithole.stage1.daemon.ExecDriverRuntime;
import dev.rabbithole.stage1.daemon.ExecSpec;
import dev.rabbithole.stage1.daemon.SecurityResolver;
import dev.rabbithole.stage1.errdefs.InvalidParameterException;
import dev.rabbithole.stage1.errdefs.SystemException;
import dev.rabbithole.stage1.execdriver.Command;
import dev.rabbithole.stage1.execdriver.ContainerProcess;
import dev.rabbithole.stage1.image.LocalImageStore;
import dev.rabbithole.stage1.storage.OverlayDriver;
import dev.rabbithole.stage2.execdriver.NativeExecDriver;
import dev.rabbithole.testsupport.HostFiles;
import dev.rabbithole.testsupport.JarDaemon;
import dev.rabbithole.testsupport.JarDaemon.Result;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The exec path of the shared daemon and API end to end, before stage 3's runtime exists: a stage-2 daemon (native
 * driver, in this JVM) whose {@link ContainerRuntime} also execs, by {@code nsenter(1) -t PID -a} into the
 * container's namespaces (a test stand-in: no cgroup, capabilities or seccomp of the container). The docker CLIs
 * (28.x first in PATH, Debian's 20.10 at {@code /usr/bin/docker}) drive {@code docker exec} with {@code -e},
 * {@code -u}, {@code -w}, {@code -i}, {@code -d} and exit codes, and {@code docker events} shows the exec events.
 * Skipped with a reason when not root or docker or nsenter are missing.
 */
class ExecThroughNsenterIT {

    @TempDir
    static Path dir;
    static Path execRoot;
    static DaemonMain.Running running;
    static String host;
    static final ObjectMapper JSON = new ObjectMapper();

    @BeforeAll
    static void start() throws Exception {
        assumeTrue(Stage2Daemon.isRoot(), "containers need root (run sudo ./rabbithole test)");
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/nsenter")), "nsenter (util-linux) is missing");
        boolean haveDocker;
        try {
            haveDocker = JarDaemon.exec(List.of("docker", "--version")).exit() == 0;
        } catch (IOException e) {
            haveDocker = false;
        }
        assumeTrue(haveDocker, "the docker CLI is not installed");
        execRoot = shortRunDir();                       // the init's socket path must fit in 107 bytes
        Path data = dir.resolve("data");
        NativeExecDriver driver = new NativeExecDriver(execRoot, 0);
        ContainerRuntime runtime = new NsenterRuntime(new ExecDriverRuntime(driver, data.resolve("containers")::resolve));
        Daemon daemon = new Daemon(data, new LocalImageStore(data.resolve("image")),
                new OverlayDriver(data.resolve("overlay2")), driver, SecurityResolver.DEFAULT, runtime);
        Path socket = dir.resolve("d.sock");
        running = DaemonMain.start(daemon, socket);
        host = "unix://" + socket;
        Result box = docker("run", "-d", "--name", "box", "-e", "A=container", "-w", "/tmp", "busybox", "sleep", "300");
        assertThat(box.exit()).as(box.toString()).isZero();
    }

    @AfterAll
    static void stop() throws Exception {
        if (running != null) {
            docker("rm", "-f", "box");
            running.close();
            HostFiles.deleteRecursively(dir.resolve("data").resolve("image").resolve("layers"));
        }
        if (execRoot != null) {
            HostFiles.deleteRecursively(execRoot);
        }
    }

    /** {@code /run/rhx-XXXXXX}. */
    static Path shortRunDir() throws IOException {
        java.util.Random random = new java.util.Random();
        for (int i = 0; i < 100; i++) {
            try {
                return Files.createDirectory(Path.of("/run", String.format("rhx-%06x", random.nextInt(1 << 24))));
            } catch (java.nio.file.FileAlreadyExistsException taken) {
                // another name
            }
        }
        throw new IOException("no free name under /run");
    }

    static Result docker(String... args) throws Exception {
        return cli("docker", Path.of("/dev/null"), args);
    }

    static Result cli(String docker, Path stdin, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(docker, "-H", host));
        cmd.addAll(List.of(args));
        return JarDaemon.exec(cmd, stdin);
    }

    static List<String> clis() {
        List<String> clis = new ArrayList<>(List.of("docker"));
        if (Files.isExecutable(Path.of("/usr/bin/docker"))) {
            clis.add("/usr/bin/docker");
        }
        return clis;
    }

    @Test
    void execJoinsTheContainer_withItsEnvThenTheExecs_itsWorkingDirectory_andTheExitCode() throws Exception {
        for (String docker : clis()) {
            Result r = cli(docker, Path.of("/dev/null"), "exec", "-e", "B=exec", "box", "sh", "-c",
                    "echo $A $B; pwd; tr '\\0' ' ' < /proc/1/cmdline; echo; exit 3");
            assertThat(r.exit()).as(docker + ": " + r).isEqualTo(3);
            assertThat(r.out()).as(docker + ": " + r).isEqualTo("container exec\n/tmp\nsleep 300 \n");
            Result as = cli(docker, Path.of("/dev/null"), "exec", "-u", "1000:1000", "-w", "/", "box", "sh", "-c",
                    "id -u; id -g; pwd");
            assertThat(as.out()).as(docker + ": " + as).isEqualTo("1000\n1000\n/\n");
        }
    }

    @Test
    void execDashIGetsPipedInputAndDashDRunsInTheBackground() throws Exception {
        Path in = Files.createTempFile(dir, "in", ".txt");
        Files.writeString(in, "piped\n");
        for (String docker : clis()) {
            Result r = cli(docker, in, "exec", "-i", "box", "cat");
            assertThat(r.exit()).as(docker + ": " + r).isZero();
            assertThat(r.out()).as(docker + ": " + r).isEqualTo("piped\n");
        }
        Result d = docker("exec", "-d", "box", "sh", "-c", "echo made > /tmp/marker");
        assertThat(d.exit()).as(d.toString()).isZero();
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
                .until(() -> docker("exec", "box", "cat", "/tmp/marker").out().equals("made\n"));
    }

    @Test
    void ourClientsExecDoesTheSame() throws Exception {
        List<String> client = List.of("java", "-jar", Stage2Daemon.JAR.toString(), "-H", host);
        List<String> cmd = new ArrayList<>(client);
        cmd.addAll(List.of("exec", "-e", "B=exec", "-u", "1000", "-w", "/", "box", "sh", "-c",
                "echo $A $B; id -u; pwd; exit 7"));
        Result r = JarDaemon.exec(cmd);
        assertThat(r.exit()).as(r.toString()).isEqualTo(7);
        assertThat(r.out()).as(r.toString()).isEqualTo("container exec\n1000\n/\n");
        Path in = Files.createTempFile(dir, "in", ".txt");
        Files.writeString(in, "from our client\n");
        List<String> cat = new ArrayList<>(client);
        cat.addAll(List.of("exec", "-i", "box", "cat"));
        Result piped = JarDaemon.exec(cat, in);
        assertThat(piped.out()).as(piped.toString()).isEqualTo("from our client\n");
        List<String> missing = new ArrayList<>(client);
        missing.addAll(List.of("exec", "nosuch", "true"));
        Result none = JarDaemon.exec(missing);
        assertThat(none.exit()).isEqualTo(1);
        assertThat(none.err()).as(none.toString()).contains("Error response from daemon: No such container: nosuch");
    }

    @Test
    void errorsAreDockers() throws Exception {
        for (String docker : clis()) {
            Result missing = cli(docker, Path.of("/dev/null"), "exec", "nosuch", "true");
            assertThat(missing.exit()).isEqualTo(1);
            assertThat(missing.err()).as(docker + ": " + missing).contains("No such container: nosuch");
        }
        Result stopped = docker("create", "--name", "stopped", "busybox", "true");
        assertThat(stopped.exit()).as(stopped.toString()).isZero();
        try {
            Result r = docker("exec", "stopped", "true");
            assertThat(r.exit()).isEqualTo(1);
            assertThat(r.err()).as(r.toString()).contains("Error response from daemon: Container ")
                    .contains(" is not running");
        } finally {
            docker("rm", "stopped");
        }
    }

    @Test
    void dockerEventsShowTheExecEvents() throws Exception {
        Instant now = Instant.now();
        String since = now.getEpochSecond() + "." + String.format("%09d", now.getNano());
        assertThat(docker("exec", "box", "sh", "-c", "exit 5").exit()).isEqualTo(5);
        long until = Instant.now().getEpochSecond() + 1;
        Result events = docker("events", "--since", since, "--until", Long.toString(until),
                "--filter", "container=box", "--format", "{{json .}}");
        List<JsonNode> lines = new ArrayList<>();
        for (String l : events.out().split("\n")) {
            lines.add(JSON.readTree(l));
        }
        assertThat(lines).as(events.toString()).extracting(e -> e.get("Action").asText())
                .containsExactly("exec_create: sh -c exit 5", "exec_start: sh -c exit 5", "exec_die");
        JsonNode die = lines.get(2).get("Actor").get("Attributes");
        assertThat(die.get("exitCode").asText()).isEqualTo("5");
        assertThat(die.get("execID").asText()).isEqualTo(lines.get(0).get("Actor").get("Attributes").get("execID").asText());
    }

    /** The native driver's runtime, plus exec by nsenter(1) into a running container's namespaces. */
    static final class NsenterRuntime implements ContainerRuntime {
        private final ContainerRuntime inner;
        private final Map<String, ContainerProcess> started = new ConcurrentHashMap<>();

        NsenterRuntime(ContainerRuntime inner) {
            this.inner = inner;
        }

        @Override
        public ContainerProcess start(Command command) {
            ContainerProcess p = inner.start(command);
            started.put(command.id(), p);
            return p;
        }

        @Override
        public ContainerProcess exec(String containerId, String execId, ExecSpec spec) {
            ContainerProcess container = started.get(containerId);
            if (container == null) {
                throw new SystemException("not started here: " + containerId);
            }
            List<String> cmd = new ArrayList<>(List.of("/usr/bin/nsenter", "-t", Long.toString(container.pid()), "-a"));
            if (!spec.user().isEmpty()) {
                String[] ug = spec.user().split(":");
                if (!ug[0].matches("[0-9]+") || (ug.length > 1 && !ug[1].matches("[0-9]+"))) {
                    throw new InvalidParameterException("this test runtime takes numeric users only: " + spec.user());
                }
                cmd.addAll(List.of("-S", ug[0], "-G", ug.length > 1 ? ug[1] : ug[0]));
            }
            // nsenter's --wd=DIR opens DIR on the host before it enters: change directory inside instead
            cmd.addAll(List.of("-r", "-w", "--", "/bin/sh", "-c", "cd -- \"$0\" && exec \"$@\"", spec.workingDir()));
            cmd.addAll(spec.cmd());
            ProcessBuilder pb = new ProcessBuilder(cmd);
            pb.environment().clear();
            for (String kv : spec.env()) {
                int eq = kv.indexOf('=');
                pb.environment().put(kv.substring(0, eq), kv.substring(eq + 1));
            }
            if (!spec.openStdin()) {
                pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
            }
            Process p;
            try {
                p = pb.start();
            } catch (IOException e) {
                throw new SystemException("nsenter: " + e.getMessage(), e);
            }
            return new ContainerProcess() {
                @Override public long pid() { return p.pid(); }
                @Override public InputStream stdout() { return p.getInputStream(); }
                @Override public InputStream stderr() { return p.getErrorStream(); }
                @Override public void signal(int signal) { p.destroyForcibly(); }
                @Override public int waitFor() throws InterruptedException { return p.waitFor(); }
                @Override public OutputStream stdin() { return spec.openStdin() ? p.getOutputStream() : null; }
            };
        }

        @Override public Restored restore(String containerId, Instant startedAt) { return inner.restore(containerId, startedAt); }
        @Override public Path stateDir(String containerId) { return inner.stateDir(containerId); }
        @Override public List<String> explain(String containerId) { return inner.explain(containerId); }
        @Override public boolean supports(Command.Stdio stdio) { return inner.supports(stdio); }
        @Override public void close() { inner.close(); }
    }
}
