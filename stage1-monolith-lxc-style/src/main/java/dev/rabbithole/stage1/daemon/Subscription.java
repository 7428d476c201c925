package dev.rabbithole.stage1.daemon;

/** A registered {@link StreamListener}; closing it stops delivery (idempotent; {@code onEnd} is not called). */
public interface Subscription extends AutoCloseable {
    /** Stops delivering to the listener. */
    @Override
    void close();
}
