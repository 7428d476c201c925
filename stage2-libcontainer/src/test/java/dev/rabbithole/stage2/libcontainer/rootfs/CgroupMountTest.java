package dev.rabbithole.stage2.libcontainer.rootfs;

import dev.rabbithole.stage2.libcontainer.configs.Mount;
import dev.rabbithole.stage2.libcontainer.system.RecordingSyscalls;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link CgroupMount} on a fake host (mountinfo text and cgroup directories under a temporary directory), with a
 * recording kernel interface: which mounts, binds and links it makes for cgroup v1 (as on a hybrid host) and v2.
 */
class CgroupMountTest {
    static final String V1 = """
            31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
            32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct
            35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
            39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
            40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
            41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
            """;
    static final String V2 = "30 23 0:27 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime - cgroup2 cgroup2 rw,nsdelegate\n";
    static final String CGROUP = "rabbithole/c1";

    @TempDir
    Path host;
    @TempDir
    Path rootfs;
    RecordingSyscalls sys = new RecordingSyscalls();

    /** As the native driver's template: Docker's /sys/fs/cgroup mount, {@code ro} unless privileged. */
    static Mount mount(boolean privileged) {
        return new Mount("cgroup", "/sys/fs/cgroup", "cgroup", privileged
                ? List.of("nosuid", "noexec", "nodev") : List.of("ro", "nosuid", "noexec", "nodev"));
    }

    @BeforeEach
    void rootfsHasSysFsCgroup() throws Exception {
        Files.createDirectories(rootfs.resolve("sys/fs/cgroup"));
    }

    @Test
    void v1TmpfsThenEachHierarchyTheContainerIsInBoundReadOnlyAtItsRoot() throws Exception {
        for (String h : List.of("cpu,cpuacct", "memory", "systemd", "unified")) {
            Files.createDirectories(host.resolve("sys/fs/cgroup/" + h + "/rabbithole/c1"));
        }   // pids: the container has no cgroup there, so it is not shown
        Files.setPosixFilePermissions(rootfs.resolve("sys/fs/cgroup"),
                java.nio.file.attribute.PosixFilePermissions.fromString("r-xr-xr-x"));

        new CgroupMount(sys, V1, host).mount(rootfs, mount(false), CGROUP);

        String t = rootfs.resolve("sys/fs/cgroup").toString();
        String h = host.resolve("sys/fs/cgroup").toString();
        String ro = "MS_RDONLY|MS_NOSUID|MS_NODEV|MS_NOEXEC|MS_REMOUNT|MS_BIND";
        assertThat(sys.signatures()).containsExactly(
                "mount(\"tmpfs\", \"" + t + "\", \"tmpfs\", MS_NOSUID|MS_NODEV|MS_NOEXEC, \"mode=755\")",
                "chmod(\"" + t + "\", 0555)",
                "mount(\"" + h + "/cpu,cpuacct/rabbithole/c1\", \"" + t + "/cpu,cpuacct\", NULL, MS_BIND|MS_REC, NULL)",
                "mount(NULL, \"" + t + "/cpu,cpuacct\", NULL, " + ro + ", NULL)",
                "symlink(\"cpu,cpuacct\", \"" + t + "/cpu\")",
                "symlink(\"cpu,cpuacct\", \"" + t + "/cpuacct\")",
                "mount(\"" + h + "/memory/rabbithole/c1\", \"" + t + "/memory\", NULL, MS_BIND|MS_REC, NULL)",
                "mount(NULL, \"" + t + "/memory\", NULL, " + ro + ", NULL)",
                "mount(\"" + h + "/systemd/rabbithole/c1\", \"" + t + "/systemd\", NULL, MS_BIND|MS_REC, NULL)",
                "mount(NULL, \"" + t + "/systemd\", NULL, " + ro + ", NULL)");
        assertThat(rootfs.resolve("sys/fs/cgroup/memory")).isDirectory();
        assertThat(rootfs.resolve("sys/fs/cgroup/pids")).doesNotExist();
    }

    @Test
    void privilegedBindsAreWritable() throws Exception {
        Files.createDirectories(host.resolve("sys/fs/cgroup/memory/rabbithole/c1"));
        new CgroupMount(sys, V1, host).mount(rootfs, mount(true), CGROUP);
        assertThat(sys.signatures()).contains("mount(NULL, \"" + rootfs.resolve("sys/fs/cgroup/memory")
                + "\", NULL, MS_NOSUID|MS_NODEV|MS_NOEXEC|MS_REMOUNT|MS_BIND, NULL)");
    }

    @Test
    void v2BindsTheContainersCgroupOfTheUnifiedHierarchy() throws Exception {
        Files.createDirectories(host.resolve("sys/fs/cgroup/rabbithole/c1"));
        new CgroupMount(sys, V2, host).mount(rootfs, mount(false), CGROUP);
        String t = rootfs.resolve("sys/fs/cgroup").toString();
        assertThat(sys.signatures()).containsExactly(
                "mount(\"" + host.resolve("sys/fs/cgroup/rabbithole/c1") + "\", \"" + t + "\", NULL, MS_BIND|MS_REC, NULL)",
                "mount(NULL, \"" + t + "\", NULL, MS_RDONLY|MS_NOSUID|MS_NODEV|MS_NOEXEC|MS_REMOUNT|MS_BIND, NULL)");
    }

    @Test
    void withoutACgroupOfItsOwnNothingAboveIsShown() throws Exception {
        Files.createDirectories(host.resolve("sys/fs/cgroup/memory/rabbithole/c1"));
        for (String none : new String[] {null, "", "rabbithole/../..", "/rabbithole/c1/.."}) {
            RecordingSyscalls s = new RecordingSyscalls();
            new CgroupMount(s, V1, host).mount(rootfs, mount(false), none);
            assertThat(s.signatures()).as(String.valueOf(none)).hasSize(2)
                    .allMatch(c -> c.startsWith("mount(\"tmpfs\"") || c.startsWith("chmod("));
            RecordingSyscalls s2 = new RecordingSyscalls();
            new CgroupMount(s2, V2, host).mount(rootfs, mount(false), none);
            assertThat(s2.signatures()).as(String.valueOf(none)).isEmpty();
        }
    }
}
