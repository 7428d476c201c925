package dev.rabbithole.stage1.daemon;

import dev.rabbithole.stage1.cgroups.ResourceStats;
import dev.rabbithole.stage1.cgroups.ResourceUpdate;
import dev.rabbithole.stage1.errdefs.NotImplementedException;
import dev.rabbithole.stage1.execdriver.Command;
import dev.rabbithole.stage1.execdriver.ContainerProcess;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

/**
 * What runs the daemon's containers: the one seam between the daemon's bookkeeping and the processes, as
 * moby's libcontainerd client is for dockerd. Start a container, and through the returned
 * {@link ContainerProcess} signal it and learn of its exit ({@link ContainerProcess#waitFor()}, the exit event);
 * on the daemon's start, say what became of a container that was running when the previous daemon stopped.
 *
 * <p>Stages 1 and 2 implement it over their exec driver ({@link ExecDriverRuntime}): containers are the
 * daemon's children and die with it. Stage 3 implements it with a containerd client: containers outlive the
 * daemon, and {@link #restore} reattaches to them.
 */
public interface ContainerRuntime extends AutoCloseable {

    /**
     * What became of a container that was running when the previous daemon stopped.
     *
     * @param process the container's process when it is still running (reattach to it), else null
     * @param endedAt when it ended, when it is not running: as the runtime's state files tell, else now
     */
    record Restored(ContainerProcess process, Instant endedAt) {

        /** @return a container that is gone (it died with the previous daemon), ended at the given time */
        public static Restored died(Instant endedAt) {
            return new Restored(null, endedAt);
        }

        /** @return a container that still runs: the daemon reattaches to its output and exit */
        public static Restored running(ContainerProcess process) {
            return new Restored(process, null);
        }

        /** @return true when the container still runs */
        public boolean alive() {
            return process != null;
        }
    }

    /**
     * Starts a container and returns once its process runs.
     *
     * @param command what to run, with {@link Command#stateDir()} from {@link #stateDir}
     * @return the running process: its output, signals ({@code kill(2)} numbers) and exit
     * @throws dev.rabbithole.stage1.errdefs.EngineException the start failed; nothing of it is left running
     */
    ContainerProcess start(Command command);

    /**
     * Decides the fate of a container the daemon's files say was running (or being removed) when the
     * previous daemon stopped, and releases what is left of it if it is gone. Idempotent.
     *
     * @param containerId 64 hex characters
     * @param startedAt   when it last started (a time the runtime's state files must not predate)
     * @return dead with its end time, or still running with its process
     */
    Restored restore(String containerId, Instant startedAt);

    /**
     * The directory the runtime keeps a container's state in ({@code DATA_ROOT/containers/ID/lxc} for LXC).
     *
     * @param containerId 64 hex characters
     */
    Path stateDir(String containerId);

    /**
     * The kernel calls that started a container, one line each, as the runtime recorded them
     * ({@code GET /containers/{id}/explain}, a rabbithole extension).
     *
     * @param containerId 64 hex characters
     */
    List<String> explain(String containerId);

    /**
     * Starts a process inside a running container (Engine API {@code POST /exec/{id}/start}): it joins the
     * container's namespaces and cgroup and gets the container's capabilities and seccomp policy (all
     * capabilities and no seccomp when {@link ExecSpec#privileged()}).
     *
     * @param containerId 64 hex characters; the container runs
     * @param execId      64 hex characters, the exec instance's ID
     * @param spec        what to run
     * @return the running process: its output, stdin, signals and exit
     * @throws UnsupportedOperationException when the runtime cannot exec (stages 1 and 2: exec came with stage 3)
     * @throws dev.rabbithole.stage1.errdefs.EngineException the exec failed; nothing of it is left running
     */
    default ContainerProcess exec(String containerId, String execId, ExecSpec spec) {
        throw new UnsupportedOperationException("exec is not served by this stage's runtime (it comes with stage 3)");
    }

    /**
     * Whether {@link #exec} is served, asked by {@code POST /containers/{id}/exec} so that a runtime without exec
     * is refused before the client hijacks the connection for the start (the docker CLI does not show the message
     * of a refused upgrade).
     *
     * @return true by default; false for {@link ExecDriverRuntime} (stages 1 and 2)
     */
    default boolean canExec() {
        return true;
    }

    /**
     * Whether this runtime can start a container with a stdin the daemon writes to (Config.OpenStdin,
     * {@code docker run -i}) and with a terminal (Config.Tty, {@code -t}); {@code POST /containers/create} refuses
     * what it cannot, with a message naming the stage.
     *
     * @param stdio what the container asks for
     * @return true by default (stage 3's runtime gives both); {@link ExecDriverRuntime} asks its exec driver
     */
    default boolean supports(Command.Stdio stdio) {
        return true;
    }

    /**
     * Whether the daemon's shutdown leaves the running containers running (dockerd's {@code --live-restore}):
     * then {@link #close} detaches from them, the daemon records no exit for them, and the next daemon on the same
     * data root finds them again through {@link #restore}. False by default: the daemon kills its containers when
     * it stops (Docker's default; the only choice for stages 1 and 2, whose containers are the daemon's children).
     *
     * @return true when running containers outlive the daemon's shutdown
     */
    default boolean liveRestore() {
        return false;
    }

    // tag::runtime-cgroup[]
    /**
     * Freezes every process of a running container (Engine API {@code POST /containers/{id}/pause}): the cgroup
     * freezer (kernel doc cgroup-v1/freezer-subsystem.rst, cgroup-v2.rst {@code cgroup.freeze}); returns once the
     * kernel reports the cgroup frozen.
     *
     * @param containerId 64 hex characters; the container runs
     * @throws dev.rabbithole.stage1.errdefs.NotImplementedException the runtime has no freezer (by default)
     * @throws dev.rabbithole.stage1.errdefs.EngineException the freeze failed
     */
    default void pause(String containerId) {
        throw new NotImplementedException("pause is not supported by this runtime");
    }

    /**
     * Thaws a container frozen by {@link #pause} ({@code POST /containers/{id}/unpause}).
     *
     * @param containerId 64 hex characters
     * @throws dev.rabbithole.stage1.errdefs.NotImplementedException by default
     */
    default void resume(String containerId) {
        throw new NotImplementedException("unpause is not supported by this runtime");
    }

    /**
     * Writes new limits to a running container's cgroup ({@code POST /containers/{id}/update}); the fields of the
     * update that are 0 stay as they are.
     *
     * @param containerId 64 hex characters; the container runs
     * @param update      bytes, microseconds, tasks (see {@link ResourceUpdate})
     * @throws dev.rabbithole.stage1.errdefs.NotImplementedException by default
     * @throws dev.rabbithole.stage1.errdefs.EngineException the kernel refused a value (the message names it)
     */
    default void update(String containerId, ResourceUpdate update) {
        throw new NotImplementedException("update is not supported by this runtime");
    }

    /**
     * The counters of a running container's cgroup ({@code GET /containers/{id}/stats}): CPU time in nanoseconds,
     * memory in bytes, tasks, block I/O per device.
     *
     * @param containerId 64 hex characters; the container runs
     * @throws dev.rabbithole.stage1.errdefs.NotImplementedException by default
     */
    default ResourceStats stats(String containerId) {
        throw new NotImplementedException("stats are not supported by this runtime");
    }

    /**
     * The host pids of every process of a running container, from its cgroup ({@code GET /containers/{id}/top}).
     *
     * @param containerId 64 hex characters; the container runs
     * @return pids as the host sees them
     * @throws dev.rabbithole.stage1.errdefs.NotImplementedException by default
     */
    default List<Long> pids(String containerId) {
        throw new NotImplementedException("top is not supported by this runtime");
    }
    // end::runtime-cgroup[]

    /**
     * The named OCI runtimes a container can be created with ({@code docker run --runtime NAME}, Engine API 1.41
     * {@code HostConfig.Runtime}), as dockerd's {@code --add-runtime} and {@code --default-runtime} configure them;
     * {@code GET /info} lists them. The daemon checks a create's runtime against them and records it
     * ({@link OciRuntimes#resolve}); the runtime starts the container with it.
     *
     * @return the runtimes; null (by default) when this runtime runs every container one way (stages 1 to 3):
     *         then a create that names a runtime is refused
     */
    default OciRuntimes ociRuntimes() {
        return null;
    }

    /** Releases what the runtime keeps besides containers; the daemon calls it last on shutdown. */
    @Override
    void close();
}
