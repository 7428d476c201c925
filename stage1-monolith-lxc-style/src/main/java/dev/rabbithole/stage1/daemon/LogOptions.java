package dev.rabbithole.stage1.daemon;

import java.time.Instant;

/**
 * What {@code GET /containers/{id}/logs} asks for (Engine API 1.41, "Get container logs").
 *
 * @param stdout include stdout entries
 * @param stderr include stderr entries
 * @param follow keep delivering new output until the container exits ({@code -f})
 * @param tail   how many of the last entries to deliver; negative means all ({@code tail=all})
 * @param since  leave out entries written before this time ({@code since}); null for no bound
 * @param until  leave out entries written after this time, and stop following there ({@code until}); null for
 *               no bound
 */
public record LogOptions(boolean stdout, boolean stderr, boolean follow, int tail, Instant since, Instant until) {

    /** Both streams, everything, no follow. */
    public static final LogOptions ALL = new LogOptions(true, true, false, -1);

    /** Options without time bounds. */
    public LogOptions(boolean stdout, boolean stderr, boolean follow, int tail) {
        this(stdout, stderr, follow, tail, null, null);
    }

    /** @return true if entries of this stream are wanted */
    public boolean wants(StreamType stream) {
        return stream == StreamType.STDOUT ? stdout : stderr;
    }

    /** @return true if an entry written at {@code time} is not before {@code since} (Docker keeps equal times) */
    public boolean notBeforeSince(Instant time) {
        return since == null || !time.isBefore(since);
    }

    /** @return true if an entry written at {@code time} is after {@code until} */
    public boolean afterUntil(Instant time) {
        return until != null && time.isAfter(until);
    }
}
