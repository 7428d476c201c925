package dev.rabbithole.stage2.libcontainer.container;

import dev.rabbithole.stage2.libcontainer.TestConfigs;
import dev.rabbithole.stage2.libcontainer.configs.ProcessConfig;
import dev.rabbithole.stage2.libcontainer.system.JnaSyscalls;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Create and start apart in one process, and the kinds of the lifecycle errors. */
class LifecycleRootTest extends RootContainerTests {

    private LinuxContainer.Options options() {
        return new LinuxContainer.Options(new JnaSyscalls(), CgroupApplier.HOST, InitCommand.current(),
                Duration.ofSeconds(30), LinuxContainer.Stdio.PIPES);
    }

    private LinuxContainer factoryCreate(String id, ProcessConfig p) throws ContainerException {
        LinuxContainer c = LinuxFactory.create(stateRoot, id, TestConfigs.config(id, rootfs, p), options());
        created.add(c);
        return c;
    }

    private static int indexOf(List<String> lines, String prefix) {
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).startsWith(prefix)) {
                return i;
            }
        }
        throw new AssertionError("no line starting with " + prefix + " in\n" + String.join("\n", lines));
    }

    private static ContainerException.Kind kindOf(Throwable t) {
        return ((ContainerException) t).kind();
    }

    @Test
    void aCreatedContainerWaitsAtItsGateUntilStart() throws Exception {
        String id = id();
        LinuxContainer c = factoryCreate(id, TestConfigs.sh("echo started; id -u"));
        CompletableFuture<String> out = drain(c.process().getInputStream());
        assertThat(c.state().status()).isEqualTo(Status.CREATED);
        assertThat(Files.readString(Path.of("/proc", Long.toString(c.pid()), "cmdline")))
                .contains(LinuxContainer.INIT_CLASS);
        assertThat(c.process().isAlive()).isTrue();
        assertThat(stateRoot.resolve(id).resolve(LinuxContainer.EXEC_FIFO)).exists();
        c.start();
        assertThat(c.waitFor()).isZero();
        assertThat(out.get()).isEqualTo("started\n0\n");
        // the transcript: the gate made by the parent, the init waiting at it after its setup, before execve
        List<String> lines = c.kernelCalls();
        int gate = indexOf(lines, "read(exec.fifo");
        assertThat(indexOf(lines, "mknod(\"$STATE/exec.fifo\"")).isLessThan(indexOf(lines, "write(init.sock, \"go\")"));
        assertThat(gate).isGreaterThan(indexOf(lines, "pivot_root(")).isLessThan(indexOf(lines, "execve("));
        assertThat(c.state().status()).isEqualTo(Status.STOPPED);
        c.destroy();
        assertThat(stateRoot.resolve(id)).doesNotExist();
        assertThat(cgroupsOf(List.of(id))).isEmpty();
        c.destroy(); // idempotent
    }

    @Test
    void errorsHaveKinds() throws Exception {
        String id = id();
        LinuxContainer c = factoryCreate(id, TestConfigs.sh("sleep 30"));
        assertThatThrownBy(() -> factoryCreate(id, TestConfigs.sh("true")))
                .satisfies(e -> assertThat(kindOf(e)).isEqualTo(ContainerException.Kind.EXISTS));
        assertThatThrownBy(() -> LinuxFactory.load(stateRoot, "nosuch", options()))
                .satisfies(e -> assertThat(kindOf(e)).isEqualTo(ContainerException.Kind.NOT_EXIST));
        c.start();
        assertThatThrownBy(c::start)
                .satisfies(e -> assertThat(kindOf(e)).isEqualTo(ContainerException.Kind.INCORRECT_STATUS));
        c.destroy();
        assertThatThrownBy(() -> c.signal(15))
                .satisfies(e -> assertThat(kindOf(e)).isEqualTo(ContainerException.Kind.INCORRECT_STATUS));
        String bad = id();
        assertThatThrownBy(() -> factoryCreate(bad, new ProcessConfig(List.of(), List.of(), "/", 0, 0, List.of())))
                .satisfies(e -> assertThat(kindOf(e)).isEqualTo(ContainerException.Kind.INVALID_CONFIG));
        String noCwd = id();
        assertThatThrownBy(() -> factoryCreate(noCwd,
                new ProcessConfig(List.of("true"), List.of("PATH=/bin"), "/no/such/dir", 0, 0, List.of())))
                .satisfies(e -> {
                    ContainerException ce = (ContainerException) e;
                    assertThat(ce.kind()).isEqualTo(ContainerException.Kind.INIT_FAILED);
                    assertThat(ce.failedCall()).isEqualTo("chdir");
                    assertThat(ce.errno()).isEqualTo(2);
                });
        assertThat(stateRoot.resolve(noCwd)).doesNotExist();
        assertThat(cgroupsOf(List.of(id, bad, noCwd))).isEmpty();
    }
}
