package dev.rabbithole.stage1.client;

/**
 * The daemon answered with an error status (400, 404, 409, 500, ...) and the Engine API's error body
 * {@code {"message": "..."}}; {@link #getMessage()} is that message.
 */
public class EngineApiException extends EngineClientException {
    private final int status;

    /** @param status the HTTP status code  @param message the daemon's {@code message} */
    public EngineApiException(int status, String message) {
        super(message);
        this.status = status;
    }

    /** @return the HTTP status code the daemon answered with */
    public int status() { return status; }
}
