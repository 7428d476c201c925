package dev.rabbithole.stage1.client;

/** A call to the Engine API that did not produce an answer: the connection broke, or the answer was not HTTP. */
public class EngineClientException extends RuntimeException {
    /** @param message one line for the user */
    public EngineClientException(String message) { super(message); }
    /** @param message one line for the user  @param cause the I/O failure */
    public EngineClientException(String message, Throwable cause) { super(message, cause); }
}
