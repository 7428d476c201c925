package dev.rabbithole.stage2.libcontainer.configs;

import java.util.List;

/**
 * The workload, as the runtime-spec's "process" object.
 *
 * @param args           program and arguments; {@code args[0]} is looked up in PATH when not absolute
 * @param env            {@code KEY=VALUE} strings
 * @param cwd            absolute working directory inside the rootfs
 * @param uid            user ID the workload runs as
 * @param gid            group ID
 * @param additionalGids supplementary group IDs
 * @param parentDeathSignal the signal the init asks for with prctl(PR_SET_PDEATHSIG) right before execve, sent
 *                       by the kernel when the init's parent thread (the creating process's spawner) ends, as
 *                       runc's {@code configs.Config.ParentDeathSignal}; 0 for none: the container then outlives
 *                       the process that created it (the kernel reparents the init to the nearest subreaper)
 */
public record ProcessConfig(List<String> args, List<String> env, String cwd, int uid, int gid,
                            List<Integer> additionalGids, int parentDeathSignal) {
    /** SIGKILL: what the six-argument constructor asks for, the workload dies with its creator (stage 2's daemon). */
    public static final int DIE_WITH_PARENT = 9;

    /**
     * A workload that dies with its creator ({@link #DIE_WITH_PARENT}).
     *
     * @param args           program and arguments
     * @param env            {@code KEY=VALUE} strings
     * @param cwd            working directory inside the rootfs
     * @param uid            user ID
     * @param gid            group ID
     * @param additionalGids supplementary group IDs
     */
    public ProcessConfig(List<String> args, List<String> env, String cwd, int uid, int gid,
                         List<Integer> additionalGids) {
        this(args, env, cwd, uid, gid, additionalGids, DIE_WITH_PARENT);
    }

    /**
     * @param signal the parent-death signal, 0 for none
     * @return this workload with another parent-death signal
     */
    public ProcessConfig withParentDeathSignal(int signal) {
        return new ProcessConfig(args, env, cwd, uid, gid, additionalGids, signal);
    }
}
