package dev.rabbithole.stage2.libcontainer.container;

/** A container's status, as the runtime-spec's runtime.md "state" ({@code creating} and {@code created} folded). */
public enum Status {
    /** the init is starting */
    CREATING,
    /** the workload runs (the init has exec'd) */
    RUNNING,
    /** the workload has exited; its exit code is known */
    STOPPED,
    /** destroyed: state removed */
    DESTROYED
}
