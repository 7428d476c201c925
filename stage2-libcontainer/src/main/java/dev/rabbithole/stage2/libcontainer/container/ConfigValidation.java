package dev.rabbithole.stage2.libcontainer.container;

import dev.rabbithole.stage2.libcontainer.capabilities.Capabilities;
import dev.rabbithole.stage2.libcontainer.configs.CapabilitySet;
import dev.rabbithole.stage2.libcontainer.configs.Cgroup;
import dev.rabbithole.stage2.libcontainer.configs.ContainerConfig;
import dev.rabbithole.stage2.libcontainer.configs.Mount;
import dev.rabbithole.stage2.libcontainer.configs.NamespaceType;
import dev.rabbithole.stage2.libcontainer.configs.ProcessConfig;
import dev.rabbithole.stage2.libcontainer.configs.Rlimit;
import dev.rabbithole.stage2.libcontainer.seccomp.SeccompCompiler;
import dev.rabbithole.stage2.libcontainer.system.Rlimits;

import java.nio.file.Files;
import java.util.List;

/**
 * Checks a {@link ContainerConfig} before anything exists on the host, as runc's {@code configs/validate}
 * does: a bad config is refused with a message that names the field and the value, and leaves nothing behind.
 * Limits follow Docker's: a memory limit of at least 6 MiB ({@code Minimum memory limit allowed is 6MB}),
 * CPU shares 2..262144, a CFS quota of at least 1 ms, a period of 1 ms..1 s.
 */
public final class ConfigValidation {
    /** Docker's smallest memory limit: 6 MiB. */
    public static final long MIN_MEMORY_BYTES = 6L * 1024 * 1024;

    private ConfigValidation() { }

    /**
     * Validates the config and compiles its seccomp filter.
     *
     * @param config the container
     * @return the compiled filter ({@code struct sock_filter[]}), or null when the config has none
     * @throws ContainerException the first problem found, e.g. {@code unknown capability: CAP_FOO}
     */
    public static byte[] validate(ContainerConfig config) throws ContainerException {
        if (config.id() == null || !config.id().matches("[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")) {
            throw new ContainerException(ContainerException.Kind.INVALID_CONFIG, "invalid container id " + config.id());
        }
        if (config.rootfs() == null || !config.rootfs().isAbsolute() || !Files.isDirectory(config.rootfs())) {
            throw new ContainerException(ContainerException.Kind.INVALID_CONFIG, "rootfs " + config.rootfs() + ": no such directory");
        }
        if (config.namespaces() == null || !config.namespaces().contains(NamespaceType.MOUNT)) {
            throw new ContainerException(ContainerException.Kind.INVALID_CONFIG, "a container needs a new mount namespace (its rootfs is pivoted into)");
        }
        if (config.namespaces().contains(NamespaceType.USER)) {
            throw new ContainerException(ContainerException.Kind.INVALID_CONFIG, "user namespaces cannot be created from a JVM: "
                    + "unshare(CLONE_NEWUSER) fails with EINVAL in a multithreaded process");
        }
        namespacePaths(config);
        process(config.process());
        capabilities(config.capabilities());
        for (Rlimit r : config.rlimits() == null ? List.<Rlimit>of() : config.rlimits()) {
            try {
                Rlimits.number(r.type());
            } catch (IllegalArgumentException e) {
                throw new ContainerException(ContainerException.Kind.INVALID_CONFIG, e.getMessage());
            }
            if (r.hard() != -1 && (r.soft() == -1 || Long.compareUnsigned(r.soft(), r.hard()) > 0)) {
                throw new ContainerException(ContainerException.Kind.INVALID_CONFIG, "rlimit " + r.type() + ": soft limit " + r.soft()
                        + " is above the hard limit " + r.hard());
            }
        }
        for (Mount m : config.mounts() == null ? List.<Mount>of() : config.mounts()) {
            if (m.destination() == null || !m.destination().startsWith("/")) {
                throw new ContainerException(ContainerException.Kind.INVALID_CONFIG, "mount destination " + m.destination() + " is not absolute");
            }
        }
        for (var d : config.devices() == null ? List.<dev.rabbithole.stage2.libcontainer.configs.Device>of()
                : config.devices()) {
            try {
                d.validate();
            } catch (IllegalArgumentException e) {
                throw new ContainerException(ContainerException.Kind.INVALID_CONFIG, e.getMessage(), e);
            }
        }
        if (config.cgroup() != null) {
            resources(config.cgroup().resources());
        }
        if (config.seccomp() == null) {
            return null;
        }
        try {
            return SeccompCompiler.compile(config.seccomp()).toBytes();
        } catch (IllegalArgumentException e) {
            throw new ContainerException(ContainerException.Kind.INVALID_CONFIG, "seccomp: " + e.getMessage(), e);
        }
    }

    private static void process(ProcessConfig p) throws ContainerException {
        if (p == null || p.args() == null || p.args().isEmpty()) {
            throw new ContainerException(ContainerException.Kind.INVALID_CONFIG, "process.args must not be empty");
        }
        if (p.cwd() != null && !p.cwd().isEmpty() && !p.cwd().startsWith("/")) {
            throw new ContainerException(ContainerException.Kind.INVALID_CONFIG, "cwd " + p.cwd() + " is not absolute");
        }
        if (p.uid() < 0 || p.gid() < 0) {
            throw new ContainerException(ContainerException.Kind.INVALID_CONFIG, "uid and gid must not be negative: " + p.uid() + ":" + p.gid());
        }
    }

    private static void capabilities(CapabilitySet caps) throws ContainerException {
        if (caps == null) {
            return;
        }
        try {
            for (var set : List.of(caps.bounding(), caps.effective(), caps.permitted(), caps.inheritable(),
                    caps.ambient())) {
                Capabilities.parseAll(set);
            }
        } catch (IllegalArgumentException e) {
            throw new ContainerException(ContainerException.Kind.INVALID_CONFIG, e.getMessage(), e);
        }
    }

    private static void resources(Cgroup.Resources r) throws ContainerException {
        if (r == null) {
            return;
        }
        if (r.memoryBytes() < 0) {
            throw new ContainerException(ContainerException.Kind.INVALID_CONFIG, "invalid memory limit " + r.memoryBytes()
                    + ": a number of bytes, 0 for none");
        }
        if (r.memoryBytes() > 0 && r.memoryBytes() < MIN_MEMORY_BYTES) {
            throw new ContainerException(ContainerException.Kind.INVALID_CONFIG, "memory limit " + r.memoryBytes()
                    + " bytes is too small: the minimum is 6 MiB (" + MIN_MEMORY_BYTES + ")");
        }
        if (r.memorySwapBytes() < -1) {
            throw new ContainerException(ContainerException.Kind.INVALID_CONFIG, "invalid memory+swap limit " + r.memorySwapBytes()
                    + ": a number of bytes, -1 for unlimited, 0 for none");
        }
        if (r.memorySwapBytes() > 0 && (r.memoryBytes() == 0 || r.memorySwapBytes() < r.memoryBytes())) {
            throw new ContainerException(ContainerException.Kind.INVALID_CONFIG, "memory+swap limit " + r.memorySwapBytes()
                    + " needs a memory limit at or below it (memory " + r.memoryBytes() + ")");
        }
        if (r.cpuShares() != 0 && (r.cpuShares() < 2 || r.cpuShares() > 262144)) {
            throw new ContainerException(ContainerException.Kind.INVALID_CONFIG, "invalid CPU shares " + r.cpuShares() + ": 2..262144");
        }
        if (r.cpuQuotaMicros() != 0 && r.cpuQuotaMicros() != -1 && r.cpuQuotaMicros() < 1000) {
            throw new ContainerException(ContainerException.Kind.INVALID_CONFIG, "invalid CPU quota " + r.cpuQuotaMicros()
                    + " microseconds: at least 1000, -1 for none");
        }
        if (r.cpuPeriodMicros() != 0 && (r.cpuPeriodMicros() < 1000 || r.cpuPeriodMicros() > 1_000_000)) {
            throw new ContainerException(ContainerException.Kind.INVALID_CONFIG, "invalid CPU period " + r.cpuPeriodMicros() + " microseconds: 1000..1000000");
        }
        if (r.hasDeviceRules()) {
            try {
                // compiling checks every rule and that the numbers fit the cgroup v2 program
                dev.rabbithole.stage2.libcontainer.cgroups.devices.DeviceFilter.compile(r.devices());
            } catch (IllegalArgumentException e) {
                throw new ContainerException(ContainerException.Kind.INVALID_CONFIG, e.getMessage(), e);
            }
        }
    }

    /** Joined namespaces: only those the spawning thread can join, each also listed, each path there; a veth needs a new one. */
    private static void namespacePaths(ContainerConfig config) throws ContainerException {
        java.util.Map<NamespaceType, String> paths = config.namespacePaths() == null ? java.util.Map.of()
                : config.namespacePaths();
        for (java.util.Map.Entry<NamespaceType, String> e : paths.entrySet()) {
            if (!dev.rabbithole.stage2.libcontainer.namespaces.NamespaceSpawner.JOINABLE.contains(e.getKey())) {
                throw new ContainerException(ContainerException.Kind.INVALID_CONFIG, "joining a "
                        + e.getKey().procName + " namespace by path is not supported (only net, uts, ipc, pid)");
            }
            if (!config.namespaces().contains(e.getKey())) {
                throw new ContainerException(ContainerException.Kind.INVALID_CONFIG, "namespace path for "
                        + e.getKey().procName + " given but that namespace is not in the config's namespaces");
            }
            if (e.getValue() == null || !e.getValue().startsWith("/") || !Files.exists(java.nio.file.Path.of(e.getValue()))) {
                throw new ContainerException(ContainerException.Kind.INVALID_CONFIG, "namespace path "
                        + e.getValue() + " for " + e.getKey().procName + ": no such file");
            }
        }
        if (config.network() != null && (!config.namespaces().contains(NamespaceType.NET)
                || paths.containsKey(NamespaceType.NET))) {
            throw new ContainerException(ContainerException.Kind.INVALID_CONFIG,
                    "a veth needs a new network namespace (not the host's, not a joined one)");
        }
    }
}
