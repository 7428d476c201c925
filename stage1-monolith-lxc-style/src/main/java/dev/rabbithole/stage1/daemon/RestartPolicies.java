package dev.rabbithole.stage1.daemon;

import dev.rabbithole.stage1.errdefs.InvalidParameterException;

/**
 * The rules of {@code --restart} ({@code HostConfig.RestartPolicy}, Engine API 1.41): which policies
 * {@code POST /containers/create} accepts, with dockerd 20.10's messages, and whether a daemon start restarts a
 * container that is not running (moby's {@code daemon.restore}, which asks each stopped container's restart
 * policy once).
 */
public final class RestartPolicies {
    private RestartPolicies() { }

    /** {@code always}: restart after every exit the user did not cause. */
    public static final String ALWAYS = "always";
    /** {@code unless-stopped}: as always, but a daemon start leaves a container the user stopped alone. */
    public static final String UNLESS_STOPPED = "unless-stopped";
    /** {@code on-failure[:N]}: restart after a non-zero exit, at most N times (0: no limit). */
    public static final String ON_FAILURE = "on-failure";

    /**
     * Checks a create request's restart policy as dockerd does ({@code verifyContainerSettings}).
     *
     * @param hostConfig the request's HostConfig; null accepts
     * @throws InvalidParameterException an unknown policy name ({@code invalid restart policy 'x'}), a count with a
     *                                   policy other than on-failure, a negative count, or a policy with AutoRemove
     *                                   ({@code --rm}): dockerd's messages, 400
     */
    public static void check(HostConfig hostConfig) {
        if (hostConfig == null || hostConfig.restartPolicy() == null) {
            return;
        }
        HostConfig.RestartPolicy p = hostConfig.restartPolicy();
        String name = p.name() == null ? "" : p.name();
        switch (name) {
            case "", "no", ALWAYS, UNLESS_STOPPED -> {
                if (p.maximumRetryCount() != 0) {
                    throw new InvalidParameterException("maximum retry count cannot be used with restart policy '"
                            + name + "'");
                }
            }
            case ON_FAILURE -> {
                if (p.maximumRetryCount() < 0) {
                    throw new InvalidParameterException("maximum retry count cannot be negative");
                }
            }
            default -> throw new InvalidParameterException("invalid restart policy '" + name + "'");
        }
        if (hostConfig.autoRemove() && !none(p)) {
            throw new InvalidParameterException("can't create 'AutoRemove' container with restart policy");
        }
    }

    /** @return true for no policy ({@code null}, {@code ""} or {@code no}) */
    static boolean none(HostConfig.RestartPolicy p) {
        return p == null || p.name() == null || p.name().isEmpty() || "no".equals(p.name());
    }

    /**
     * Whether a policy asks for a restart after an exit: always; unless-stopped unless a user stopped it;
     * on-failure after a non-zero exit while {@code restartsSoFar} is under the maximum (0: no maximum).
     *
     * @param exitCode       the exit's code
     * @param manuallyStopped a user stopped or killed it (or the daemon is shutting down)
     * @param restartsSoFar  restarts made since the user's last start
     */
    static boolean wants(HostConfig.RestartPolicy p, int exitCode, boolean manuallyStopped, int restartsSoFar) {
        if (none(p)) {
            return false;
        }
        return switch (p.name()) {
            case ALWAYS -> true;
            case UNLESS_STOPPED -> !manuallyStopped;
            case ON_FAILURE -> exitCode != 0 && (p.maximumRetryCount() == 0 || restartsSoFar < p.maximumRetryCount());
            default -> false;
        };
    }

    /**
     * Whether a daemon start restarts this container, which is not running: one that has run before and whose
     * policy wants a restart after its last exit (Debian's dockerd 20.10 restarts a stopped {@code always}
     * container, leaves a stopped {@code unless-stopped} one and a never-started one alone).
     *
     * @param c a container the restore found not running
     */
    static boolean restartsOnBoot(Container c) {
        ContainerState s = c.state();
        if (s.running() || "removing".equals(s.status()) || ContainerState.ZERO_TIME.equals(s.startedAt())) {
            return false;
        }
        return wants(c.hostConfig().restartPolicy(), s.exitCode(), c.hasBeenManuallyStopped(), c.restartCount());
    }
}
