package dev.rabbithole.stage1.errdefs;

/** 409: a name already in use, removing a running container without force, an image in use. */
public class ConflictException extends EngineException {
    public ConflictException(String message) { super(message); }
    @Override public int httpStatus() { return 409; }
}
