package dev.rabbithole.stage2.execdriver;

import dev.rabbithole.stage1.errdefs.InvalidParameterException;
import dev.rabbithole.stage1.execdriver.Command;
import dev.rabbithole.stage1.execdriver.DeviceMapping;
import dev.rabbithole.stage2.libcontainer.cgroups.devices.DeviceFilter;
import dev.rabbithole.stage2.libcontainer.configs.Device;
import dev.rabbithole.stage2.libcontainer.configs.DeviceRule;
import dev.rabbithole.stage1.security.Capabilities;
import dev.rabbithole.stage1.security.SeccompProfiles;
import dev.rabbithole.stage2.libcontainer.configs.ContainerConfig;
import dev.rabbithole.stage2.libcontainer.configs.NamespaceType;
import dev.rabbithole.stage2.libcontainer.configs.Seccomp;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The translation of the daemon's Command into libcontainer's config, without root. */
class DefaultTemplateTest {
    static final String ID = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    @TempDir
    Path rootfs;

    private Command command(Command.Resources resources, Set<String> caps, boolean privileged, String user) {
        return new Command(ID, rootfs, rootfs.resolve("state"), List.of("sh", "-c", "echo hi"),
                List.of("PATH=/bin", "HOSTNAME=box"), "/tmp", user, "box", resources, caps, privileged,
                privileged ? null : SeccompProfiles.defaultProfile());
    }

    private Command withDevices(Command c, DeviceMapping... devices) {
        return new Command(c.id(), c.rootfs(), c.stateDir(), c.args(), c.env(), c.workingDir(), c.user(),
                c.hostname(), c.resources(), c.capabilities(), c.privileged(), c.seccomp(), c.noNewPrivileges(),
                List.of(devices));
    }

    @Test
    void theCommandsMountsFollowTheTemplatesAndReadOnlyIsPassedOn() {
        Command c = command(Command.Resources.NONE, Set.of(), false, "").withMounts(List.of(
                new dev.rabbithole.stage1.execdriver.Mount("bind", "/srv", "/data", List.of("rbind", "ro", "rprivate")),
                new dev.rabbithole.stage1.execdriver.Mount("tmpfs", "tmpfs", "/tmp", List.of("nosuid", "size=1m"))),
                true);
        var config = DefaultTemplate.config(c);
        assertThat(config.readonlyRootfs()).isTrue();
        assertThat(config.mounts()).last().isEqualTo(new dev.rabbithole.stage2.libcontainer.configs.Mount("tmpfs", "/tmp",
                "tmpfs", List.of("nosuid", "size=1m")));
        assertThat(config.mounts()).contains(new dev.rabbithole.stage2.libcontainer.configs.Mount("/srv", "/data", "bind",
                List.of("rbind", "ro", "rprivate")));
        assertThat(DefaultTemplate.config(command(Command.Resources.NONE, Set.of(), false, "")).readonlyRootfs()).isFalse();
    }

    @Test
    void aDefaultContainerGetsDockersDeviceRulesAndNoExtraNode() {
        ContainerConfig c = DefaultTemplate.config(command(Command.Resources.NONE,
                Capabilities.resolve(List.of(), List.of(), false), false, ""));
        // what Debian's dockerd 20.10 (runc 1.1) writes, in the order runc writes it: deny all first
        assertThat(c.cgroup().resources().devices()).extracting(DeviceRule::toCgroupV1).containsExactly(
                "a", "c *:* m", "b *:* m", "c 1:3 rwm", "c 1:5 rwm", "c 1:7 rwm", "c 1:8 rwm", "c 1:9 rwm",
                "c 5:0 rwm", "c 5:1 rwm", "c 5:2 rwm", "c 136:* rwm", "c 10:200 rwm");
        assertThat(c.cgroup().resources().devices().get(0).allow()).as("a is denied").isFalse();
        assertThat(c.devices()).isEmpty();
        DeviceFilter.Effective eff = DeviceFilter.effective(c.cgroup().resources().devices());
        assertThat(eff.allows('c', 10, 229, DeviceFilter.ACC_READ)).as("fuse").isFalse();
        assertThat(eff.allows('b', 7, 0, DeviceFilter.ACC_READ | DeviceFilter.ACC_WRITE)).as("loop0").isFalse();
        assertThat(eff.allows('b', 7, 0, DeviceFilter.ACC_MKNOD)).as("mknod of loop0").isTrue();
    }

    @Test
    void aDeviceGetsANodeWithTheHostsModeAndARuleWithItsPermissions() throws Exception {
        ContainerConfig c = DefaultTemplate.config(withDevices(command(Command.Resources.NONE,
                Capabilities.resolve(List.of(), List.of(), false), false, ""),
                new DeviceMapping("/dev/null", "/dev/mynull", "r")));
        assertThat(c.devices()).containsExactly(new Device("/dev/mynull", 'c', 1, 3, 0666, 0, 0));
        List<DeviceRule> rules = c.cgroup().resources().devices();
        assertThat(rules.get(rules.size() - 1)).isEqualTo(new DeviceRule('c', 1, 3, "r", true));
        // the config survives config.json (what a restarted daemon's cleanup reads)
        var json = new com.fasterxml.jackson.databind.ObjectMapper();
        ContainerConfig back = json.readValue(json.writeValueAsBytes(c), ContainerConfig.class);
        assertThat(back.devices()).isEqualTo(c.devices());
        assertThat(back.cgroup()).isEqualTo(c.cgroup());
        assertThatThrownBy(() -> DefaultTemplate.config(withDevices(command(Command.Resources.NONE, Set.of(), false, ""),
                new DeviceMapping("/dev/nope-" + ProcessHandle.current().pid(), "", ""))))
                .hasMessage("error gathering device information while adding custom device \"/dev/nope-"
                        + ProcessHandle.current().pid() + "\": no such file or directory");
    }

    @Test
    void privilegedAllowsEveryDeviceAndGetsTheHostsDeviceNodes() {
        ContainerConfig c = DefaultTemplate.config(withDevices(command(Command.Resources.NONE,
                Capabilities.resolve(List.of(), List.of(), true), true, ""),
                new DeviceMapping("/dev/zero", "/dev/null", "rwm")));
        assertThat(c.cgroup().resources().devices()).containsExactly(DeviceRule.all(true));
        assertThat(c.devices()).as("the mapping wins over the host's /dev/null")
                .contains(new Device("/dev/null", 'c', 1, 5, 0666, 0, 0))
                .doesNotContain(new Device("/dev/null", 'c', 1, 3, 0666, 0, 0));
        assertThat(c.devices()).extracting(Device::path).contains("/dev/zero", "/dev/full")
                .doesNotContain("/dev/console").noneMatch(p -> p.startsWith("/dev/pts/") || p.startsWith("/dev/shm/"));
    }

    @Test
    void initRunsTiniAsPid1BoundAtDockersPath() throws Exception {
        Command plain = command(Command.Resources.NONE, Set.of(), false, "");
        assertThat(DefaultTemplate.config(plain).mounts()).containsExactly(DefaultTemplate.cgroupMount(ID, false));
        Command init = new Command(plain.id(), plain.rootfs(), plain.stateDir(), plain.args(), plain.env(),
                plain.workingDir(), plain.user(), plain.hostname(), plain.resources(), plain.capabilities(),
                plain.privileged(), plain.seccomp(), false, true);
        if (DockerInit.CANDIDATES.stream().anyMatch(Files::isExecutable)) {
            ContainerConfig c = DefaultTemplate.config(init);
            assertThat(c.process().args()).containsExactly("/sbin/docker-init", "--", "sh", "-c", "echo hi");
            assertThat(c.mounts()).hasSize(2).first().isEqualTo(DefaultTemplate.cgroupMount(ID, false));
            assertThat(c.mounts().get(1)).satisfies(m -> {
                assertThat(m.destination()).isEqualTo("/sbin/docker-init");
                assertThat(m.options()).contains("bind", "ro");
                assertThat(DockerInit.CANDIDATES).contains(Path.of(m.source()));
            });
        }
        // without tini on the host: a clear error naming what to install
        Path none = rootfs.resolve("no-tini");
        assertThatThrownBy(() -> DockerInit.find(List.of(none)))
                .isInstanceOf(dev.rabbithole.stage1.errdefs.SystemException.class)
                .hasMessageContaining("--init needs a static tini").hasMessageContaining("./rabbithole setup");
    }

    @Test
    void aDefaultContainerGetsDockersNamespacesPathsCapabilitiesAndSeccomp() {
        Set<String> caps = Capabilities.resolve(List.of(), List.of(), false);
        ContainerConfig c = DefaultTemplate.config(command(Command.Resources.NONE, caps, false, ""));
        assertThat(c.id()).isEqualTo(ID);
        assertThat(c.rootfs()).isEqualTo(rootfs);
        assertThat(c.hostname()).isEqualTo("box");
        assertThat(c.namespaces()).containsExactlyInAnyOrder(NamespaceType.PID, NamespaceType.MOUNT,
                NamespaceType.UTS, NamespaceType.IPC, NamespaceType.NET, NamespaceType.CGROUP);
        assertThat(c.maskedPaths()).contains("/proc/kcore", "/proc/keys", "/sys/firmware");
        assertThat(c.readonlyPaths()).contains("/proc/sys", "/proc/sysrq-trigger");
        assertThat(c.capabilities().bounding()).isEqualTo(caps).hasSize(14);
        assertThat(c.capabilities().effective()).isEqualTo(caps);
        assertThat(c.capabilities().permitted()).isEqualTo(caps);
        assertThat(c.capabilities().inheritable()).isEmpty();
        assertThat(c.capabilities().ambient()).isEmpty();
        assertThat(c.seccomp()).isNotNull();
        assertThat(c.seccomp().rules()).isNotEmpty();
        assertThat(c.seccomp().defaultAction()).as("Docker's default profile is an allowlist")
                .isEqualTo(Seccomp.Action.ERRNO);
        assertThat(c.seccomp().rules()).as("unshare needs CAP_SYS_ADMIN").noneMatch(r -> r.names().contains("unshare"));
        assertThat(c.process().additionalGids()).as("Docker: the primary group").containsExactly(0);
        assertThat(c.noNewPrivileges()).as("Docker: only with --security-opt no-new-privileges").isFalse();
        assertThat(c.rlimits()).as("inherited from the daemon, as Docker's").isEmpty();
        assertThat(c.process().args()).containsExactly("sh", "-c", "echo hi");
        assertThat(c.process().env()).containsExactly("PATH=/bin", "HOSTNAME=box");
        assertThat(c.process().cwd()).isEqualTo("/tmp");
        assertThat(c.process().uid()).isZero();
        assertThat(c.process().gid()).isZero();
        assertThat(c.cgroup().path()).isEqualTo("rabbithole/" + ID);
    }

    @Test
    void seccompRulesAreDecidedForTheContainersCapabilities() {
        Set<String> sysAdmin = Capabilities.resolve(List.of("SYS_ADMIN"), List.of(), false);
        ContainerConfig c = DefaultTemplate.config(command(Command.Resources.NONE, sysAdmin, false, ""));
        assertThat(c.seccomp().rules()).filteredOn(r -> r.names().contains("unshare")).isNotEmpty()
                .allSatisfy(r -> assertThat(r.action()).isEqualTo(Seccomp.Action.ALLOW));
        assertThat(c.seccomp().rules()).as("clone3 gets ENOSYS only without CAP_SYS_ADMIN")
                .noneMatch(r -> r.names().contains("clone3") && r.action() == Seccomp.Action.ERRNO);
    }

    @Test
    void supplementaryGroupsComeFromEtcGroupAndGroupAdd() throws Exception {
        Files.createDirectories(rootfs.resolve("etc"));
        Files.writeString(rootfs.resolve("etc/passwd"), "root:x:0:0::/root:/bin/sh\nrabbit:x:1000:1001::/home:/bin/sh\n");
        Files.writeString(rootfs.resolve("etc/group"), "root:x:0:\nwheel:x:10:root,rabbit\nburrow:x:2000:rabbit\n");
        var rabbit = DefaultTemplate.config(command(Command.Resources.NONE, Set.of(), false, "rabbit")).process();
        assertThat(rabbit.additionalGids()).containsExactly(1001, 10, 2000);
        var withGroup = DefaultTemplate.config(command(Command.Resources.NONE, Set.of(), false, "rabbit:burrow"));
        assertThat(withGroup.process().additionalGids()).as("-u USER:GROUP: that group only").containsExactly(2000);
        Command added = new Command(ID, rootfs, rootfs.resolve("state"), List.of("id"), List.of(), "/", "", "box",
                Command.Resources.NONE, Set.of(), false, null, false, false, List.of(), List.of("burrow", "4242"));
        assertThat(DefaultTemplate.config(added).process().additionalGids()).containsExactly(0, 10, 2000, 4242);
    }

    @Test
    void resourcesBecomeCgroupLimits() {
        // -m 64m --cpus 0.5 --pids-limit 100 --cpu-shares 512
        Command c = command(new Command.Resources(64L << 20, 500_000_000L, 100, 512), Set.of(), false, "");
        var r = DefaultTemplate.config(c).cgroup().resources();
        assertThat(r.memoryBytes()).isEqualTo(64L << 20);
        assertThat(r.memorySwapBytes()).as("Docker's default --memory-swap: twice --memory").isEqualTo(128L << 20);
        assertThat(r.cpuQuotaMicros()).isEqualTo(50_000);
        assertThat(r.cpuPeriodMicros()).isEqualTo(100_000);
        assertThat(r.pidsLimit()).isEqualTo(100);
        assertThat(r.cpuShares()).isEqualTo(512);

        var none = DefaultTemplate.config(command(Command.Resources.NONE, Set.of(), false, "")).cgroup().resources();
        assertThat(none.memoryBytes()).isZero();
        assertThat(none.memorySwapBytes()).isZero();
        assertThat(none.cpuQuotaMicros()).isZero();
        assertThat(none.cpuPeriodMicros()).isZero();
        assertThat(none.pidsLimit()).as("--pids-limit -1 and 0: unlimited").isZero();
    }

    @Test
    void privilegedGetsEveryCapabilityNoSeccompAndNoMaskedPaths() {
        Set<String> all = Capabilities.resolve(List.of(), List.of(), true);
        ContainerConfig c = DefaultTemplate.config(command(Command.Resources.NONE, all, true, ""));
        assertThat(c.capabilities().effective()).contains("SYS_ADMIN", "NET_ADMIN").hasSizeGreaterThan(30);
        assertThat(c.seccomp()).isNull();
        assertThat(c.maskedPaths()).isEmpty();
        assertThat(c.readonlyPaths()).isEmpty();
    }

    @Test
    void theUserIsResolvedAgainstTheRootfs() throws Exception {
        Files.createDirectories(rootfs.resolve("etc"));
        Files.writeString(rootfs.resolve("etc/passwd"), "root:x:0:0::/root:/bin/sh\nrabbit:x:1000:1001::/home:/bin/sh\n");
        Files.writeString(rootfs.resolve("etc/group"), "root:x:0:\nburrow:x:2000:\n");
        var p = DefaultTemplate.config(command(Command.Resources.NONE, Set.of(), false, "rabbit:burrow")).process();
        assertThat(p.uid()).isEqualTo(1000);
        assertThat(p.gid()).isEqualTo(2000);
        var numeric = DefaultTemplate.config(command(Command.Resources.NONE, Set.of(), false, "1000")).process();
        assertThat(numeric.gid()).as("the passwd entry's group").isEqualTo(1001);
        assertThatThrownBy(() -> DefaultTemplate.config(command(Command.Resources.NONE, Set.of(), false, "nobody-here")))
                .isInstanceOf(InvalidParameterException.class).hasMessageContaining("unable to find user nobody-here");
    }

    @Test
    void noCommandIsAnInvalidParameter() {
        Command c = new Command(ID, rootfs, rootfs, List.of(), List.of(), "/", "", "box", Command.Resources.NONE,
                Set.of(), false, null);
        assertThatThrownBy(() -> DefaultTemplate.config(c)).isInstanceOf(InvalidParameterException.class)
                .hasMessage("No command specified");
    }
}
