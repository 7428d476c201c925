package dev.rabbithole.stage1.daemon;

/**
 * Receives a container's output as {@link Daemon#attach} and {@link Daemon#logs} deliver it. Callbacks run on
 * the daemon's output pump threads while it holds the container's log lock: they must not block (hand the
 * bytes to a Netty channel, a queue, ...).
 */
public interface StreamListener {

    /**
     * Output bytes, in the order the workload wrote them on that stream.
     *
     * @param stream stdout or stderr
     * @param data   the bytes; the listener may keep the array
     * @param time   when the daemon read them (the log entry's time)
     */
    void onData(StreamType stream, byte[] data, java.time.Instant time);

    /** No more output: the container exited (all its output was delivered first), was removed, or the log ended. */
    void onEnd();
}
