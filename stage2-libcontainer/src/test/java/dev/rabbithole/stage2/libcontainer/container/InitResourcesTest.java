package dev.rabbithole.stage2.libcontainer.container;

import dev.rabbithole.stage2.libcontainer.configs.Cgroup;
import dev.rabbithole.stage2.libcontainer.configs.DeviceRule;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link LinuxContainer#initResources}: the limits the init JVM gets until its execve raise memory and pids to
 * the init's floor and keep everything else, the device rules above all (a small memory limit once dropped them:
 * the container's devices cgroup then allowed every device).
 */
class InitResourcesTest {
    static final List<DeviceRule> RULES = List.of(
            new DeviceRule('a', DeviceRule.WILDCARD, DeviceRule.WILDCARD, "rwm", false),
            new DeviceRule('c', 1, 3, "rwm", true));

    @Test
    void aSmallMemoryLimitIsRaisedAndTheDeviceRulesStay() {
        Cgroup.Resources wanted = new Cgroup.Resources(64L << 20, 0, 512, 0, 0, null, null, 0, RULES);
        Cgroup.Resources init = LinuxContainer.initResources(wanted);
        assertThat(init.memoryBytes()).isEqualTo(LinuxContainer.INIT_MEMORY_FLOOR);
        assertThat(init.cpuShares()).isEqualTo(512);
        assertThat(init.devices()).isEqualTo(RULES);
    }

    @Test
    void aSmallPidsLimitIsRaisedAndTheDeviceRulesStay() {
        Cgroup.Resources init = LinuxContainer.initResources(new Cgroup.Resources(0, 0, 0, 0, 0, null, null, 2, RULES));
        assertThat(init.pidsLimit()).isGreaterThan(2);
        assertThat(init.devices()).isEqualTo(RULES);
    }
}
