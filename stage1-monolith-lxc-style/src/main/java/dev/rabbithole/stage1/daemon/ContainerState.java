package dev.rabbithole.stage1.daemon;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * A container's run state, the {@code State} object of {@code GET /containers/{id}/json} (Engine API 1.41)
 * and of the daemon's {@code config.v2.json}. Immutable: each transition makes a new one.
 *
 * @param status     {@code created}, {@code running}, {@code paused}, {@code restarting}, {@code exited}, {@code removing}
 * @param running    the exec driver's process is alive (paused or not), or the restart policy is about to start it
 *                   again (Docker counts a restarting container as running: stop, kill and rm treat it so)
 * @param paused     the container's processes are frozen ({@code docker pause}); running stays true
 * @param restarting the process exited and the restart policy starts it again after its back-off delay
 * @param oomKilled  the kernel's OOM killer killed a process of the container during its last run (the exec
 *                   driver reads the memory cgroup's {@code oom_kill} counter)
 * @param dead       always false
 * @param pid        host pid of the container's pid 1 while running ({@code ContainerProcess.pid()}), else 0
 * @param exitCode   the last exit code: the workload's status or 128 + signal; 137 for a container that
 *                   died with the previous daemon; after a failed start 127 (program not found), 126 (cannot
 *                   be invoked) or 128 (any other start error), the status left as it was (Docker's)
 * @param error      why the start failed or why the container stopped, else empty
 * @param startedAt  RFC 3339 (nanoseconds) time of the last start, or Go's zero time
 * @param finishedAt RFC 3339 (nanoseconds) time of the last exit, or Go's zero time
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ContainerState(
        @JsonProperty("Status") String status,
        @JsonProperty("Running") boolean running,
        @JsonProperty("Paused") boolean paused,
        @JsonProperty("Restarting") boolean restarting,
        @JsonProperty("OOMKilled") boolean oomKilled,
        @JsonProperty("Dead") boolean dead,
        @JsonProperty("Pid") long pid,
        @JsonProperty("ExitCode") int exitCode,
        @JsonProperty("Error") String error,
        @JsonProperty("StartedAt") String startedAt,
        @JsonProperty("FinishedAt") String finishedAt) {

    /** Go's zero {@code time.Time} as Docker prints it for "never". */
    public static final String ZERO_TIME = "0001-01-01T00:00:00Z";

    /** @return the state of a container that was created and never started */
    public static ContainerState created() {
        return new ContainerState("created", false, false, false, false, false, 0, 0, "", ZERO_TIME, ZERO_TIME);
    }

    /**
     * @param pid     host pid of the exec driver's process
     * @param startedAt RFC 3339 start time
     * @return the state of a running container
     */
    public ContainerState toRunning(long pid, String startedAt) {
        return new ContainerState("running", true, false, false, false, false, pid, 0, "", startedAt, ZERO_TIME);
    }

    /**
     * @param exitCode   exit code as Docker reports it
     * @param error      error text, empty for a normal exit
     * @param finishedAt RFC 3339 exit time
     * @return the state of a container that has exited
     */
    public ContainerState toExited(int exitCode, String error, String finishedAt) {
        return new ContainerState("exited", false, false, false, false, false, 0, exitCode, error, startedAt,
                finishedAt);
    }

    /**
     * @param oomKilled whether the OOM killer struck during the run that just ended
     * @return this state with {@code OOMKilled} set as given
     */
    public ContainerState withOomKilled(boolean oomKilled) {
        return new ContainerState(status, running, paused, restarting, oomKilled, dead, pid, exitCode, error,
                startedAt, finishedAt);
    }

    /**
     * A failed start, as Docker records it: the status stays what it was ({@code created} for a container that
     * never ran), not running, with the start error and its exit code; the times are kept.
     *
     * @param exitCode 127, 126 or 128 (see {@link StartFailure#exitCode})
     * @param error    the start error's text
     * @return the state after the failed start
     */
    public ContainerState withStartError(int exitCode, String error) {
        return new ContainerState(status, false, paused, restarting, oomKilled, dead, 0, exitCode, error,
                startedAt, finishedAt);
    }

    /**
     * The state while the restart policy waits to start the container again, as moby's {@code SetRestarting}:
     * running and restarting, no pid, the exit just seen.
     *
     * @param exitCode   the exit that is being answered with a restart
     * @param finishedAt RFC 3339 exit time
     * @param oomKilled  whether the OOM killer struck during the run that just ended
     * @return the restarting state
     */
    public ContainerState toRestarting(int exitCode, String finishedAt, boolean oomKilled) {
        return new ContainerState("restarting", true, false, true, oomKilled, false, 0, exitCode, "", startedAt,
                finishedAt);
    }

    /**
     * @param value true after {@code docker pause}, false after {@code docker unpause}
     * @return this running state as {@code paused} (Running and Paused true) or {@code running} again
     */
    public ContainerState withPaused(boolean value) {
        return new ContainerState(value ? "paused" : "running", running, value, restarting, oomKilled, dead, pid,
                exitCode, error, startedAt, finishedAt);
    }

    /** @return this state with status {@code removing}, while the daemon deletes the container */
    public ContainerState toRemoving() {
        return new ContainerState("removing", false, false, false, oomKilled, dead, 0, exitCode, error, startedAt,
                finishedAt);
    }
}
