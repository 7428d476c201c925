package dev.rabbithole.stage2.libcontainer.container;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The status is derived from the kernel and the state directory, not trusted from state.json. No root needed. */
class ContainerStatusTest {
    @TempDir
    Path stateDir;

    private final long self = ProcessHandle.current().pid();
    private final long selfStart = LinuxContainer.startTime(self);

    @Test
    void aPidWithAnotherStartTimeIsNotTheContainer() {
        assertThat(ContainerStatus.alive(self, selfStart)).isTrue();
        assertThat(ContainerStatus.alive(self, selfStart + 1)).isFalse();
        assertThat(ContainerStatus.derive(Status.RUNNING, self, selfStart + 1, stateDir, Map.of()))
                .isEqualTo(Status.STOPPED);
    }

    @Test
    void theGateMakesItCreatedAndTheFreezerPaused() throws Exception {
        assertThat(ContainerStatus.derive(Status.CREATING, 0, -1, stateDir, Map.of())).isEqualTo(Status.CREATING);
        assertThat(ContainerStatus.derive(Status.CREATING, self, selfStart, stateDir, Map.of()))
                .isEqualTo(Status.CREATING);
        Files.createFile(stateDir.resolve(LinuxContainer.EXEC_FIFO));
        assertThat(ContainerStatus.derive(Status.CREATED, self, selfStart, stateDir, Map.of())).isEqualTo(Status.CREATED);
        Files.delete(stateDir.resolve(LinuxContainer.EXEC_FIFO));
        Path v1 = Files.createDirectories(stateDir.resolve("freezer"));
        Path v2 = Files.createDirectories(stateDir.resolve("unified"));
        Files.writeString(v1.resolve("freezer.state"), "THAWED\n");
        assertThat(ContainerStatus.derive(Status.CREATED, self, selfStart, stateDir, Map.of("freezer", v1.toString())))
                .isEqualTo(Status.RUNNING);
        Files.writeString(v1.resolve("freezer.state"), "FROZEN\n");
        assertThat(ContainerStatus.derive(Status.RUNNING, self, selfStart, stateDir, Map.of("freezer", v1.toString())))
                .isEqualTo(Status.PAUSED);
        Files.writeString(v2.resolve("cgroup.events"), "populated 1\nfrozen 1\n");
        assertThat(ContainerStatus.derive(Status.RUNNING, self, selfStart, stateDir, Map.of("unified", v2.toString())))
                .isEqualTo(Status.PAUSED);
    }
}
