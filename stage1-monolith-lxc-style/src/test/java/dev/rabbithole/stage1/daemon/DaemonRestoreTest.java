package dev.rabbithole.stage1.daemon;

import dev.rabbithole.stage1.daemon.fakes.FakeImageStore;
import dev.rabbithole.stage1.daemon.fakes.FakeProcess;
import dev.rabbithole.stage1.daemon.fakes.FakeSecurity;
import dev.rabbithole.stage1.daemon.fakes.FakeStorageDriver;
import dev.rabbithole.stage1.daemon.fakes.ScriptedExecDriver;
import dev.rabbithole.stage1.execdriver.Command;
import dev.rabbithole.stage1.execdriver.ContainerProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Restore is the runtime's decision: stages 1 and 2's runtime says a container died with the daemon (DaemonTest);
 * a runtime that says it still runs (stage 3's, with containerd) gets it reattached: output, signals and exit.
 */
class DaemonRestoreTest {

    @TempDir
    Path root;

    /** A runtime whose containers outlive the daemon: restore hands back the process it started. */
    static final class SurvivingRuntime implements ContainerRuntime {
        final ScriptedExecDriver exec = new ScriptedExecDriver();
        final List<String> restored = new ArrayList<>();
        boolean liveRestore;
        boolean closed;

        @Override public ContainerProcess start(Command command) { return exec.start(command); }

        @Override
        public Restored restore(String containerId, Instant startedAt) {
            restored.add(containerId);
            return Restored.running(exec.last());
        }

        @Override public Path stateDir(String containerId) { return Path.of("/nonexistent", containerId); }
        @Override public List<String> explain(String containerId) { return List.of(); }
        @Override public boolean liveRestore() { return liveRestore; }
        @Override public void close() { closed = true; }
    }

    @Test
    void aContainerTheRuntimeSaysStillRunsIsReattached() throws Exception {
        FakeImageStore images = new FakeImageStore();
        FakeStorageDriver storage = new FakeStorageDriver(root.resolve("rootfs"));
        SurvivingRuntime runtime = new SurvivingRuntime();
        Daemon first = new Daemon(root, images, storage, runtime.exec, new FakeSecurity(), runtime);
        String id = first.create("survivor", ContainerConfig.of("busybox", "sleep"), null).id();
        first.start(id);
        FakeProcess process = runtime.exec.last();
        // the first daemon goes away without stopping it (it is not closed: close would kill it)

        Daemon second = new Daemon(root, images, storage, runtime.exec, new FakeSecurity(), runtime);
        try {
            assertThat(runtime.restored).containsExactly(id);
            Container c = second.inspect("survivor");
            assertThat(c.state().running()).isTrue();
            assertThat(c.state().pid()).isEqualTo(process.pid());

            CompletableFuture<Integer> exit = second.waitFor(id, WaitCondition.NEXT_EXIT);
            second.kill(id, "SIGTERM");
            assertThat(process.signals).containsExactly(15);
            assertThat(exit.get(10, TimeUnit.SECONDS)).isEqualTo(143);
            await().untilAsserted(() -> assertThat(second.inspect(id).state().exitCode()).isEqualTo(143));
            assertThat(storage.unmounts).contains(id);
        } finally {
            second.close();
        }
    }

    @Test
    void aLiveRestoreShutdownLeavesTheContainerRunningForTheNextDaemon() throws Exception {
        FakeImageStore images = new FakeImageStore();
        FakeStorageDriver storage = new FakeStorageDriver(root.resolve("rootfs"));
        SurvivingRuntime runtime = new SurvivingRuntime();
        runtime.liveRestore = true;
        Daemon first = new Daemon(root, images, storage, runtime.exec, new FakeSecurity(), runtime);
        String id = first.create("survivor", ContainerConfig.of("busybox", "sleep"), null).id();
        first.start(id);
        FakeProcess process = runtime.exec.last();

        first.close();                                  // dockerd --live-restore stops
        assertThat(process.signals).as("no signal at shutdown").isEmpty();
        assertThat(storage.unmounts).as("its rootfs stays mounted").doesNotContain(id);
        assertThat(runtime.closed).isTrue();

        Daemon second = new Daemon(root, images, storage, runtime.exec, new FakeSecurity(), runtime);
        try {
            assertThat(runtime.restored).containsExactly(id);
            assertThat(second.inspect(id).state().running()).as("the state on disk still says running").isTrue();
        } finally {
            runtime.liveRestore = false;
            second.close();
        }
        assertThat(process.signals).as("without live restore the shutdown kills it").containsExactly(9);
    }
}
