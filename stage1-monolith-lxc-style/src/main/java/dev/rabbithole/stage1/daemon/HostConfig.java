package dev.rabbithole.stage1.daemon;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

import dev.rabbithole.stage1.execdriver.DeviceMapping;

import java.util.List;

/**
 * The host-specific part of a container's configuration that stage 1 honours: the {@code HostConfig}
 * object of the Engine API 1.41 {@code POST /containers/create} body. The docker CLI sends about 62 keys;
 * the ones not listed here (Binds, PortBindings, RestartPolicy, LogConfig, ...) are ignored.
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
        @JsonProperty("GroupAdd") List<String> groupAdd) {

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
                securityOpt, privileged, networkMode, init, devices, groupAdd);
    }
}
