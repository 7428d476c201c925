package dev.rabbithole.stage1.execdriver.lxc;

import dev.rabbithole.stage1.cgroups.CgroupVersion;
import dev.rabbithole.stage1.errdefs.InvalidParameterException;
import dev.rabbithole.stage1.execdriver.Command;
import dev.rabbithole.stage1.errdefs.SystemException;
import dev.rabbithole.stage1.execdriver.ContainerUser;
import dev.rabbithole.stage1.execdriver.DeviceMapping;
import dev.rabbithole.stage1.security.Capabilities;
import dev.rabbithole.stage1.security.SeccompProfiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LxcConfigTest {

    @TempDir Path tmp;

    Command command(Path rootfs, String user, Command.Resources r, boolean privileged) {
        return new Command("c0ffee", rootfs, tmp.resolve("state"), List.of("/bin/sh", "-c", "echo hi"),
                List.of("PATH=/bin", "GREETING=hello world"), "/tmp", user, "c0ffee", r,
                Capabilities.resolve(null, List.of("NET_RAW"), privileged), privileged,
                privileged ? null : SeccompProfiles.defaultProfile());
    }

    Command withDevices(Command c, DeviceMapping... devices) {
        return new Command(c.id(), c.rootfs(), c.stateDir(), c.args(), c.env(), c.workingDir(), c.user(),
                c.hostname(), c.resources(), c.capabilities(), c.privileged(), c.seccomp(), c.noNewPrivileges(),
                List.of(devices));
    }

    @Test
    void deviceGetsItsRuleAfterDockersAndANodeFromTheAutodevHook() throws IOException {
        Path rootfs = TestRootfs.create(tmp.resolve("rootfs"));
        Command c = withDevices(command(rootfs, "", Command.Resources.NONE, false),
                new DeviceMapping("/dev/null", "/dev/my null", "r"));
        for (CgroupVersion v : List.of(CgroupVersion.V1, CgroupVersion.V2)) {
            String prefix = v == CgroupVersion.V1 ? "lxc.cgroup.devices" : "lxc.cgroup2.devices";
            List<String> lines = LxcConfig.generate(c, v, null, tmp.resolve("log"), null, tmp.resolve("hook"))
                    .lines().toList();
            assertThat(lines).containsSubsequence(prefix + ".deny = a", prefix + ".allow = c *:* m",
                    prefix + ".allow = c 10:200 rwm", prefix + ".allow = c 1:3 r", "lxc.hook.autodev = " + tmp.resolve("hook"));
        }
        String hook = LxcDevices.hook(LxcDevices.nodes(c), tmp.resolve("last pid"));
        assertThat(hook.lines()).endsWith("cat /proc/sys/kernel/ns_last_pid > '" + tmp.resolve("last pid") + "'.tmp",
                "exec mv -f '" + tmp.resolve("last pid") + "'.tmp '" + tmp.resolve("last pid") + "'");
        assertThat(hook.lines()).contains("mkdir -p \"$LXC_ROOTFS_MOUNT\"'/dev'",
                "mknod -m 0666 \"$LXC_ROOTFS_MOUNT\"'/dev/my null' c 1 3", "chown 0:0 \"$LXC_ROOTFS_MOUNT\"'/dev/my null'");
        // without devices: no hook and no extra rule
        String plain = LxcConfig.generate(command(rootfs, "", Command.Resources.NONE, false), CgroupVersion.V1, null,
                tmp.resolve("log"));
        assertThat(plain).doesNotContain("lxc.hook.autodev").doesNotContain("c 1:3 r\n");
    }

    @Test
    void deviceOutsideDevOrNotADeviceIsRefusedWithDockersMessage() throws IOException {
        Path rootfs = TestRootfs.create(tmp.resolve("rootfs"));
        Command base = command(rootfs, "", Command.Resources.NONE, false);
        assertThatThrownBy(() -> LxcDevices.nodes(withDevices(base, new DeviceMapping("/dev/null", "/opt/null", "rwm"))))
                .isInstanceOf(InvalidParameterException.class).hasMessageContaining("under /dev only");
        assertThatThrownBy(() -> LxcDevices.nodes(withDevices(base, new DeviceMapping("/dev/nope-" + ProcessHandle.current().pid(), "", ""))))
                .isInstanceOf(SystemException.class)
                .hasMessageEndingWith("while adding custom device \"/dev/nope-" + ProcessHandle.current().pid()
                        + "\": no such file or directory");
        assertThatThrownBy(() -> LxcDevices.nodes(withDevices(base, new DeviceMapping(rootfs.resolve("etc/passwd").toString(), "/dev/x", "rwm"))))
                .isInstanceOf(SystemException.class).hasMessageEndingWith("not a device node");
    }

    @Test
    void v1KeysAndEverySetting() throws IOException {
        Path rootfs = TestRootfs.create(tmp.resolve("rootfs"));
        String text = LxcConfig.generate(command(rootfs, "app", new Command.Resources(64 << 20, 500_000_000, 50, 512),
                false), CgroupVersion.V1, tmp.resolve("state/seccomp"), tmp.resolve("state/lxc.log"));
        assertThat(text.lines()).contains(
                "lxc.uts.name = c0ffee",
                "lxc.rootfs.path = dir:" + rootfs,
                "lxc.namespace.clone = mnt pid uts ipc net cgroup",
                "lxc.net.0.type = empty",
                "lxc.net.0.flags = up",            // LXC brings lo up only with it (issue 7, item 4)
                "lxc.mount.entry = " + tmp.resolve("state/hosts") + " etc/hosts none bind,create=file 0 0",
                "lxc.mount.entry = " + tmp.resolve("state/resolv.conf") + " etc/resolv.conf none bind,create=file 0 0",
                "lxc.mount.entry = " + tmp.resolve("state/hostname") + " etc/hostname none bind,create=file 0 0",
                "lxc.mount.auto = proc:mixed sys:ro cgroup:ro:force",
                "lxc.autodev = 1",
                "lxc.console.path = none",
                "lxc.mount.entry = /dev/null proc/kcore none bind,optional 0 0",
                "lxc.mount.entry = tmpfs sys/firmware tmpfs ro,optional 0 0",
                "lxc.cap.keep = audit_write chown dac_override fowner fsetid kill mknod net_bind_service setfcap "
                        + "setgid setpcap setuid sys_chroot",
                "lxc.seccomp.profile = " + tmp.resolve("state/seccomp"),
                "lxc.cgroup.devices.deny = a",
                "lxc.cgroup.memory.limit_in_bytes = 67108864",
                "lxc.cgroup.pids.max = 50",
                "lxc.cgroup.cpu.cfs_period_us = 100000",
                "lxc.cgroup.cpu.cfs_quota_us = 50000",
                "lxc.cgroup.cpu.shares = 512",
                "lxc.init.uid = 1000",
                "lxc.init.gid = 1001",
                "lxc.init.groups = 1001",
                "lxc.init.cwd = /tmp",
                "lxc.environment = GREETING=hello world",
                "lxc.log.file = " + tmp.resolve("state/lxc.log"));
        assertThat(text).doesNotContain("lxc.cgroup2.");
        // every group of settings is introduced by a comment
        assertThat(text.lines().filter(l -> l.startsWith("# ")).count()).isGreaterThanOrEqualTo(10);
    }

    @Test
    void v2Keys() throws IOException {
        Path rootfs = TestRootfs.create(tmp.resolve("rootfs"));
        String text = LxcConfig.generate(command(rootfs, "", new Command.Resources(64 << 20, 1_500_000_000, 10, 1024),
                false), CgroupVersion.V2, null, tmp.resolve("log"));
        assertThat(text.lines()).contains("lxc.cgroup2.memory.max = 67108864", "lxc.cgroup2.pids.max = 10",
                "lxc.cgroup2.cpu.max = 150000 100000", "lxc.cgroup2.cpu.weight = 39",
                "lxc.cgroup2.devices.deny = a", "lxc.init.uid = 0", "lxc.init.gid = 0");
        assertThat(text).doesNotContain("lxc.cgroup.memory", "lxc.seccomp.profile");
    }

    @Test
    void privilegedKeepsEverything() throws IOException {
        Path rootfs = TestRootfs.create(tmp.resolve("rootfs"));
        String text = LxcConfig.generate(command(rootfs, "0", Command.Resources.NONE, true), CgroupVersion.V1,
                tmp.resolve("seccomp"), tmp.resolve("log"));
        assertThat(text).doesNotContain("lxc.cap.keep", "lxc.seccomp.profile", "devices.deny", "proc/kcore",
                "memory.limit_in_bytes");
        assertThat(text).contains("lxc.mount.auto = proc:rw sys:rw cgroup:rw:force");
    }

    @Test
    void usersAsDockerResolvesThem() throws IOException {
        Path rootfs = TestRootfs.create(tmp.resolve("rootfs"));
        assertThat(ContainerUser.resolve(rootfs, "")).isEqualTo(ContainerUser.ROOT);
        assertThat(ContainerUser.resolve(rootfs, "app")).isEqualTo(new ContainerUser(1000, 1001));
        assertThat(ContainerUser.resolve(rootfs, "1000")).isEqualTo(new ContainerUser(1000, 1001));
        assertThat(ContainerUser.resolve(rootfs, "4242")).isEqualTo(new ContainerUser(4242, 0));
        assertThat(ContainerUser.resolve(rootfs, "app:staff")).isEqualTo(new ContainerUser(1000, 50));
        assertThat(ContainerUser.resolve(rootfs, "nobody:7")).isEqualTo(new ContainerUser(65534, 7));
        assertThatThrownBy(() -> ContainerUser.resolve(rootfs, "ghost"))
                .isInstanceOf(InvalidParameterException.class)
                .hasMessage("unable to find user ghost: no matching entries in passwd file");
        assertThatThrownBy(() -> ContainerUser.resolve(rootfs, "app:ghosts"))
                .isInstanceOf(InvalidParameterException.class)
                .hasMessage("unable to find group ghosts: no matching entries in group file");
    }

    @Test
    void valuesMustFitOnALine() throws IOException {
        Path rootfs = TestRootfs.create(tmp.resolve("rootfs"));
        Command c = command(rootfs, "", Command.Resources.NONE, false);
        Command bad = new Command(c.id(), c.rootfs(), c.stateDir(), c.args(), List.of("A=1\nlxc.cap.keep = sys_admin"),
                c.workingDir(), c.user(), c.hostname(), c.resources(), c.capabilities(), false, c.seccomp());
        assertThatThrownBy(() -> LxcConfig.generate(bad, CgroupVersion.V1, null, tmp.resolve("log")))
                .isInstanceOf(InvalidParameterException.class).hasMessageContaining("one line");
    }

    @Test
    void sharesToWeight() {
        assertThat(LxcConfig.cpuWeight(2)).isEqualTo(1);
        assertThat(LxcConfig.cpuWeight(262144)).isEqualTo(10000);
        assertThat(LxcConfig.cpuWeight(1024)).isEqualTo(39);
    }
}
