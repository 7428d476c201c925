package dev.rabbithole.stage1.execdriver;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Docker 0.x's execution driver: the part of the daemon that turns a {@link Command} into a
 * running container. Stage 1 has the LXC driver; stage 2 adds the native (libcontainer) one.
 */
public interface ExecDriver {

    /** @return the name {@code /info} reports as ExecutionDriver, e.g. {@code lxc-5.0.2} */
    String name();

    /**
     * Starts the container and returns once its process runs.
     *
     * @throws dev.rabbithole.stage1.errdefs.SystemException the driver's tool is missing or the start failed
     *         (the message says which and why); nothing of the container is left running
     * @throws dev.rabbithole.stage1.errdefs.InvalidParameterException the command cannot be expressed
     */
    ContainerProcess start(Command command);

    /**
     * Removes what a container of this driver may have left behind when the daemon that ran it died
     * (processes, cgroups). Idempotent: nothing left is success.
     *
     * @param containerId the container ID, 64 hex characters
     * @param stateDir    the container's {@link Command#stateDir()}
     */
    void cleanup(String containerId, Path stateDir);

    /**
     * When a container of this driver ended, as far as the driver's state files tell, for a container whose
     * daemon died before it could record the exit (its FinishedAt).
     *
     * @param containerId the container ID, 64 hex characters
     * @param stateDir    the container's {@link Command#stateDir()}
     * @return the time the container ended, or empty when the driver cannot tell
     */
    default Optional<Instant> endedAt(String containerId, Path stateDir) {
        return Optional.empty();
    }

    /**
     * The name of the directory the daemon gives this driver in each container's directory
     * ({@code DATA_ROOT/containers/ID/NAME}, passed as {@link Command#stateDir()}).
     *
     * @return a plain file name; {@code lxc} unless the driver names its own (stage 1's layout)
     */
    default String stateDirName() {
        return "lxc";
    }

    /**
     * What the driver can tell about the kernel calls that started a container, one line each, in order:
     * what {@code run --explain} prints (a rabbithole extension, {@code GET /containers/{id}/explain}).
     *
     * @param containerId the container ID, 64 hex characters
     * @param stateDir    the container's {@link Command#stateDir()}
     * @return the lines; by default one line saying this driver records nothing
     */
    default List<String> explain(String containerId, Path stateDir) {
        return List.of("the " + name() + " exec driver does not record the kernel calls of a start");
    }

    /**
     * What {@code GET /info} reports of the driver, in a rabbithole extension field,
     * {@code ExecutionDriverStatus}: pairs as the storage driver's {@code DriverStatus}.
     *
     * @return label to value, in order; empty by default
     */
    default java.util.Map<String, String> status() {
        return java.util.Map.of();
    }

    /**
     * Whether this driver can give a container a stdin the daemon writes to ({@code docker run -i},
     * Config.OpenStdin) and a terminal ({@code -t}, Config.Tty); the daemon refuses at create what it cannot.
     *
     * @param stdio what the container asks for
     * @return true when the driver can start it so; by default only {@link Command.Stdio#NONE}
     */
    default boolean supports(Command.Stdio stdio) {
        return !stdio.openStdin() && !stdio.tty();
    }

    /** Releases what the driver keeps besides containers (the native driver's init pool); by default nothing. */
    default void close() {
    }

    /**
     * A running container's cgroup directories: per v1 controller ({@code memory}, {@code cpu}, {@code cpuacct},
     * {@code pids}, {@code freezer}, {@code blkio}) or {@code unified} for cgroup v2. The defaults of
     * {@link #pause}, {@link #update}, {@link #stats} and {@link #pids} act on these through
     * {@link dev.rabbithole.stage1.cgroups.CgroupFs}.
     *
     * @param containerId 64 hex characters
     * @param stateDir    the container's state directory
     * @throws UnsupportedOperationException by default (a driver that does not know its cgroups)
     * @throws dev.rabbithole.stage1.errdefs.ConflictException the container has no cgroup (it is not running)
     */
    default java.util.Map<String, Path> cgroupPaths(String containerId, Path stateDir) {
        throw new UnsupportedOperationException("the " + name() + " exec driver does not know its cgroups");
    }

    /**
     * Freezes or thaws a running container (cgroup freezer), returning once the kernel says it is done.
     *
     * @param frozen true for {@code docker pause}, false for {@code docker unpause}
     */
    default void pause(String containerId, Path stateDir, boolean frozen) {
        dev.rabbithole.stage1.cgroups.CgroupFs.freeze(cgroupPaths(containerId, stateDir), frozen);
    }

    /** Writes new limits to a running container's cgroup ({@code docker update}); 0 fields are left as they are. */
    default void update(String containerId, Path stateDir, dev.rabbithole.stage1.cgroups.ResourceUpdate update) {
        dev.rabbithole.stage1.cgroups.CgroupFs.update(cgroupPaths(containerId, stateDir), update);
    }

    /** @return the counters of a running container's cgroup ({@code docker stats}) */
    default dev.rabbithole.stage1.cgroups.ResourceStats stats(String containerId, Path stateDir) {
        return dev.rabbithole.stage1.cgroups.CgroupFs.stats(cgroupPaths(containerId, stateDir));
    }

    /** @return the host pids of a running container's processes, from its cgroup ({@code docker top}) */
    default List<Long> pids(String containerId, Path stateDir) {
        return dev.rabbithole.stage1.cgroups.CgroupFs.pids(cgroupPaths(containerId, stateDir));
    }
}
