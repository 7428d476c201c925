package dev.rabbithole.stage2.libcontainer.configs;

import java.util.List;

/**
 * A process to start inside a running container, as runc's {@code exec --process FILE}: the runtime-spec's
 * {@code process} object (config.md, "Process") for a process that joins the container's namespaces and
 * cgroup rather than making new ones. A null security field means "as the container": runc's exec takes the
 * container's capabilities, no_new_privs and rlimits unless the process object gives its own, and always the
 * container's seccomp filter.
 *
 * @param process         args, env, cwd (inside the container), uid, gid, additional gids, and the parent-death
 *                        signal (0: the process outlives the one that started it, as {@code runc exec --detach})
 * @param capabilities    the five sets, or null for the container's
 * @param noNewPrivileges prctl(PR_SET_NO_NEW_PRIVS) before execve; null for the container's setting
 * @param rlimits         setrlimit(2) values, or null for the container's
 * @param seccomp         the filter, or null for the container's ({@link #UNCONFINED} for none)
 * @param terminal        runtime-spec {@code process.terminal}: fds 0, 1, 2 are the slave of a new pty made in
 *                        the container's devpts, and the process's controlling terminal; the master goes to
 *                        {@code consoleSocket}
 * @param consoleSocket   host path of a listening unix socket (runc's {@code --console-socket}) that receives the
 *                        pty master as SCM_RIGHTS; required with {@code terminal}, refused without it
 */
public record ExecConfig(ProcessConfig process, CapabilitySet capabilities, Boolean noNewPrivileges,
                         List<Rlimit> rlimits, Seccomp seccomp, boolean terminal, String consoleSocket) {
    /** A seccomp value that means "no filter", even when the container has one. */
    public static final Seccomp UNCONFINED = new Seccomp(Seccomp.Action.ALLOW, 0, List.of(), List.of());

    /**
     * A process with the container's security settings and no terminal.
     *
     * @param process the process
     * @return the exec config
     */
    public static ExecConfig of(ProcessConfig process) {
        return new ExecConfig(process, null, null, null, null, false, null);
    }

    /**
     * @param terminal      whether the process gets a pty
     * @param consoleSocket where its master goes
     * @return this config with a terminal
     */
    public ExecConfig withTerminal(boolean terminal, String consoleSocket) {
        return new ExecConfig(process, capabilities, noNewPrivileges, rlimits, seccomp, terminal, consoleSocket);
    }

    /**
     * @param caps the capability sets, null for the container's
     * @param seccompFilter the filter, null for the container's
     * @return this config with these
     */
    public ExecConfig withSecurity(CapabilitySet caps, Seccomp seccompFilter) {
        return new ExecConfig(process, caps, noNewPrivileges, rlimits, seccompFilter, terminal, consoleSocket);
    }
}
