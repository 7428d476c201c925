package dev.rabbithole.stage2.libcontainer.container;

/**
 * A container's status: the runtime-spec's runtime.md "state" values and runc's {@code paused}. Derived, not
 * trusted from {@code state.json}: from the init's pid and its start time (a reused pid is not the container),
 * the start gate (the exec FIFO exists until {@code start}) and the cgroup freezer ({@link ContainerStatus}).
 */
public enum Status {
    /** being created: the init is starting and not yet at its start gate */
    CREATING,
    /** created: the init did all setup and waits at the start gate, its workload not yet exec'd */
    CREATED,
    /** the start gate is open: the workload runs (or the init is about to execve it) */
    RUNNING,
    /** the container's cgroup is frozen (cgroup freezer) */
    PAUSED,
    /** the init (or the workload) has exited */
    STOPPED,
    /** destroyed: state removed */
    DESTROYED
}
