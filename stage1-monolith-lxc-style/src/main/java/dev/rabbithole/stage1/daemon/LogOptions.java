package dev.rabbithole.stage1.daemon;

/**
 * What {@code GET /containers/{id}/logs} asks for (Engine API 1.41, "Get container logs").
 *
 * @param stdout include stdout entries
 * @param stderr include stderr entries
 * @param follow keep delivering new output until the container exits ({@code -f})
 * @param tail   how many of the last entries to deliver; negative means all ({@code tail=all})
 */
public record LogOptions(boolean stdout, boolean stderr, boolean follow, int tail) {

    /** Both streams, everything, no follow. */
    public static final LogOptions ALL = new LogOptions(true, true, false, -1);

    /** @return true if entries of this stream are wanted */
    public boolean wants(StreamType stream) {
        return stream == StreamType.STDOUT ? stdout : stderr;
    }
}
