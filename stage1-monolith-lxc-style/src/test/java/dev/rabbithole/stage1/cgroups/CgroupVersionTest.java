package dev.rabbithole.stage1.cgroups;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CgroupVersionTest {

    static final String HYBRID = """
            31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
            32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
            35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
            39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
            41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
            """;
    static final String UNIFIED = """
            22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw
            30 23 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
            """;

    @Test
    void hybridWithMemoryOnV1IsV1() {
        assertThat(CgroupVersion.detect(HYBRID)).isEqualTo(CgroupVersion.V1);
        assertThat(CgroupVersion.v1MountPoint(HYBRID, "memory")).contains(Path.of("/sys/fs/cgroup/memory"));
    }

    @Test
    void unifiedIsV2() {
        assertThat(CgroupVersion.detect(UNIFIED)).isEqualTo(CgroupVersion.V2);
        assertThat(CgroupVersion.mounts(UNIFIED)).singleElement().satisfies(m -> {
            assertThat(m.v2()).isTrue();
            assertThat(m.mountPoint()).isEqualTo(Path.of("/sys/fs/cgroup"));
        });
    }

    @Test
    void escapedMountPointsAndNoCgroups() {
        String spaced = "40 31 0:37 / /sys/fs/cgroup/my\\040dir rw - cgroup cgroup rw,memory\n";
        assertThat(CgroupVersion.mounts(spaced).get(0).mountPoint()).isEqualTo(Path.of("/sys/fs/cgroup/my dir"));
        assertThatThrownBy(() -> CgroupVersion.detect("22 1 254:0 / / rw - ext4 /dev/vda rw\n"))
                .isInstanceOf(IllegalStateException.class);
    }
}
