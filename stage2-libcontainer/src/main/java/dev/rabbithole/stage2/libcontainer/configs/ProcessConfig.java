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
 * @param consoleSocket  the runtime-spec's {@code process.terminal} with runc's {@code --console-socket}: host path
 *                       of a listening unix socket; when set, the process's fds 0, 1, 2 are the slave of a new pty
 *                       made in the container's own devpts ({@code /dev/ptmx}, pty(7)) and its controlling
 *                       terminal, and the master is sent to this socket as one SCM_RIGHTS message (unix(7)) whose
 *                       data is {@code /dev/ptmx}, as runc's; null for no terminal
 */
public record ProcessConfig(List<String> args, List<String> env, String cwd, int uid, int gid,
                            List<Integer> additionalGids, int parentDeathSignal, String consoleSocket) {
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
     * A workload without a terminal.
     *
     * @param args              program and arguments
     * @param env               {@code KEY=VALUE} strings
     * @param cwd               working directory inside the rootfs
     * @param uid               user ID
     * @param gid               group ID
     * @param additionalGids    supplementary group IDs
     * @param parentDeathSignal the parent-death signal, 0 for none
     */
    public ProcessConfig(List<String> args, List<String> env, String cwd, int uid, int gid,
                         List<Integer> additionalGids, int parentDeathSignal) {
        this(args, env, cwd, uid, gid, additionalGids, parentDeathSignal, null);
    }

    /** @return whether the process gets a terminal (runtime-spec {@code process.terminal}): a console socket is set */
    @com.fasterxml.jackson.annotation.JsonIgnore
    public boolean terminal() {
        return consoleSocket != null;
    }

    /**
     * @param socket host path of the console socket, or null for no terminal
     * @return this workload with a terminal whose master goes to {@code socket}
     */
    public ProcessConfig withTerminal(String socket) {
        return new ProcessConfig(args, env, cwd, uid, gid, additionalGids, parentDeathSignal, socket);
    }

    /**
     * @param signal the parent-death signal, 0 for none
     * @return this workload with another parent-death signal
     */
    public ProcessConfig withParentDeathSignal(int signal) {
        return new ProcessConfig(args, env, cwd, uid, gid, additionalGids, signal, consoleSocket);
    }
}
