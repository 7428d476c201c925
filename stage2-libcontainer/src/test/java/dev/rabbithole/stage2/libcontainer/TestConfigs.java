package dev.rabbithole.stage2.libcontainer;

import dev.rabbithole.stage2.libcontainer.configs.CapabilitySet;
import dev.rabbithole.stage2.libcontainer.configs.Cgroup;
import dev.rabbithole.stage2.libcontainer.configs.ContainerConfig;
import dev.rabbithole.stage2.libcontainer.configs.NamespaceType;
import dev.rabbithole.stage2.libcontainer.configs.ProcessConfig;
import dev.rabbithole.stage2.libcontainer.configs.Rlimit;
import dev.rabbithole.stage2.libcontainer.configs.Seccomp;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;

/** Configs and a busybox rootfs for tests. */
public final class TestConfigs {
    private TestConfigs() { }

    /** Docker's default masked paths (runtime-spec defaults as Docker sets them). */
    public static final List<String> MASKED = List.of("/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/timer_list",
            "/proc/sched_debug", "/proc/scsi", "/sys/firmware");
    /** Docker's default read-only paths. */
    public static final List<String> READONLY = List.of("/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
            "/proc/sysrq-trigger");

    /**
     * @param id     container id
     * @param rootfs rootfs directory
     * @param proc   the workload
     * @return a config with every namespace but user, Docker's masked and read-only paths, no seccomp
     */
    public static ContainerConfig config(String id, Path rootfs, ProcessConfig proc) {
        return new ContainerConfig(id, rootfs, false, "box-" + id,
                EnumSet.of(NamespaceType.MOUNT, NamespaceType.UTS, NamespaceType.IPC, NamespaceType.NET,
                        NamespaceType.PID, NamespaceType.CGROUP),
                List.of(), MASKED, READONLY, new Cgroup("rabbithole-test/" + id, Cgroup.Resources.NONE),
                null, null, true, List.of(new Rlimit("RLIMIT_NOFILE", 1024, 1024)), proc);
    }

    /**
     * @param c         a config
     * @param resources cgroup limits
     * @return {@code c} with these limits
     */
    public static ContainerConfig withResources(ContainerConfig c, Cgroup.Resources resources) {
        return new ContainerConfig(c.id(), c.rootfs(), c.readonlyRootfs(), c.hostname(), c.namespaces(), c.mounts(),
                c.maskedPaths(), c.readonlyPaths(), new Cgroup(c.cgroup().path(), resources), c.capabilities(),
                c.seccomp(), c.noNewPrivileges(), c.rlimits(), c.process());
    }

    /**
     * @param c       a config
     * @param caps    capability sets, or null for root's full set
     * @param seccomp a filter, or null for none
     * @return {@code c} with these
     */
    public static ContainerConfig withSecurity(ContainerConfig c, CapabilitySet caps, Seccomp seccomp) {
        return new ContainerConfig(c.id(), c.rootfs(), c.readonlyRootfs(), c.hostname(), c.namespaces(), c.mounts(),
                c.maskedPaths(), c.readonlyPaths(), c.cgroup(), caps, seccomp, c.noNewPrivileges(), c.rlimits(),
                c.process());
    }

    /**
     * @param c       a config
     * @param rlimits resource limits
     * @return {@code c} with these
     */
    public static ContainerConfig withRlimits(ContainerConfig c, List<Rlimit> rlimits) {
        return new ContainerConfig(c.id(), c.rootfs(), c.readonlyRootfs(), c.hostname(), c.namespaces(), c.mounts(),
                c.maskedPaths(), c.readonlyPaths(), c.cgroup(), c.capabilities(), c.seccomp(), c.noNewPrivileges(),
                rlimits, c.process());
    }

    /** @return Docker's default 14 capabilities in bounding, effective and permitted (CapEff 00000000a80425fb) */
    public static CapabilitySet dockerDefaultCaps() {
        return CapabilitySet.of(dev.rabbithole.stage2.execdriver.DockerCapabilities.DEFAULT.stream().map(Enum::name)
                .collect(java.util.stream.Collectors.toSet()));
    }

    /** @param script a shell script @return {@code sh -c script} as root in / with a PATH */
    public static ProcessConfig sh(String script) {
        return new ProcessConfig(List.of("sh", "-c", script), List.of("PATH=/bin", "HOME=/root"), "/", 0, 0, List.of());
    }

    /**
     * Builds a minimal rootfs: the host's static busybox and links to the applets the tests use.
     *
     * @param dir an empty directory
     * @return {@code dir}
     * @throws IOException when busybox cannot be copied
     */
    public static Path busyboxRootfs(Path dir) throws IOException {
        Path bin = Files.createDirectories(dir.resolve("bin"));
        Files.copy(Path.of("/bin/busybox"), bin.resolve("busybox"));
        for (String applet : List.of("sh", "echo", "hostname", "cat", "grep", "ls", "mkdir", "sleep", "unshare",
                "id", "pwd", "wc", "head", "touch", "mount", "readlink", "kill", "seq", "tr", "dd", "chown", "true",
                "stat", "rm")) {
            Files.createSymbolicLink(bin.resolve(applet), Path.of("busybox"));
        }
        for (String d : List.of("proc", "sys", "dev", "etc", "tmp", "root")) {
            Files.createDirectories(dir.resolve(d));
        }
        return dir;
    }

    /** @return whether /bin/busybox is a static busybox (Debian busybox-static) */
    public static boolean haveBusybox() {
        return Files.isExecutable(Path.of("/bin/busybox"));
    }

    /** @return whether the tests run as root */
    public static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }
}
