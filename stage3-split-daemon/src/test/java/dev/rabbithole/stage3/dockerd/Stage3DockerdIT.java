package dev.rabbithole.stage3.dockerd;

import dev.rabbithole.testsupport.HostLeaks;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import org.junit.jupiter.api.BeforeAll;

/**
 * Our dockerd on Debian's containerd 1.6, with Debian's {@code containerd-shim-runc-v2} and runc (issue case 5d:
 * our OCI spec and rootfs are accepted by the real containerd and runc). The cases are {@link DockerdCases}'.
 * Needs root, containerd, runc and the docker CLI.
 */
class Stage3DockerdIT extends DockerdCases {

    @BeforeAll
    static void start() throws Exception {
        DockerdFixture.assumeCanRun();
        fx = new DockerdFixture();
        fx.startDebianContainerd();
        fx.startDockerd();
    }

    @AfterAll
    static void stop() throws Exception {
        if (fx != null) {
            System.out.println("dockerd's log:\n" + fx.log());
            fx.close();
        }
    }

    @Test
    void aKilledShimKillsItsContainerWhichIsReportedExitedAndLeavesNothing() throws Exception {
        // containerd 1.6 notices the shim's ttrpc connection close (cleanupAfterDeadShim): it runs the shim
        // binary's delete (runc delete --force), publishes the exit (137) and answers Wait; our containerd does
        // that only at Tasks/Delete, so this case runs on Debian's
        String id = docker("run", "-d", "busybox", "sleep", "300").out().trim();
        long pid = Long.parseLong(docker("inspect", "-f", "{{.State.Pid}}", id).out().trim());
        ProcessHandle shim = ProcessHandle.of(TreeMain.ppid(pid)).orElseThrow();
        assertThat(TreeMain.cmdline(shim.pid())).contains("containerd-shim-runc-v2").contains(id);
        shim.destroyForcibly();
        await().atMost(Duration.ofSeconds(30)).until(() -> docker("inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}",
                id).out().equals("exited 137\n"));
        await().atMost(Duration.ofSeconds(10)).until(() -> ProcessHandle.of(pid).isEmpty());
        assertThat(docker("rm", id).exit()).isZero();
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            assertThat(HostLeaks.mounts(id)).isEmpty();
            assertThat(HostLeaks.cgroups(id)).isEmpty();
            assertThat(HostLeaks.processes(id)).isEmpty();
            assertThat(HostLeaks.files(fx.execRoot, id)).isEmpty();
        });
    }

    @Test
    void aKilledContainerdLeavesTheContainerRunningAndDockerdReconnects() throws Exception {
        String id = docker("run", "-d", "busybox", "sh", "-c",
                "trap 'echo bye; exit 3' TERM; while true; do echo tick; sleep 0.2; done").out().trim();
        long pid = Long.parseLong(docker("inspect", "-f", "{{.State.Pid}}", id).out().trim());
        fx.containerd.destroyForcibly();                         // kill -9 Debian's containerd
        fx.containerd.waitFor();
        java.nio.file.Files.deleteIfExists(fx.containerdSocket);
        assertThat(ProcessHandle.of(pid)).as("the container lives on under its shim").isPresent();
        fx.startDebianContainerd();                               // same roots: it finds the shim again
        // dockerd's Wait and its next calls reconnect: stop goes through the new containerd, the exit comes back
        await().atMost(Duration.ofSeconds(30)).until(() -> docker("stop", "-t", "5", id).exit() == 0);
        assertThat(docker("inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", id).out()).isEqualTo("exited 3\n");
        assertThat(docker("logs", id).out()).endsWith("tick\nbye\n");
        assertThat(docker("rm", id).exit()).isZero();
    }
}
