package dev.rabbithole.stage2.libcontainer.container;

import dev.rabbithole.stage2.libcontainer.TestConfigs;
import dev.rabbithole.stage2.libcontainer.configs.Cgroup;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** 50 create/start/wait/destroy cycles leave no mount, cgroup, process, thread or file behind (root). */
class LeftoversRootTest extends RootContainerTests {

    @Test
    void fiftyCyclesLeaveNothingBehind() throws Exception {
        long mounts = mountinfoLines();
        java.util.List<String> ids = new java.util.ArrayList<>();
        long children = children();
        long threads = spawnerThreads();
        for (int i = 0; i < 50; i++) {
            String id = id();
            ids.add(id);
            LinuxContainer c = create(TestConfigs.withResources(TestConfigs.config(id, rootfs,
                    TestConfigs.sh("echo $$ > /dev/null")), new Cgroup.Resources(64L << 20, 0, 0, 0, 0, null, null, 20)));
            c.start();
            assertThat(c.waitFor()).isZero();
            c.destroy();
            created.remove(c);
        }
        assertThat(mountinfoLines()).isEqualTo(mounts);
        assertThat(cgroupsOf(ids)).isEmpty();
        assertThat(stateDirs()).isZero();
        assertThat(children()).isEqualTo(children);
        // each spawner thread ends when its init exits
        await().atMost(Duration.ofSeconds(5)).until(() -> spawnerThreads() == threads);
        try (var files = java.nio.file.Files.walk(rootfs)) {
            assertThat(files.filter(p -> p.toString().contains(".oldroot") || p.getFileName().toString().equals("init.sock")))
                    .isEmpty();
        }
    }
}
