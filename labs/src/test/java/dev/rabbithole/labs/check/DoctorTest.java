package dev.rabbithole.labs.check;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code lab doctor}'s reading of the three cgroup modes, from mount tables as the kernel writes them (proc(5)). */
class DoctorTest {
    // a Debian 11 style hybrid host: every controller on v1, the v2 hierarchy beside them offering what is left
    static final List<String> HYBRID = List.of(
            "27 1 254:0 / / rw,relatime - ext4 /dev/vda rw",
            "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755",
            "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu",
            "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory",
            "39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids",
            "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd",
            "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw");
    static final List<String> UNIFIED = List.of(
            "27 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw",
            "31 23 0:28 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot");

    @Test
    void hybridHasTheControllersOnV1() {
        CgroupLayout l = CgroupLayout.parse(HYBRID, mount -> List.of());
        assertThat(l.mode()).isEqualTo(CgroupLayout.Mode.HYBRID);
        assertThat(l.v1()).containsEntry("memory", Path.of("/sys/fs/cgroup/memory")).doesNotContainKey("name=systemd");
        assertThat(l.v2Mount()).contains(Path.of("/sys/fs/cgroup/unified"));
        assertThat(l.where("pids")).contains("v1 at /sys/fs/cgroup/pids");
        assertThat(l.v2()).isFalse();
        assertThat(Doctor.cgroups(l).get(0).what()).contains("hybrid", "no controller", "v1 files");
    }

    @Test
    void unifiedOffersWhatCgroupControllersSays() {
        CgroupLayout l = CgroupLayout.parse(UNIFIED, mount -> List.of("cpuset", "cpu", "io", "memory", "pids"));
        assertThat(l.mode()).isEqualTo(CgroupLayout.Mode.UNIFIED);
        assertThat(l.v2()).isTrue();
        assertThat(l.usable("memory")).isTrue();
        assertThat(Doctor.cgroups(l)).allMatch(Doctor.Finding::ok);
    }

    @Test
    void aMissingV2ControllerMakesItsLabsNotReady() {
        CgroupLayout l = CgroupLayout.parse(UNIFIED, mount -> List.of("cpu", "memory"));
        List<Doctor.Finding> f = Doctor.cgroups(l);
        assertThat(f).filteredOn(x -> !x.ok()).singleElement()
                .satisfies(x -> assertThat(x.what()).contains("pids", "in no hierarchy"))
                .satisfies(x -> assertThat(x.labs()).containsExactlyInAnyOrder(8, 12));
    }

    @Test
    void legacyAndNone() {
        assertThat(CgroupLayout.parse(HYBRID.subList(0, 6), m -> List.of()).mode()).isEqualTo(CgroupLayout.Mode.LEGACY);
        CgroupLayout none = CgroupLayout.parse(HYBRID.subList(0, 2), m -> List.of());
        assertThat(none.mode()).isEqualTo(CgroupLayout.Mode.NONE);
        assertThat(Doctor.cgroups(none)).noneMatch(Doctor.Finding::ok);
        assertThat(none.v1()).isEqualTo(Map.of());
    }

    @Test
    void thisMachineIsReportedAsItsMountTableSays() {
        CgroupLayout l = CgroupLayout.host();
        boolean v2root = Proc.lines(Path.of("/proc/self/mountinfo")).stream().anyMatch(s -> s.contains(" /sys/fs/cgroup ") && s.contains(" - cgroup2 "));
        assertThat(l.v2()).isEqualTo(v2root);
    }

    @Test
    void lab15NeedsCloseRangeFromLinux511() {
        assertThat(Doctor.closeRange("5.10.0-28-amd64")).satisfies(f -> assertThat(f.ok()).isFalse())
                .satisfies(f -> assertThat(f.labs()).containsExactly(15));
        assertThat(Doctor.closeRange("5.11.0").ok()).isTrue();
        assertThat(Doctor.closeRange("6.1.0-18-amd64").ok()).isTrue();
    }

    @Test
    void aDynamicBinaryHasAnInterpreter() {
        assertThat(Doctor.hasInterpreter(Path.of(System.getProperty("java.home"), "bin/java"))).isTrue();
    }
}
