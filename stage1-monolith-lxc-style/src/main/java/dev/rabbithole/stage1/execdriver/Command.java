package dev.rabbithole.stage1.execdriver;

import dev.rabbithole.stage1.security.SeccompProfile;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * What the daemon asks an exec driver to run: Docker 0.x's {@code execdriver.Command}.
 *
 * @param id           the container ID, 64 hex characters
 * @param rootfs       the mounted root filesystem (from the storage driver)
 * @param stateDir     a directory the driver owns for this container (generated config, logs of the driver)
 * @param args         the process: entrypoint + cmd, already resolved, first element the program
 * @param env          {@code KEY=VALUE} strings, PATH included
 * @param workingDir   absolute path inside the rootfs, {@code /} by default
 * @param user         {@code uid[:gid]} or {@code name[:group]} as {@code docker run -u}; empty for root
 * @param hostname     the UTS hostname (Docker defaults it to the first 12 characters of the ID)
 * @param resources    cgroup limits
 * @param capabilities the capabilities the process keeps, names without {@code CAP_} ({@code CHOWN}, ...)
 * @param privileged   {@code --privileged}: all capabilities, no seccomp
 * @param seccomp      the filter to install, or {@code null} for {@code seccomp=unconfined}
 * @param noNewPrivileges {@code --security-opt no-new-privileges}: the process runs with the no_new_privs bit
 *                     (prctl(2) {@code PR_SET_NO_NEW_PRIVS}; runtime-spec {@code process.noNewPrivileges}), so
 *                     execve(2) of a setuid or file-capability binary grants nothing
 * @param init         {@code --init}: an init is pid 1 and the workload its child (Docker's docker-init, which is
 *                     tini); a driver whose containers always have an init (LXC) has nothing to add
 * @param devices      {@code --device}: host devices given to the container, each a node and a devices cgroup
 *                     rule ({@link HostDevices#resolve}); empty for none
 * @param groupAdd     {@code --group-add} (HostConfig.GroupAdd): group names or gids the process gets as
 *                     supplementary groups besides those of {@code /etc/group}; empty for none
 * @param stdio        {@code -i} and {@code -t} (Config.OpenStdin, Config.Tty): whether the process gets a stdin the
 *                     daemon writes to and a terminal; {@link Stdio#NONE} for neither
 * @param mounts       {@code -v}, {@code --mount}, {@code --tmpfs}, {@code --volumes-from}: the mounts besides the
 *                     rootfs, in the order they are made (a parent before its children); empty for none
 * @param readonlyRootfs {@code --read-only}: the rootfs is remounted read-only after every mount is made
 * @param network      {@code --network}: the container's network namespace and interface; {@link Network#NONE}
 *                     (loopback only) unless the daemon says otherwise
 */
public record Command(String id, Path rootfs, Path stateDir, List<String> args, List<String> env,
                      String workingDir, String user, String hostname, Resources resources,
                      Set<String> capabilities, boolean privileged, SeccompProfile seccomp,
                      boolean noNewPrivileges, boolean init, List<DeviceMapping> devices,
                      List<String> groupAdd, Stdio stdio, List<Mount> mounts, boolean readonlyRootfs,
                      Network network) {

    public Command {
        mounts = mounts == null ? List.of() : List.copyOf(mounts);
        network = network == null ? Network.NONE : network;
    }

    /**
     * @param newMounts    the mounts besides the rootfs, parents before children
     * @param readonly     {@code --read-only}
     * @return a copy with these mounts and read-only flag, the rest unchanged
     */
    public Command withMounts(List<Mount> newMounts, boolean readonly) {
        return new Command(id, rootfs, stateDir, args, env, workingDir, user, hostname, resources, capabilities,
                privileged, seccomp, noNewPrivileges, init, devices, groupAdd, stdio, newMounts, readonly, network);
    }

    /** A command without mounts and network (the parameter list before those fields existed). */
    public Command(String id, Path rootfs, Path stateDir, List<String> args, List<String> env,
                   String workingDir, String user, String hostname, Resources resources,
                   Set<String> capabilities, boolean privileged, SeccompProfile seccomp,
                   boolean noNewPrivileges, boolean init, List<DeviceMapping> devices,
                   List<String> groupAdd, Stdio stdio) {
        this(id, rootfs, stateDir, args, env, workingDir, user, hostname, resources, capabilities, privileged,
                seccomp, noNewPrivileges, init, devices, groupAdd, stdio, List.of(), false, Network.NONE);
    }

    /** A command without stdin and terminal (the parameter list before {@code -i} and {@code -t} existed). */
    public Command(String id, Path rootfs, Path stateDir, List<String> args, List<String> env,
                   String workingDir, String user, String hostname, Resources resources,
                   Set<String> capabilities, boolean privileged, SeccompProfile seccomp,
                   boolean noNewPrivileges, boolean init, List<DeviceMapping> devices,
                   List<String> groupAdd) {
        this(id, rootfs, stateDir, args, env, workingDir, user, hostname, resources, capabilities, privileged,
                seccomp, noNewPrivileges, init, devices, groupAdd, Stdio.NONE);
    }

    /**
     * The process's standard input and terminal, as {@code docker run -i -t} asks for them.
     *
     * @param openStdin Config.OpenStdin ({@code -i}): the process reads a stdin the daemon keeps open and writes to
     *                  (attach with {@code stdin=1}); false: stdin is {@code /dev/null}
     * @param tty       Config.Tty ({@code -t}): stdin, stdout and stderr are one pseudo-terminal; the output is
     *                  one raw stream, not multiplexed frames
     */
    public record Stdio(boolean openStdin, boolean tty) {
        /** Neither stdin nor terminal: {@code docker run} without {@code -i} and {@code -t}. */
        public static final Stdio NONE = new Stdio(false, false);
    }

    /** A command without {@code --init} and {@code --device} (the parameter list before those fields and {@code --group-add} existed). */
    public Command(String id, Path rootfs, Path stateDir, List<String> args, List<String> env,
                   String workingDir, String user, String hostname, Resources resources,
                   Set<String> capabilities, boolean privileged, SeccompProfile seccomp, boolean noNewPrivileges) {
        this(id, rootfs, stateDir, args, env, workingDir, user, hostname, resources, capabilities, privileged,
                seccomp, noNewPrivileges, false, List.of(), List.of());
    }

    /** A command without {@code --device}. */
    public Command(String id, Path rootfs, Path stateDir, List<String> args, List<String> env,
                   String workingDir, String user, String hostname, Resources resources,
                   Set<String> capabilities, boolean privileged, SeccompProfile seccomp, boolean noNewPrivileges,
                   boolean init) {
        this(id, rootfs, stateDir, args, env, workingDir, user, hostname, resources, capabilities, privileged,
                seccomp, noNewPrivileges, init, List.of(), List.of());
    }

    /** A command without {@code --init}. */
    public Command(String id, Path rootfs, Path stateDir, List<String> args, List<String> env,
                   String workingDir, String user, String hostname, Resources resources,
                   Set<String> capabilities, boolean privileged, SeccompProfile seccomp, boolean noNewPrivileges,
                   List<DeviceMapping> devices) {
        this(id, rootfs, stateDir, args, env, workingDir, user, hostname, resources, capabilities, privileged,
                seccomp, noNewPrivileges, false, devices, List.of());
    }

    /** A command without {@code no-new-privileges} (the parameter list before that field existed). */
    public Command(String id, Path rootfs, Path stateDir, List<String> args, List<String> env,
                   String workingDir, String user, String hostname, Resources resources,
                   Set<String> capabilities, boolean privileged, SeccompProfile seccomp) {
        this(id, rootfs, stateDir, args, env, workingDir, user, hostname, resources, capabilities, privileged,
                seccomp, false);
    }

    /**
     * cgroup limits; 0 means unlimited.
     *
     * @param memoryBytes {@code -m}, bytes
     * @param nanoCpus    {@code --cpus} times 10^9 (0.5 CPU = 500000000)
     * @param pidsLimit   {@code --pids-limit}, number of tasks; 0 or negative = unlimited
     * @param cpuShares   {@code --cpu-shares}, relative weight (1024 = default)
     */
    public record Resources(long memoryBytes, long nanoCpus, long pidsLimit, long cpuShares) {
        public static final Resources NONE = new Resources(0, 0, 0, 0);
    }
}
