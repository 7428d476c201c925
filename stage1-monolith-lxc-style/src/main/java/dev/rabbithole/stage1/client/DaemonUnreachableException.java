package dev.rabbithole.stage1.client;

/**
 * Nothing listens on the daemon's socket (it does not exist, or connecting is refused). The message is the
 * one the client prints: {@code Cannot connect to the rabbithole daemon at unix:///... Is the daemon running?}.
 */
public class DaemonUnreachableException extends EngineClientException {
    /** @param host the daemon address, {@code unix:///path}  @param cause the connect failure */
    public DaemonUnreachableException(String host, Throwable cause) {
        super("Cannot connect to the rabbithole daemon at " + host + ". Is the daemon running?", cause);
    }
}
