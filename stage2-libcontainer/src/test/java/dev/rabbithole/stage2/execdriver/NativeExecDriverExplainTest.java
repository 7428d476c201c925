package dev.rabbithole.stage2.execdriver;

import dev.rabbithole.stage2.libcontainer.container.CgroupApplier;
import dev.rabbithole.stage2.libcontainer.container.InitCommand;
import dev.rabbithole.stage2.libcontainer.system.RecordingSyscalls;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** What {@code GET /containers/{id}/explain} gets from the native driver, without root. */
class NativeExecDriverExplainTest {
    @TempDir
    Path state;

    private final NativeExecDriver driver = new NativeExecDriver(Path.of("/nonexistent-exec-root"),
            new RecordingSyscalls(), CgroupApplier.NONE, InitCommand.current());

    @Test
    void theDriverNamesItselfAndItsStateDirectory() {
        assertThat(driver.name()).isEqualTo("native-0.1");
        assertThat(driver.stateDirName()).isEqualTo("native");
    }

    @Test
    void explainReadsTheRecordedCallsOfTheLastStart() throws Exception {
        Files.writeString(state.resolve(NativeExecDriver.KERNEL_CALLS_FILE),
                "unshare(CLONE_NEWNS)  new mount namespace\npivot_root(\".\", \".\")  new root\n");
        assertThat(driver.explain("id", state)).containsExactly("unshare(CLONE_NEWNS)  new mount namespace",
                "pivot_root(\".\", \".\")  new root");
    }

    @Test
    void explainSaysWhyThereIsNothing() throws Exception {
        assertThat(driver.explain("id", state)).singleElement().asString().contains("has not started this container");
        Files.writeString(state.resolve(NativeExecDriver.KERNEL_CALLS_FILE), "");
        assertThat(driver.explain("id", state)).isEqualTo(List.of("libcontainer recorded no kernel calls for this start"));
    }
}
