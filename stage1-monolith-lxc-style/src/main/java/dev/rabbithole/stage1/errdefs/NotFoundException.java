package dev.rabbithole.stage1.errdefs;

/** 404: no such container, image or exec instance ({@code "No such container: x"}). */
public class NotFoundException extends EngineException {
    public NotFoundException(String message) { super(message); }
    @Override public int httpStatus() { return 404; }
}
