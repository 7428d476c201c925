package dev.rabbithole.stage2.libcontainer.container;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import dev.rabbithole.stage2.libcontainer.configs.ContainerConfig;

import java.util.Map;

/**
 * What is persisted in {@code state.json} in the container's state directory (runtime-spec runtime.md, State;
 * runc's {@code libcontainer.State}): enough for another process to {@link LinuxFactory#load load} the
 * container, signal it and delete it. Written atomically (a temporary file renamed over it).
 *
 * @param id             container ID
 * @param status         the status when last written; the live status is derived ({@link ContainerStatus})
 * @param pid            the init's (later the workload's: same process) pid in the host's pid namespace, 0 before
 *                       it is spawned
 * @param initStartTime  the init's start time, field 22 of {@code /proc/PID/stat} (clock ticks after boot), -1
 *                       before it is spawned: a process with this pid and another start time is not the container
 * @param exitCode       exit code once stopped (128+signal when killed) when the writer saw it, else -1
 * @param rootfs         the rootfs path on the host
 * @param created        when the container was created, ISO-8601 UTC, or null
 * @param config         the config it was created with, or null
 * @param cgroupPaths    controller (or {@code ""} on cgroup v2) to the container's cgroup directory, empty
 *                       without a cgroup
 * @param namespacePaths namespace type ({@code mnt}, {@code pid}, ...) to {@code /proc/PID/ns/TYPE} of the
 *                       init, for each namespace the container made; empty before it is spawned
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ContainerState(String id, Status status, long pid, long initStartTime, int exitCode, String rootfs,
                             String created, ContainerConfig config, Map<String, String> cgroupPaths,
                             Map<String, String> namespacePaths) {
    /**
     * The short form an in-process caller reads.
     *
     * @param id       container ID
     * @param status   lifecycle status
     * @param pid      the workload's pid, 0 before start
     * @param exitCode exit code once stopped, else -1
     * @param rootfs   the rootfs path on the host
     */
    public ContainerState(String id, Status status, long pid, int exitCode, String rootfs) {
        this(id, status, pid, -1, exitCode, rootfs, null, null, Map.of(), Map.of());
    }
}
