package dev.rabbithole.stage1.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rabbithole.stage1.errdefs.InvalidParameterException;

import java.util.List;
import java.util.Set;

/**
 * Refuses, at {@code POST /containers/create} (Engine API 1.41), the parts of a create body that stage 1
 * would otherwise ignore in silence: a user who types {@code --link} or {@code --pid host} must
 * learn that nothing of the kind happens, not find out later.
 *
 * <p>Every check accepts what the docker CLI (20.10 to 28) sends when the flag is <em>not</em> given: empty
 * strings, {@code null}, empty arrays and objects, {@code NetworkMode "default"},
 * {@code RestartPolicy {"Name":"no"}}, {@code MemorySwappiness -1}. The messages name the flag and the field:
 * {@code -p/--publish (HostConfig.PortBindings) is not supported by stage 1}. Mounts ({@code -v},
 * {@code --mount}, {@code --tmpfs}, {@code --read-only}, {@code --volumes-from}) are the daemon's (volume package),
 * and so is {@code --runtime} ({@code OciRuntimes}: refused where the daemon has no named runtimes).
 */
final class CreateChecks {

    private static final Set<String> IPC_MODES = Set.of("", "private", "shareable");
    private static final Set<String> CGROUPNS_MODES = Set.of("", "private");
    private static final Set<String> USERNS_MODES = Set.of("", "host");
    private static final Set<String> LOG_DRIVERS = Set.of("", "json-file");
    private static final Set<String> ISOLATION = Set.of("", "default");

    /** A HostConfig field that must be absent, null, false, 0, "" or empty, with the flag that sets it. */
    private record Unsupported(String field, String flag) { }

    private static final List<Unsupported> HOST_FIELDS = List.of(
            new Unsupported("VolumeDriver", "--volume-driver"),
            new Unsupported("Links", "--link"),
            new Unsupported("DeviceCgroupRules", "--device-cgroup-rule"),
            new Unsupported("DeviceRequests", "--gpus"),
            new Unsupported("PidMode", "--pid"),
            new Unsupported("UTSMode", "--uts"),
            new Unsupported("Sysctls", "--sysctl"),
            new Unsupported("Ulimits", "--ulimit"),
            new Unsupported("ShmSize", "--shm-size"),
            new Unsupported("CgroupParent", "--cgroup-parent"),
            new Unsupported("CpusetCpus", "--cpuset-cpus"),
            new Unsupported("CpusetMems", "--cpuset-mems"),
            new Unsupported("CpuRealtimePeriod", "--cpu-rt-period"),
            new Unsupported("CpuRealtimeRuntime", "--cpu-rt-runtime"),
            new Unsupported("BlkioWeight", "--blkio-weight"),
            new Unsupported("BlkioWeightDevice", "--blkio-weight-device"),
            new Unsupported("BlkioDeviceReadBps", "--device-read-bps"),
            new Unsupported("BlkioDeviceWriteBps", "--device-write-bps"),
            new Unsupported("BlkioDeviceReadIOps", "--device-read-iops"),
            new Unsupported("BlkioDeviceWriteIOps", "--device-write-iops"),
            new Unsupported("MemoryReservation", "--memory-reservation"),
            new Unsupported("MemorySwap", "--memory-swap"),
            new Unsupported("KernelMemory", "--kernel-memory"),
            new Unsupported("OomKillDisable", "--oom-kill-disable"),
            new Unsupported("OomScoreAdj", "--oom-score-adj"),
            new Unsupported("StorageOpt", "--storage-opt"));

    private CreateChecks() { }

    /**
     * Checks one create body.
     *
     * @param body the JSON object of {@code POST /containers/create}: ContainerConfig fields with a
     *             {@code HostConfig} object
     * @throws InvalidParameterException {@code FLAG (FIELD) is not supported by stage 1} for a field stage 1
     *                                   would ignore (stdin and TTY are checked by the daemon against its runtime)
     */
    static void check(JsonNode body) {
        // OpenStdin, AttachStdin, StdinOnce, Tty: the daemon checks them against its runtime (StdioSupport)
        if (isSet(body.get("Healthcheck")) && !healthcheckDisabled(body.get("Healthcheck"))) {
            throw unsupported("--health-cmd", "Config.Healthcheck");
        }
        JsonNode hc = body.get("HostConfig");
        if (hc == null || hc.isNull()) {
            return;
        }
        if (!hc.isObject()) {
            throw new InvalidParameterException("invalid container config: HostConfig is not an object");
        }
        for (Unsupported u : HOST_FIELDS) {
            if (isSet(hc.get(u.field()))) {
                throw unsupported(u.flag(), "HostConfig." + u.field());
            }
        }
        DeviceChecks.check(hc.get("Devices"));
        // MemorySwappiness: the CLI sends -1 for "not given"; null and 0..100 are an explicit choice
        JsonNode swappiness = hc.get("MemorySwappiness");
        if (swappiness != null && !swappiness.isNull() && swappiness.asLong() != -1) {
            throw unsupported("--memory-swappiness", "HostConfig.MemorySwappiness");
        }
        // NetworkMode (bridge, host, none, container:NAME, a network's name): the daemon's networks check it
        oneOf(hc, "IpcMode", IPC_MODES, "--ipc", "containers get their own IPC namespace");
        oneOf(hc, "CgroupnsMode", CGROUPNS_MODES, "--cgroupns", "containers get their own cgroup namespace");
        oneOf(hc, "UsernsMode", USERNS_MODES, "--userns", "stage 1 has no user namespaces");
        oneOf(hc, "Isolation", ISOLATION, "--isolation", "");
        // RestartPolicy: served (the daemon's RestartPolicies checks it)
        JsonNode log = hc.get("LogConfig");
        if (log != null && log.isObject()) {
            String type = log.path("Type").asText("");
            if (!LOG_DRIVERS.contains(type)) {
                throw new InvalidParameterException("--log-driver " + type
                        + " (HostConfig.LogConfig) is not supported by stage 1: logs are always json-file");
            }
            if (isSet(log.get("Config"))) {
                throw unsupported("--log-opt", "HostConfig.LogConfig.Config");
            }
        }
    }

    private static void oneOf(JsonNode hc, String field, Set<String> allowed, String flag, String why) {
        JsonNode v = hc.get(field);
        if (v == null || v.isNull()) {
            return;
        }
        String value = v.asText();
        if (!allowed.contains(value)) {
            throw new InvalidParameterException(flag + " " + value + " (HostConfig." + field
                    + ") is not supported by stage 1" + (why.isEmpty() ? "" : ": " + why));
        }
    }

    /** {@code --no-healthcheck} sends {@code {"Test":["NONE"]}}: nothing to run, nothing ignored. */
    private static boolean healthcheckDisabled(JsonNode healthcheck) {
        JsonNode test = healthcheck.path("Test");
        return test.isArray() && test.size() == 1 && "NONE".equals(test.get(0).asText());
    }

    /** @return whether a field carries a value: not absent, null, false, 0, "" or an empty array/object */
    static boolean isSet(JsonNode v) {
        if (v == null || v.isNull() || v.isMissingNode()) {
            return false;
        }
        if (v.isBoolean()) {
            return v.booleanValue();
        }
        if (v.isNumber()) {
            return v.doubleValue() != 0;
        }
        if (v.isTextual()) {
            return !v.textValue().isEmpty();
        }
        return v.size() > 0;
    }

    private static InvalidParameterException unsupported(String flag, String field) {
        return new InvalidParameterException(flag + " (" + field + ") is not supported by stage 1");
    }
}
