package dev.rabbithole.stage3.runc;

/**
 * A runc command failed; the message is what runc prints for the same failure (e.g.
 * {@code container does not exist}, {@code container with given ID already exists}): containerd's shim matches
 * some of them ({@code does not exist}, {@code container not running}).
 */
public class RuncException extends Exception {
    /** @param message runc's message */
    public RuncException(String message) {
        super(message);
    }
}
