package dev.rabbithole.stage1.errdefs;

/**
 * An error the Engine API reports to its client as {@code {"message": ...}} with the HTTP
 * status Docker uses for it (moby's {@code errdefs} package names the same classes).
 * Subclasses fix the status; the message is one line a user can act on.
 */
public abstract class EngineException extends RuntimeException {
    protected EngineException(String message) { super(message); }
    protected EngineException(String message, Throwable cause) { super(message, cause); }

    /** @return the HTTP status code Docker's daemon answers with for this error (400, 404, 409, 500) */
    public abstract int httpStatus();
}
