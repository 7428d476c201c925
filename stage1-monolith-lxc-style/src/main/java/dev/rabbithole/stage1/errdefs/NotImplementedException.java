package dev.rabbithole.stage1.errdefs;

/**
 * 501: the request is valid but this stage's engine cannot do it (moby's {@code errdefs.NotImplemented}, which
 * dockerd answers with 501 Not Implemented), e.g. {@code docker exec} on a runtime without exec.
 */
public class NotImplementedException extends EngineException {
    public NotImplementedException(String message) { super(message); }
    @Override public int httpStatus() { return 501; }
}
