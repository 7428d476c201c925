package dev.rabbithole.stage2.libcontainer.container;

/** A lifecycle operation failed; for start, the message is the init's error ({@code pivot_root: Invalid argument}). */
public class ContainerException extends Exception {
    /** @param message what failed */
    public ContainerException(String message) {
        super(message);
    }

    /** @param message what failed @param cause the underlying failure */
    public ContainerException(String message, Throwable cause) {
        super(message, cause);
    }
}
