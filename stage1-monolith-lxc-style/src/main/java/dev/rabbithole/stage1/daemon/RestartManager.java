package dev.rabbithole.stage1.daemon;

import java.time.Duration;

/**
 * One container's restart policy at work between a user's start and the next one, as moby's
 * {@code restartmanager}: after each exit it says whether to start the container again and after what delay.
 * The delay starts at {@value #FIRST_DELAY_MS} ms and doubles with each restart up to {@value #MAX_DELAY_MS} ms;
 * a run of {@value #RESET_AFTER_SECONDS} s or more sets it back to the first delay. A user's stop or kill cancels
 * it for good (moby's {@code ExitOnNext}): the exit that follows is not answered with a restart. Guarded by the
 * container's lock.
 */
final class RestartManager {

    /** The first back-off delay, milliseconds (moby's restart manager: 100 ms). */
    static final long FIRST_DELAY_MS = 100;
    /** The longest back-off delay, milliseconds (one minute). */
    static final long MAX_DELAY_MS = 60_000;
    /** A run at least this long, seconds, resets the back-off delay. */
    static final long RESET_AFTER_SECONDS = 10;

    private final HostConfig.RestartPolicy policy;
    private int restartCount;
    private long delayMs;
    private boolean canceled;

    /**
     * @param policy       the container's policy (null: {@code no})
     * @param restartCount restarts made so far (the container's RestartCount)
     */
    RestartManager(HostConfig.RestartPolicy policy, int restartCount) {
        this.policy = policy;
        this.restartCount = restartCount;
    }

    /**
     * Decides about one exit.
     *
     * @param exitCode        the exit's code
     * @param manuallyStopped a user stopped the container, or the daemon is shutting down
     * @param ran             how long the run lasted
     * @return the delay before the restart, or null for no restart
     */
    // tag::backoff[]
    Duration next(int exitCode, boolean manuallyStopped, Duration ran) {
        if (canceled) {
            return null;
        }
        if (ran.getSeconds() >= RESET_AFTER_SECONDS) {
            delayMs = 0;
        }
        delayMs = delayMs == 0 ? FIRST_DELAY_MS : Math.min(delayMs * 2, MAX_DELAY_MS);
        if (!RestartPolicies.wants(policy, exitCode, manuallyStopped, restartCount)) {
            return null;
        }
        restartCount++;
        return Duration.ofMillis(delayMs);
    }
    // end::backoff[]

    /** @return restarts made so far */
    int restartCount() {
        return restartCount;
    }

    /** A user stopped or killed the container: no more restarts until a user starts it again. */
    void cancel() {
        canceled = true;
    }

    /** @return whether {@link #cancel} was called */
    boolean canceled() {
        return canceled;
    }
}
