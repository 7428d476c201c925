package dev.rabbithole.stage1.daemon;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

import dev.rabbithole.stage1.execdriver.DeviceMapping;

import java.util.List;
import java.util.Map;

/**
 * The host-specific part of a container's configuration that stage 1 honours: the {@code HostConfig}
 * object of the Engine API 1.41 {@code POST /containers/create} body. The docker CLI sends about 62 keys;
 * the ones not listed here (LogConfig, Links, ...) are ignored.
 *
 * @param autoRemove  {@code --rm}: remove the container once it exits (also when its start fails)
 * @param memory      {@code -m}, bytes; 0 = unlimited, else at least 6 MiB
 * @param nanoCpus    {@code --cpus} times 10^9; cannot be combined with cpuQuota/cpuPeriod
 * @param cpuQuota    {@code --cpu-quota}, microseconds per period
 * @param cpuPeriod   {@code --cpu-period}, microseconds; 0 means 100000
 * @param cpuShares   {@code --cpu-shares}, relative weight; 0 means the default 1024
 * @param pidsLimit   {@code --pids-limit}, tasks; null, 0 or negative = unlimited
 * @param capAdd      {@code --cap-add}, e.g. {@code CAP_SYS_ADMIN} or {@code NET_ADMIN} or {@code ALL}
 * @param capDrop     {@code --cap-drop}, likewise
 * @param securityOpt {@code --security-opt}: {@code seccomp=unconfined}, {@code seccomp=<profile JSON>},
 *                    {@code no-new-privileges}, {@code apparmor=...}, {@code label=...}
 * @param privileged  {@code --privileged}: every capability, no seccomp filter
 * @param networkMode {@code --network}; stage 1 reports it but only runs containers in the host's network
 *                    as LXC configures it
 * @param init        {@code --init}: run an init as pid 1 with the workload as its child (stage 2's native driver
 *                    binds tini there, as Docker binds docker-init; LXC always runs its own init); null = false
 * @param devices     {@code --device}: host devices for the container; null or empty for none
 * @param groupAdd    {@code --group-add}: group names (of the image's /etc/group) or gids added to the process's
 *                    supplementary groups; null or empty for none
 * @param binds       {@code -v SOURCE:DEST[:OPTIONS]} strings as the docker CLI sends them (SOURCE a host path or a
 *                    volume name; OPTIONS {@code ro}, {@code rw}, a propagation mode, {@code nocopy}); null for none
 * @param mounts      {@code --mount type=bind|volume|tmpfs,...}: the Engine API's Mount objects; null for none
 * @param tmpfs       {@code --tmpfs PATH[:OPTIONS]}: destination to mount(8) options ({@code size=64m,mode=1777});
 *                    null for none
 * @param readonlyRootfs {@code --read-only}: the root filesystem is mounted read-only
 * @param volumesFrom {@code --volumes-from NAME[:ro|rw]}: containers whose mounts this one gets; null for none
 * @param portBindings {@code -p}: {@code PORT/PROTO} (e.g. {@code 80/tcp}) to the host addresses and ports it is
 *                    published on; null for none
 * @param publishAllPorts {@code -P}: publish every exposed port on a free host port
 * @param restartPolicy {@code --restart}; null means {@code no}
 * @param dns         {@code --dns}: nameserver addresses for /etc/resolv.conf; null for the host's
 * @param dnsSearch   {@code --dns-search}: search domains; null for the host's
 * @param dnsOptions  {@code --dns-option}: resolv.conf(5) options; null for the host's
 * @param extraHosts  {@code --add-host NAME:IP}: lines added to /etc/hosts; null for none
 * @param memorySwap  {@code --memory-swap}: memory plus swap, bytes; 0 = not set, -1 = unlimited
 * @param runtime     {@code --runtime}: the name of the OCI runtime the container runs with (stage 4, see
 *                    {@link OciRuntimes}); null for none (stages 1 to 3, where it is absent from inspect)
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.ALWAYS)
public record HostConfig(
        @JsonProperty("AutoRemove") boolean autoRemove,
        @JsonProperty("Memory") long memory,
        @JsonProperty("NanoCpus") long nanoCpus,
        @JsonProperty("CpuQuota") long cpuQuota,
        @JsonProperty("CpuPeriod") long cpuPeriod,
        @JsonProperty("CpuShares") long cpuShares,
        @JsonProperty("PidsLimit") Long pidsLimit,
        @JsonProperty("CapAdd") List<String> capAdd,
        @JsonProperty("CapDrop") List<String> capDrop,
        @JsonProperty("SecurityOpt") List<String> securityOpt,
        @JsonProperty("Privileged") boolean privileged,
        @JsonProperty("NetworkMode") String networkMode,
        @JsonInclude(JsonInclude.Include.NON_NULL) @JsonProperty("Init") Boolean init,
        @JsonProperty("Devices") List<DeviceMapping> devices,
        @JsonProperty("GroupAdd") List<String> groupAdd,
        @JsonProperty("Binds") List<String> binds,
        @JsonProperty("Mounts") List<Mount> mounts,
        @JsonProperty("Tmpfs") Map<String, String> tmpfs,
        @JsonProperty("ReadonlyRootfs") boolean readonlyRootfs,
        @JsonProperty("VolumesFrom") List<String> volumesFrom,
        @JsonProperty("PortBindings") Map<String, List<PortBinding>> portBindings,
        @JsonProperty("PublishAllPorts") boolean publishAllPorts,
        @JsonProperty("RestartPolicy") RestartPolicy restartPolicy,
        @JsonProperty("Dns") List<String> dns,
        @JsonProperty("DnsSearch") List<String> dnsSearch,
        @JsonProperty("DnsOptions") List<String> dnsOptions,
        @JsonProperty("ExtraHosts") List<String> extraHosts,
        @JsonProperty("MemorySwap") long memorySwap,
        @JsonInclude(JsonInclude.Include.NON_NULL) @JsonProperty("Runtime") String runtime) {

    /**
     * One {@code --mount}: the Engine API's {@code Mount} object (Docker's {@code api/types/mount.Mount}).
     *
     * @param type          {@code bind}, {@code volume} or {@code tmpfs}
     * @param source        a host path (bind), a volume name (volume; empty for an anonymous one), empty (tmpfs)
     * @param target        the absolute path inside the container
     * @param readOnly      mounted read-only
     * @param consistency   ignored on Linux ({@code default}, {@code consistent}, {@code cached}, {@code delegated})
     * @param bindOptions   for bind mounts: propagation and recursion; null for the defaults
     * @param volumeOptions for volumes: nocopy, labels, driver; null for the defaults
     * @param tmpfsOptions  for tmpfs: size and mode; null for the defaults
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Mount(@JsonProperty("Type") String type,
                        @JsonProperty("Source") String source,
                        @JsonProperty("Target") String target,
                        @JsonProperty("ReadOnly") boolean readOnly,
                        @JsonProperty("Consistency") String consistency,
                        @JsonProperty("BindOptions") BindOptions bindOptions,
                        @JsonProperty("VolumeOptions") VolumeOptions volumeOptions,
                        @JsonProperty("TmpfsOptions") TmpfsOptions tmpfsOptions) {

        /**
         * @param propagation  {@code private}, {@code rprivate} (the default), {@code shared}, {@code rshared},
         *                     {@code slave}, {@code rslave} (mount_namespaces(7))
         * @param nonRecursive true: a plain bind, not {@code rbind} (submounts of the source are not carried)
         */
        @JsonIgnoreProperties(ignoreUnknown = true)
        @JsonInclude(JsonInclude.Include.NON_DEFAULT)
        public record BindOptions(@JsonProperty("Propagation") String propagation,
                                  @JsonProperty("NonRecursive") boolean nonRecursive) {
        }

        /**
         * @param noCopy       true: a new volume is not filled from the image's directory at the target
         * @param labels       labels of a volume created by this mount; null for none
         * @param driverConfig the volume driver and its options; null for {@code local}
         */
        @JsonIgnoreProperties(ignoreUnknown = true)
        @JsonInclude(JsonInclude.Include.NON_DEFAULT)
        public record VolumeOptions(@JsonProperty("NoCopy") boolean noCopy,
                                    @JsonProperty("Labels") Map<String, String> labels,
                                    @JsonProperty("DriverConfig") DriverConfig driverConfig) {
        }

        /**
         * @param name    the volume driver's name ({@code local})
         * @param options driver options (for {@code local}: {@code type}, {@code device}, {@code o} as mount(8))
         */
        @JsonIgnoreProperties(ignoreUnknown = true)
        @JsonInclude(JsonInclude.Include.NON_NULL)
        public record DriverConfig(@JsonProperty("Name") String name,
                                   @JsonProperty("Options") Map<String, String> options) {
        }

        /**
         * @param sizeBytes the tmpfs's size limit in bytes; 0 for the kernel's default (half the RAM)
         * @param mode      the root directory's permission bits (e.g. {@code 01777} as 1023); 0 for 1777
         */
        @JsonIgnoreProperties(ignoreUnknown = true)
        @JsonInclude(JsonInclude.Include.NON_DEFAULT)
        public record TmpfsOptions(@JsonProperty("SizeBytes") long sizeBytes,
                                   @JsonProperty("Mode") int mode) {
        }
    }

    /**
     * Where one container port is published on the host (the Engine API's {@code PortBinding}).
     *
     * @param hostIp   the host address to listen on; empty or null for every address ({@code 0.0.0.0})
     * @param hostPort the host port as a decimal string, or a range {@code 8000-8010}; empty or null for a free one
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record PortBinding(@JsonProperty("HostIp") String hostIp, @JsonProperty("HostPort") String hostPort) {
    }

    /**
     * {@code --restart}: what the daemon does when the container exits (the Engine API's {@code RestartPolicy}).
     *
     * @param name              {@code ""} or {@code no}, {@code always}, {@code unless-stopped}, {@code on-failure}
     * @param maximumRetryCount for {@code on-failure}: restarts before giving up; 0 = no limit
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record RestartPolicy(@JsonProperty("Name") String name,
                                @JsonProperty("MaximumRetryCount") int maximumRetryCount) {
        /** Docker's default: never restart. */
        public static final RestartPolicy NO = new RestartPolicy("no", 0);
    }

    /** A host config without {@code Runtime} (the parameter list before that field existed). */
    public HostConfig(boolean autoRemove, long memory, long nanoCpus, long cpuQuota, long cpuPeriod, long cpuShares,
                      Long pidsLimit, List<String> capAdd, List<String> capDrop, List<String> securityOpt,
                      boolean privileged, String networkMode, Boolean init, List<DeviceMapping> devices,
                      List<String> groupAdd, List<String> binds, List<Mount> mounts, Map<String, String> tmpfs,
                      boolean readonlyRootfs, List<String> volumesFrom, Map<String, List<PortBinding>> portBindings,
                      boolean publishAllPorts, RestartPolicy restartPolicy, List<String> dns, List<String> dnsSearch,
                      List<String> dnsOptions, List<String> extraHosts, long memorySwap) {
        this(autoRemove, memory, nanoCpus, cpuQuota, cpuPeriod, cpuShares, pidsLimit, capAdd, capDrop, securityOpt,
                privileged, networkMode, init, devices, groupAdd, binds, mounts, tmpfs, readonlyRootfs, volumesFrom,
                portBindings, publishAllPorts, restartPolicy, dns, dnsSearch, dnsOptions, extraHosts, memorySwap, null);
    }

    /** A host config without {@code MemorySwap} (the parameter list before that field existed). */
    public HostConfig(boolean autoRemove, long memory, long nanoCpus, long cpuQuota, long cpuPeriod, long cpuShares,
                      Long pidsLimit, List<String> capAdd, List<String> capDrop, List<String> securityOpt,
                      boolean privileged, String networkMode, Boolean init, List<DeviceMapping> devices,
                      List<String> groupAdd, List<String> binds, List<Mount> mounts, Map<String, String> tmpfs,
                      boolean readonlyRootfs, List<String> volumesFrom, Map<String, List<PortBinding>> portBindings,
                      boolean publishAllPorts, RestartPolicy restartPolicy, List<String> dns, List<String> dnsSearch,
                      List<String> dnsOptions, List<String> extraHosts) {
        this(autoRemove, memory, nanoCpus, cpuQuota, cpuPeriod, cpuShares, pidsLimit, capAdd, capDrop, securityOpt,
                privileged, networkMode, init, devices, groupAdd, binds, mounts, tmpfs, readonlyRootfs, volumesFrom,
                portBindings, publishAllPorts, restartPolicy, dns, dnsSearch, dnsOptions, extraHosts, 0);
    }

    /** A host config without mounts, ports, restart policy and DNS (the parameter list before those fields existed). */
    public HostConfig(boolean autoRemove, long memory, long nanoCpus, long cpuQuota, long cpuPeriod, long cpuShares,
                      Long pidsLimit, List<String> capAdd, List<String> capDrop, List<String> securityOpt,
                      boolean privileged, String networkMode, Boolean init, List<DeviceMapping> devices,
                      List<String> groupAdd) {
        this(autoRemove, memory, nanoCpus, cpuQuota, cpuPeriod, cpuShares, pidsLimit, capAdd, capDrop, securityOpt,
                privileged, networkMode, init, devices, groupAdd, null, null, null, false, null, null, false, null,
                null, null, null, null, 0);
    }

    /** A host config without {@code Init} and {@code Devices} (the parameter list before those fields and {@code GroupAdd} existed). */
    public HostConfig(boolean autoRemove, long memory, long nanoCpus, long cpuQuota, long cpuPeriod, long cpuShares,
                      Long pidsLimit, List<String> capAdd, List<String> capDrop, List<String> securityOpt,
                      boolean privileged, String networkMode) {
        this(autoRemove, memory, nanoCpus, cpuQuota, cpuPeriod, cpuShares, pidsLimit, capAdd, capDrop, securityOpt,
                privileged, networkMode, null, null, null);
    }

    /** A host config without {@code Devices}. */
    public HostConfig(boolean autoRemove, long memory, long nanoCpus, long cpuQuota, long cpuPeriod, long cpuShares,
                      Long pidsLimit, List<String> capAdd, List<String> capDrop, List<String> securityOpt,
                      boolean privileged, String networkMode, Boolean init) {
        this(autoRemove, memory, nanoCpus, cpuQuota, cpuPeriod, cpuShares, pidsLimit, capAdd, capDrop, securityOpt,
                privileged, networkMode, init, null, null);
    }

    /** A host config without {@code Init}. */
    public HostConfig(boolean autoRemove, long memory, long nanoCpus, long cpuQuota, long cpuPeriod, long cpuShares,
                      Long pidsLimit, List<String> capAdd, List<String> capDrop, List<String> securityOpt,
                      boolean privileged, String networkMode, List<DeviceMapping> devices) {
        this(autoRemove, memory, nanoCpus, cpuQuota, cpuPeriod, cpuShares, pidsLimit, capAdd, capDrop, securityOpt,
                privileged, networkMode, null, devices, null);
    }

    /** Everything default: no limits, Docker's default capabilities and seccomp profile, kept after exit. */
    public static final HostConfig DEFAULT = new HostConfig(false, 0, 0, 0, 0, 0, null, null, null, null, false, null);

    /** @return a copy with {@code AutoRemove} set as given ({@code --rm}) */
    public HostConfig withAutoRemove(boolean value) {
        return new HostConfig(value, memory, nanoCpus, cpuQuota, cpuPeriod, cpuShares, pidsLimit, capAdd, capDrop,
                securityOpt, privileged, networkMode, init, devices, groupAdd, binds, mounts, tmpfs, readonlyRootfs,
                volumesFrom, portBindings, publishAllPorts, restartPolicy, dns, dnsSearch, dnsOptions, extraHosts,
                memorySwap, runtime);
    }

    /**
     * A copy with new resources and restart policy ({@code docker update}, Engine API {@code POST /containers/{id}/update}).
     *
     * @param memory     bytes; 0 = unlimited
     * @param memorySwap memory plus swap, bytes; 0 = not set, -1 = unlimited
     * @param nanoCpus   CPUs times 10^9
     * @param cpuQuota   microseconds per period
     * @param cpuPeriod  microseconds
     * @param cpuShares  relative weight
     * @param pidsLimit  tasks; null = unlimited
     * @param restart    the restart policy (stored as given)
     */
    public HostConfig withResources(long memory, long memorySwap, long nanoCpus, long cpuQuota, long cpuPeriod,
                                    long cpuShares, Long pidsLimit, RestartPolicy restart) {
        return new HostConfig(autoRemove, memory, nanoCpus, cpuQuota, cpuPeriod, cpuShares, pidsLimit, capAdd, capDrop,
                securityOpt, privileged, networkMode, init, devices, groupAdd, binds, mounts, tmpfs, readonlyRootfs,
                volumesFrom, portBindings, publishAllPorts, restart, dns, dnsSearch, dnsOptions, extraHosts,
                memorySwap, runtime);
    }

    /**
     * @param name the OCI runtime's name ({@code HostConfig.Runtime}, {@code docker run --runtime})
     * @return a copy that runs with that runtime
     */
    public HostConfig withRuntime(String name) {
        return new HostConfig(autoRemove, memory, nanoCpus, cpuQuota, cpuPeriod, cpuShares, pidsLimit, capAdd, capDrop,
                securityOpt, privileged, networkMode, init, devices, groupAdd, binds, mounts, tmpfs, readonlyRootfs,
                volumesFrom, portBindings, publishAllPorts, restartPolicy, dns, dnsSearch, dnsOptions, extraHosts,
                memorySwap, name);
    }
}
