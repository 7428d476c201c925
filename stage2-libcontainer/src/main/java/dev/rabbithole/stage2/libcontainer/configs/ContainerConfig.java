package dev.rabbithole.stage2.libcontainer.configs;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * Everything libcontainer needs to make one container: what runc's {@code libcontainer/configs.Config} holds,
 * as a Jackson-serialisable record tree (it crosses the parent/init pipe as JSON).
 *
 * @param id              container ID, 64 hex characters (also names the cgroup)
 * @param rootfs          the root filesystem directory on the host (already an overlay mount)
 * @param readonlyRootfs  remount the rootfs read-only after setup
 * @param hostname        UTS hostname, set when the UTS namespace is new
 * @param namespaces      namespaces to create (runtime-spec "linux.namespaces")
 * @param mounts          extra mounts after /proc, /sys, /dev (runtime-spec "mounts")
 * @param maskedPaths     paths covered by /dev/null (files) or a read-only tmpfs (directories)
 * @param readonlyPaths   paths bind-remounted read-only
 * @param cgroup          cgroup placement and limits
 * @param capabilities    the five capability sets
 * @param seccomp         the filter, or null for unconfined
 * @param noNewPrivileges prctl(PR_SET_NO_NEW_PRIVS) before execve
 * @param rlimits         setrlimit(2) values
 * @param process         the workload
 * @param devices         device nodes created in the container besides the default ones (runtime-spec
 *                        "linux.devices"); one with a default device's path replaces it; null for none
 * @param namespacePaths  namespaces joined rather than made (runtime-spec "linux.namespaces[].path"): type to a
 *                        path such as {@code /proc/PID/ns/net}; each type is also in {@code namespaces}; null
 *                        for none. The parent joins them on the spawning thread (network, uts, ipc, pid)
 * @param network         the veth the parent makes and moves into the new network namespace, or null for none
 *                        (loopback only)
 * @param extras          the runtime-spec's domainname, personality, rootfs propagation and seccomp filter flags
 *                        ({@link SpecExtras}); null for none
 */
public record ContainerConfig(String id, Path rootfs, boolean readonlyRootfs, String hostname,
                              Set<NamespaceType> namespaces, List<Mount> mounts, List<String> maskedPaths,
                              List<String> readonlyPaths, Cgroup cgroup, CapabilitySet capabilities,
                              Seccomp seccomp, boolean noNewPrivileges, List<Rlimit> rlimits,
                              ProcessConfig process, List<Device> devices,
                              java.util.Map<NamespaceType, String> namespacePaths, Network network,
                              SpecExtras extras) {

    /** A config without {@link SpecExtras}. */
    public ContainerConfig(String id, Path rootfs, boolean readonlyRootfs, String hostname,
                           Set<NamespaceType> namespaces, List<Mount> mounts, List<String> maskedPaths,
                           List<String> readonlyPaths, Cgroup cgroup, CapabilitySet capabilities,
                           Seccomp seccomp, boolean noNewPrivileges, List<Rlimit> rlimits,
                           ProcessConfig process, List<Device> devices,
                           java.util.Map<NamespaceType, String> namespacePaths, Network network) {
        this(id, rootfs, readonlyRootfs, hostname, namespaces, mounts, maskedPaths, readonlyPaths, cgroup,
                capabilities, seccomp, noNewPrivileges, rlimits, process, devices, namespacePaths, network, null);
    }

    /**
     * @param more the runtime-spec settings beyond Docker's, or null for none
     * @return this config with them
     */
    public ContainerConfig withExtras(SpecExtras more) {
        return new ContainerConfig(id, rootfs, readonlyRootfs, hostname, namespaces, mounts, maskedPaths,
                readonlyPaths, cgroup, capabilities, seccomp, noNewPrivileges, rlimits, process, devices,
                namespacePaths, network, more);
    }

    /**
     * @param other the workload
     * @return this config with another workload, everything else kept
     */
    public ContainerConfig withProcess(ProcessConfig other) {
        return new ContainerConfig(id, rootfs, readonlyRootfs, hostname, namespaces, mounts, maskedPaths,
                readonlyPaths, cgroup, capabilities, seccomp, noNewPrivileges, rlimits, other, devices,
                namespacePaths, network, extras);
    }

    /**
     * @param more device nodes to create as well (runtime-spec {@code linux.devices})
     * @return this config with them after its own
     */
    public ContainerConfig withMoreDevices(List<Device> more) {
        List<Device> all = new java.util.ArrayList<>(devices == null ? List.of() : devices);
        all.addAll(more);
        return new ContainerConfig(id, rootfs, readonlyRootfs, hostname, namespaces, mounts, maskedPaths,
                readonlyPaths, cgroup, capabilities, seccomp, noNewPrivileges, rlimits, process, all,
                namespacePaths, network, extras);
    }

    /** @return the extras, never null ({@link SpecExtras#NONE} when unset) */
    @com.fasterxml.jackson.annotation.JsonIgnore
    public SpecExtras extrasOrNone() {
        return extras == null ? SpecExtras.NONE : extras;
    }

    /** A config without joined namespaces or a veth. */
    public ContainerConfig(String id, Path rootfs, boolean readonlyRootfs, String hostname,
                           Set<NamespaceType> namespaces, List<Mount> mounts, List<String> maskedPaths,
                           List<String> readonlyPaths, Cgroup cgroup, CapabilitySet capabilities,
                           Seccomp seccomp, boolean noNewPrivileges, List<Rlimit> rlimits,
                           ProcessConfig process, List<Device> devices) {
        this(id, rootfs, readonlyRootfs, hostname, namespaces, mounts, maskedPaths, readonlyPaths, cgroup,
                capabilities, seccomp, noNewPrivileges, rlimits, process, devices, null, null);
    }

    /**
     * @param newNamespaces  the namespaces, joined ones included
     * @param joined         type to path for the namespaces joined, or null
     * @param veth           the veth to make, or null
     * @return this config with other namespaces and network
     */
    public ContainerConfig withNetwork(Set<NamespaceType> newNamespaces, java.util.Map<NamespaceType, String> joined,
                                       Network veth) {
        return new ContainerConfig(id, rootfs, readonlyRootfs, hostname, newNamespaces, mounts, maskedPaths,
                readonlyPaths, cgroup, capabilities, seccomp, noNewPrivileges, rlimits, process, devices, joined, veth,
                extras);
    }

    /** A config without extra device nodes. */
    public ContainerConfig(String id, Path rootfs, boolean readonlyRootfs, String hostname,
                           Set<NamespaceType> namespaces, List<Mount> mounts, List<String> maskedPaths,
                           List<String> readonlyPaths, Cgroup cgroup, CapabilitySet capabilities,
                           Seccomp seccomp, boolean noNewPrivileges, List<Rlimit> rlimits,
                           ProcessConfig process) {
        this(id, rootfs, readonlyRootfs, hostname, namespaces, mounts, maskedPaths, readonlyPaths, cgroup,
                capabilities, seccomp, noNewPrivileges, rlimits, process, null);
    }
}
