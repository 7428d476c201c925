package dev.rabbithole.stage2.libcontainer.container;

import dev.rabbithole.stage2.libcontainer.TestConfigs;
import dev.rabbithole.stage2.libcontainer.configs.ContainerConfig;
import dev.rabbithole.stage2.libcontainer.configs.ProcessConfig;
import dev.rabbithole.stage2.libcontainer.system.JnaSyscalls;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The state on disk is the truth: a container created by one JVM is loaded, started and deleted by others
 * ({@link LifecycleCliMain}, a stand-in for a runc-like CLI), as stage 3's {@code runc} will do. A created
 * container waits at its start gate with its workload not yet running; without a parent-death signal it
 * survives a kill -9 of the JVM that created it.
 */
class CrossProcessLifecycleRootTest extends RootContainerTests {
    private final List<Process> clis = new ArrayList<>();
    private final List<String> ids = new ArrayList<>();

    @AfterEach
    void noLeftovers() throws Exception {
        for (Process p : clis) {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
        for (String id : ids) {
            LinuxContainer.cleanup(id, stateRoot); // idempotent: what a failed case left
        }
    }

    private Process cli(String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), LifecycleCliMain.class.getName()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        clis.add(p);
        return p;
    }

    /** Runs one operation to its end; returns its last line. */
    private String run(String... args) throws Exception {
        Process p = cli(args);
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("%s: %s", String.join(" ", args), out).isZero();
        String[] lines = out.split("\n");
        return lines[lines.length - 1];
    }

    /** Runs one operation that must fail; returns its last line. */
    private String runFailing(String... args) throws Exception {
        Process p = cli(args);
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("%s: %s", String.join(" ", args), out).isEqualTo(1);
        String[] lines = out.split("\n");
        return lines[lines.length - 1];
    }

    private static String cmdline(long pid) throws IOException {
        return new String(Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline")), StandardCharsets.UTF_8)
                .replace('\0', ' ').trim();
    }

    private LinuxContainer.Options options() {
        return new LinuxContainer.Options(new JnaSyscalls(), CgroupApplier.HOST, InitCommand.current(),
                Duration.ofSeconds(30), LinuxContainer.Stdio.PIPES);
    }

    @Test
    void createdByOneJvmStartedByAnotherDeletedByAThird() throws Exception {
        String id = id();
        ids.add(id);
        long mountsBefore = mountinfoLines();
        Process creator = cli("create", stateRoot.toString(), rootfs.toString(), id);
        String line = new BufferedReader(new InputStreamReader(creator.getInputStream(), StandardCharsets.UTF_8))
                .readLine();
        assertThat(line).as("the creating JVM's first line").startsWith("created ");
        long pid = Long.parseLong(line.substring("created ".length()));

        // created: the init waits at the gate, its workload not yet exec'd
        assertThat(cmdline(pid)).contains(LinuxContainer.INIT_CLASS).doesNotContain("sleep");
        ContainerState state = LinuxFactory.load(stateRoot, id, options()).state();
        assertThat(state.status()).isEqualTo(Status.CREATED);
        assertThat(state.pid()).isEqualTo(pid);
        assertThat(state.initStartTime()).isEqualTo(LinuxContainer.startTime(pid));
        assertThat(state.namespacePaths()).containsEntry("pid", "/proc/" + pid + "/ns/pid");
        assertThat(state.cgroupPaths()).isNotEmpty();
        assertThat(Files.readString(Path.of("/proc", Long.toString(pid), "status"))).contains("Threads:");

        // kill -9 of the creator: no parent-death signal, so the container stays, still at its gate
        creator.destroyForcibly();
        assertThat(creator.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(ContainerStatus.alive(pid, state.initStartTime())).isTrue();
        assertThat(run("state", stateRoot.toString(), id)).isEqualTo("CREATED");
        assertThat(cmdline(pid)).contains(LinuxContainer.INIT_CLASS);

        // started from a second JVM: the same process becomes the workload
        assertThat(run("start", stateRoot.toString(), id)).isEqualTo("RUNNING");
        assertThat(cmdline(pid)).isEqualTo("sleep 300");
        assertThat(Files.readAllLines(Path.of("/proc", Long.toString(pid), "status")))
                .anyMatch(l -> l.matches("Uid:\\s+65534\\s+65534\\s+65534\\s+65534"));
        assertThat(LinuxFactory.load(stateRoot, id, options()).state().status()).isEqualTo(Status.RUNNING);
        assertThat(stateRoot.resolve(id).resolve(LinuxContainer.EXEC_FIFO)).doesNotExist();
        assertThat(runFailing("start", stateRoot.toString(), id)).startsWith("error INCORRECT_STATUS");
        // deleted from a third JVM: nothing left
        assertThat(run("delete", stateRoot.toString(), id)).isEqualTo("DESTROYED");
        await().atMost(Duration.ofSeconds(10)).until(() -> !ContainerStatus.alive(pid, state.initStartTime()));
        assertThat(stateRoot.resolve(id)).doesNotExist();
        assertThat(cgroupsOf(List.of(id))).isEmpty();
        assertThat(mountinfoLines()).isEqualTo(mountsBefore);
        assertThat(run("delete", stateRoot.toString(), id)).isEqualTo("DESTROYED"); // idempotent
        assertThatThrownBy(() -> LinuxFactory.load(stateRoot, id, options()))
                .isInstanceOfSatisfying(ContainerException.class,
                        e -> assertThat(e.kind()).isEqualTo(ContainerException.Kind.NOT_EXIST));
    }
}
