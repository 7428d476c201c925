package dev.rabbithole.stage2.libcontainer.cgroups;

import dev.rabbithole.stage2.libcontainer.configs.Cgroup;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static dev.rabbithole.stage2.libcontainer.cgroups.CgroupFakeFsTest.HYBRID;
import static dev.rabbithole.stage2.libcontainer.cgroups.CgroupFakeFsTest.UNIFIED;
import static dev.rabbithole.stage2.libcontainer.cgroups.CgroupFakeFsTest.files;
import static dev.rabbithole.stage2.libcontainer.cgroups.CgroupFakeFsTest.read;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The freezer of each driver ({@code docker pause}) against the file contract of a fake cgroupfs: v1 writes
 * {@code freezer.state} and reads it back, v2 writes {@code cgroup.freeze} and waits for {@code frozen} in
 * {@code cgroup.events} (which the kernel, here the test, updates).
 */
class CgroupFreezerFakeFsTest {

    @TempDir
    Path root;

    private final Cgroup c1 = new Cgroup("rabbithole/c1", Cgroup.Resources.NONE);

    @Test
    void v1FreezeWritesFreezerStateAndReadsItBack() throws IOException {
        Path freezer = root.resolve("sys/fs/cgroup/freezer/rabbithole/c1");
        files(freezer, "freezer.state", "THAWED\n");
        files(root.resolve("sys/fs/cgroup/memory/rabbithole/c1"), "cgroup.procs", "");
        CgroupManager m = Cgroups.detect(c1, root, HYBRID);
        assertThat(m.frozen()).isFalse();
        m.freeze(true);
        assertThat(read(freezer.resolve("freezer.state"))).isEqualTo("FROZEN");
        assertThat(m.frozen()).isTrue();
        m.freeze(false);
        assertThat(read(freezer.resolve("freezer.state"))).isEqualTo("THAWED");
        assertThat(m.frozen()).isFalse();
    }

    @Test
    void v1WithoutAFreezerHierarchyIsAnError() throws IOException {
        files(root.resolve("sys/fs/cgroup/memory/rabbithole/c1"), "cgroup.procs", "");
        String noFreezer = HYBRID.lines().filter(l -> !l.contains("freezer")).reduce("", (a, b) -> a + b + "\n");
        CgroupManager m = Cgroups.detect(c1, root, noFreezer);
        assertThatThrownBy(() -> m.freeze(true)).isInstanceOf(CgroupException.class).hasMessageContaining("freezer");
    }

    @Test
    void v2FreezeWritesCgroupFreezeAndWaitsForTheEvent() throws Exception {
        Path cg = root.resolve("sys/fs/cgroup/rabbithole/c1");
        files(cg, "cgroup.freeze", "0\n", "cgroup.events", "populated 1\nfrozen 0\n");
        CgroupManager m = Cgroups.detect(c1, root, UNIFIED);
        assertThat(m.frozen()).isFalse();
        // the "kernel": once cgroup.freeze says 1, report the cgroup frozen a little later
        Thread kernel = new Thread(() -> {
            try {
                while (!read(cg.resolve("cgroup.freeze")).equals("1")) {
                    Thread.sleep(5);
                }
                Thread.sleep(50);
                Files.writeString(cg.resolve("cgroup.events"), "populated 1\nfrozen 1\n");
            } catch (IOException | InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        kernel.start();
        m.freeze(true);
        kernel.join();
        assertThat(read(cg.resolve("cgroup.freeze"))).isEqualTo("1");
        assertThat(m.frozen()).isTrue();
        Files.writeString(cg.resolve("cgroup.events"), "populated 1\nfrozen 0\n");
        m.freeze(false);
        assertThat(read(cg.resolve("cgroup.freeze"))).isEqualTo("0");
        assertThat(m.frozen()).isFalse();
    }
}
