package dev.rabbithole.stage2.libcontainer.container;

/**
 * What is persisted in {@code state.json} in the container's state directory (runtime-spec runtime.md, State).
 *
 * @param id       container ID
 * @param status   lifecycle status
 * @param pid      the workload's pid in the host's pid namespace, 0 before start
 * @param exitCode exit code once stopped (128+signal when killed), else -1
 * @param rootfs   the rootfs path on the host
 */
public record ContainerState(String id, Status status, long pid, int exitCode, String rootfs) {
}
