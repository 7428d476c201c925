package dev.rabbithole.stage2.libcontainer.container;

import dev.rabbithole.stage2.libcontainer.TestConfigs;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * In stage 2 a killed daemon takes its containers with it. A child JVM starts a container,
 * the test SIGKILLs that JVM, and the workload dies of its PR_SET_PDEATHSIG; {@link LinuxContainer#cleanup}
 * then removes the cgroup and the state the dead JVM left.
 */
class DaemonDeathRootTest extends RootContainerTests {

    @Test
    void aKilledParentJvmTakesItsContainerWithIt() throws Exception {
        String id = id();
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), ContainerHolderMain.class.getName(),
                stateRoot.toString(), rootfs.toString(), id));
        Process daemon = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        long workload;
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(daemon.getInputStream(), StandardCharsets.UTF_8));
            String line = out.readLine();
            assertThat(line).as("the stand-in daemon's first line").startsWith("started ");
            workload = Long.parseLong(line.substring("started ".length()));
            assertThat(Files.readAllLines(Path.of("/proc", Long.toString(workload), "status")))
                    .anyMatch(l -> l.matches("Uid:\\s+65534\\s+65534\\s+65534\\s+65534"))
                    .anyMatch(l -> l.matches("Name:\\s+sleep"));
            assertThat(testCgroups()).anyMatch(p -> p.endsWith(id));
        } finally {
            daemon.destroyForcibly(); // SIGKILL: no shutdown hook, nothing tidies up
            assertThat(daemon.waitFor(10, TimeUnit.SECONDS)).isTrue();
        }
        long pid = workload;
        // the workload (exec'd after PR_SET_PDEATHSIG: it survived execve) dies with its parent thread
        await().atMost(Duration.ofSeconds(10))
                .until(() -> !Files.exists(Path.of("/proc", Long.toString(pid))));
        // what the dead daemon left: the state directory and the (now empty) cgroup
        assertThat(stateRoot.resolve(id)).isDirectory();
        assertThat(LinuxContainer.list(stateRoot)).containsExactly(id);
        assertThat(testCgroups()).anyMatch(p -> p.endsWith(id));

        LinuxContainer.cleanup(id, stateRoot);
        assertThat(stateRoot.resolve(id)).doesNotExist();
        assertThat(testCgroups()).noneMatch(p -> p.endsWith(id));
        LinuxContainer.cleanup(id, stateRoot); // idempotent
    }

    @Test
    void cleanupAlsoKillsAWorkloadThatIsStillThere() throws Exception {
        LinuxContainer c = create(TestConfigs.withResources(TestConfigs.config(id(), rootfs, TestConfigs.sh("sleep 300")),
                new dev.rabbithole.stage2.libcontainer.configs.Cgroup.Resources(0, 0, 0, 0, 0, null, null, 50)));
        c.start();
        long pid = c.process().pid();
        LinuxContainer.cleanup(c.id(), stateRoot);
        assertThat(Files.exists(Path.of("/proc", Long.toString(pid)))).isFalse();
        assertThat(c.stateDir()).doesNotExist();
        assertThat(testCgroups()).noneMatch(p -> p.endsWith(c.id()));
    }
}
