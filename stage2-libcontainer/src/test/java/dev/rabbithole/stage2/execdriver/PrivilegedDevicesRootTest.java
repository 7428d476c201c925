package dev.rabbithole.stage2.execdriver;

import dev.rabbithole.stage1.execdriver.Command;
import dev.rabbithole.stage2.libcontainer.TestConfigs;
import dev.rabbithole.stage2.libcontainer.capabilities.Capabilities;
import dev.rabbithole.stage2.libcontainer.configs.CapabilitySet;
import dev.rabbithole.stage2.libcontainer.configs.ContainerConfig;
import dev.rabbithole.stage2.libcontainer.container.CgroupApplier;
import dev.rabbithole.stage2.libcontainer.container.InitCommand;
import dev.rabbithole.stage2.libcontainer.container.LinuxContainer;
import dev.rabbithole.stage2.libcontainer.system.JnaSyscalls;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A privileged container's devices for real: the config {@link DefaultTemplate} makes for {@code --privileged}
 * (every device allowed, a node for each device of the host's /dev), started by libcontainer. Its capabilities
 * are the host's bounding set rather than all of them, so that it also starts on a host whose bounding set
 * lacks some (where {@code docker run --privileged} itself fails with "unable to apply caps").
 */
class PrivilegedDevicesRootTest {

    @TempDir
    Path tmp;

    @Test
    void privilegedGetsTheHostsDeviceNodesAndOpensAnyDevice() throws Exception {
        assumeTrue(TestConfigs.isRoot(), "needs root: namespaces, mounts, cgroups");
        assumeTrue(TestConfigs.haveBusybox(), "needs /bin/busybox (Debian busybox-static)");
        assumeTrue(Files.exists(Path.of("/dev/loop-control")), "no /dev/loop-control on this host");
        Path rootfs = TestConfigs.busyboxRootfs(tmp.resolve("rootfs"));
        String id = "p" + UUID.randomUUID().toString().replace("-", "").substring(0, 16); // the init socket path must fit 107 bytes
        Command cmd = new Command(id, rootfs, tmp.resolve("state"), List.of("sh", "-c",
                "(exec 3<>/dev/loop-control && echo host-node-opened) 2>&1;"
                        + " mknod /tmp/lc c 10 237 && (exec 3<>/tmp/lc && echo mknod-opened) 2>&1;"
                        + " ls -l /dev/ptmx; ls /dev"),
                List.of("PATH=/bin"), "/", "", "box", Command.Resources.NONE, Set.of(), true, null);
        ContainerConfig c = DefaultTemplate.config(cmd);
        String bnd = Files.readAllLines(Path.of("/proc/self/status")).stream().filter(l -> l.startsWith("CapBnd:"))
                .findFirst().orElseThrow().split("\\s+")[1];
        Set<String> caps = Capabilities.fromMask(Long.parseUnsignedLong(bnd, 16)).stream().map(Enum::name)
                .collect(Collectors.toSet());
        c = new ContainerConfig(c.id(), c.rootfs(), c.readonlyRootfs(), c.hostname(), c.namespaces(), c.mounts(),
                c.maskedPaths(), c.readonlyPaths(), c.cgroup(), CapabilitySet.of(caps), c.seccomp(),
                c.noNewPrivileges(), c.rlimits(), c.process(), c.devices());
        LinuxContainer container = LinuxContainer.create(c, tmp.resolve("run"), new LinuxContainer.Options(
                new JnaSyscalls(), CgroupApplier.HOST, InitCommand.current(), Duration.ofSeconds(30),
                LinuxContainer.Stdio.PIPES));
        try {
            container.start();
            CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> read(container.process().getInputStream()));
            CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(container.process().getErrorStream()));
            int code = container.waitFor();
            String text = out.get() + err.get();
            assertThat(code).as(text).isZero();
            assertThat(text).contains("host-node-opened", "mknod-opened", "/dev/ptmx -> pts/ptmx", "loop-control",
                    "fuse").doesNotContain("console");
        } finally {
            container.destroy();
        }
    }

    private static String read(java.io.InputStream in) {
        try {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (java.io.IOException e) {
            return e.toString();
        }
    }
}
