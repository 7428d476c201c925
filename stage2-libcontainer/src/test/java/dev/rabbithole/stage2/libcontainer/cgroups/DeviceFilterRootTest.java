package dev.rabbithole.stage2.libcontainer.cgroups;

import dev.rabbithole.stage2.libcontainer.cgroups.devices.DeviceFilterTest;
import dev.rabbithole.stage2.libcontainer.configs.Cgroup;
import dev.rabbithole.stage2.libcontainer.system.JnaSyscalls;
import dev.rabbithole.stage2.libcontainer.system.RecordingSyscalls;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The cgroup v2 device program for real, where the host has a cgroup2 mount: on a v2 host the unified
 * hierarchy, on a hybrid host its controller-less {@code unified} mount (the kernel runs a cgroup's device
 * programs whatever controllers the hierarchy has, before the v1 devices controller's own check). A shell is
 * moved into a new v2 cgroup, the program of Docker's rules is loaded and attached through bpf(2), and the
 * shell then tries a device the rules deny and one they allow.
 */
class DeviceFilterRootTest {

    @Test
    void theProgramIsLoadedAttachedAndDeniesWhatTheRulesDeny() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root to create cgroups and load eBPF");
        Path mount = V2Manager.unifiedMount(Path.of("/"), Files.readString(Path.of("/proc/self/mountinfo")));
        assumeTrue(mount != null, "the host has no cgroup2 mount");
        // a node Docker's rules deny: loop-control where the loop module is loaded, else kmsg (c 1:11, always there)
        String dev = Files.exists(Path.of("/dev/loop-control")) ? "/dev/loop-control" : "/dev/kmsg";
        assumeTrue(Files.exists(Path.of(dev)), "neither /dev/loop-control nor /dev/kmsg to try");
        String parent = "rabbithole-test-" + UUID.randomUUID().toString().substring(0, 8);
        RecordingSyscalls sys = new RecordingSyscalls(new JnaSyscalls());
        V2Manager m = new V2Manager(new Cgroup(parent + "/c1", Cgroup.Resources.NONE), mount, sys);
        Process sh = new ProcessBuilder("sh", "-c", "(: < " + dev + ") 2>&1 && echo before-opened; read go;"
                + " (: < " + dev + ") 2>&1 && echo after-opened; echo x > /dev/null && echo null-ok")
                .redirectErrorStream(true).start();
        try {
            m.apply(sh.pid());
            m.set(new Cgroup.Resources(0, 0, 0, 0, 0, null, null, 0, DeviceFilterTest.DOCKER));
            assertThat(sys.signatures()).anyMatch(c -> c.startsWith("bpf(BPF_PROG_LOAD"))
                    .anyMatch(c -> c.startsWith("bpf(BPF_PROG_ATTACH"));
            sh.getOutputStream().write("go\n".getBytes());
            sh.getOutputStream().flush();
            assertThat(sh.waitFor(30, TimeUnit.SECONDS)).isTrue();
            String out = new String(sh.getInputStream().readAllBytes());
            assertThat(out).contains("before-opened", "Operation not permitted", "null-ok")
                    .doesNotContain("after-opened");
        } finally {
            sh.destroyForcibly();
            sh.waitFor(30, TimeUnit.SECONDS);
            m.destroy();
            CgroupFiles.rmdir(mount.resolve(parent));
        }
        assertThat(mount.resolve(parent)).doesNotExist();
    }
}
