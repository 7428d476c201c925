package dev.rabbithole.stage2.libcontainer.container;

import dev.rabbithole.stage2.libcontainer.TestConfigs;
import dev.rabbithole.stage2.libcontainer.cgroups.devices.DeviceFilterTest;
import dev.rabbithole.stage2.libcontainer.configs.Cgroup;
import dev.rabbithole.stage2.libcontainer.configs.ContainerConfig;
import dev.rabbithole.stage2.libcontainer.configs.Device;
import dev.rabbithole.stage2.libcontainer.configs.DeviceRule;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Device rules and device nodes of libcontainer's config, in real containers on the host's cgroups: the
 * container tries to open devices its rules deny (fuse, loop-control, a loop block device) and sees EPERM;
 * a configured node opens with its rule's permissions; with every device allowed (what a privileged container
 * gets) a mknod'ed node opens.
 */
class DevicesRootTest extends RootContainerTests {

    static ContainerConfig with(ContainerConfig c, List<DeviceRule> rules, List<Device> devices) {
        return new ContainerConfig(c.id(), c.rootfs(), c.readonlyRootfs(), c.hostname(), c.namespaces(), c.mounts(),
                c.maskedPaths(), c.readonlyPaths(), new Cgroup(c.cgroup().path(), new Cgroup.Resources(0, 0, 0, 0, 0,
                null, null, 0, rules)), TestConfigs.dockerDefaultCaps(), c.seccomp(), c.noNewPrivileges(), c.rlimits(),
                c.process(), devices);
    }

    @Test
    void dockersRulesDenyMknodedDevicesAndAGivenNodeOpensAsItsRuleSays() throws Exception {
        assumeTrue(Files.exists(Path.of("/dev/loop-control")), "no /dev/loop-control on this host");
        List<DeviceRule> rules = new ArrayList<>(DeviceFilterTest.DOCKER);
        rules.add(new DeviceRule('c', 10, 237, "r", true));
        Result r = run(with(TestConfigs.config(id(), rootfs, TestConfigs.sh(
                "ls -l /dev/lc; (exec 3</dev/lc && echo lc-read) 2>&1; (exec 3>/dev/lc && echo lc-written) 2>&1;"
                        + " mknod /tmp/fuse c 10 229 && echo mknod-ok; (exec 3<>/tmp/fuse && echo fuse-opened) 2>&1;"
                        + " mknod /tmp/loop0 b 7 0; (exec 3</tmp/loop0 && echo loop-opened) 2>&1;"
                        + " echo x > /dev/null && echo null-ok; head -c 2 /dev/zero | wc -c")),
                rules, List.of(new Device("/dev/lc", 'c', 10, 237, 0600, 0, 0))));
        assertThat(r.exitCode()).as(r.toString()).isZero();
        assertThat(r.stdout()).as(r.toString()).contains("crw-------", "10, 237", "lc-read", "mknod-ok", "null-ok")
                .doesNotContain("lc-written", "fuse-opened", "loop-opened");
        assertThat(r.stdout().split("Operation not permitted", -1)).as(r.stdout()).hasSize(4);
        assertThat(r.container().kernelCalls()).anyMatch(l -> l.contains("devices.deny") && l.contains(", a)"))
                .anyMatch(l -> l.contains("mknod(\"$ROOTFS/dev/lc\"") && l.contains("10:237"));
    }

    @Test
    void everyDeviceAllowedOpensAMknodedNode() throws Exception {
        assumeTrue(Files.exists(Path.of("/dev/loop-control")), "no /dev/loop-control on this host");
        Result r = run(with(TestConfigs.config(id(), rootfs, TestConfigs.sh(
                "mknod /tmp/lc c 10 237 && (exec 3<>/tmp/lc && echo lc-opened) 2>&1")),
                List.of(DeviceRule.all(true)), null));
        assertThat(r.exitCode()).as(r.toString()).isZero();
        assertThat(r.stdout()).as(r.toString()).contains("lc-opened");
    }
}
