package dev.rabbithole.stage1.errdefs;

/** 500: the host failed us (a missing binary such as {@code lxc-execute}, a failed mount, I/O). */
public class SystemException extends EngineException {
    public SystemException(String message) { super(message); }
    public SystemException(String message, Throwable cause) { super(message, cause); }
    @Override public int httpStatus() { return 500; }
}
