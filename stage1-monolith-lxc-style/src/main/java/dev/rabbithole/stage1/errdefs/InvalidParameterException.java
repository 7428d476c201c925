package dev.rabbithole.stage1.errdefs;

/** 400: a malformed request, config, image archive or profile, or an unknown capability. */
public class InvalidParameterException extends EngineException {
    public InvalidParameterException(String message) { super(message); }
    public InvalidParameterException(String message, Throwable cause) { super(message, cause); }
    @Override public int httpStatus() { return 400; }
}
