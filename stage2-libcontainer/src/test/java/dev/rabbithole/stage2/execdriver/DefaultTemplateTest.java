package dev.rabbithole.stage2.execdriver;

import dev.rabbithole.stage1.errdefs.InvalidParameterException;
import dev.rabbithole.stage1.execdriver.Command;
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
        assertThat(c.seccomp().rules().stream().filter(r -> r.names().contains("unshare")).findFirst())
                .as("stage 1's default profile denies unshare").get()
                .extracting(Seccomp.Rule::action).isEqualTo(Seccomp.Action.ERRNO);
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
