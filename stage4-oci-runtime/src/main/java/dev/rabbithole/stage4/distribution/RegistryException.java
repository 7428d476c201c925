package dev.rabbithole.stage4.distribution;

import dev.rabbithole.stage1.errdefs.EngineException;

/**
 * A registry's refusal or an unreachable registry, with the Engine API status dockerd 20.10 gives it: 404 for an
 * unknown manifest or repository, 500 otherwise (refused credentials too: with a 401 the docker CLI would ask for
 * a password and pull again). The message is the registry's error in
 * Docker's form ({@code manifest unknown: manifest unknown}, distribution-spec "Error Codes").
 */
public final class RegistryException extends EngineException {
    private final int status;
    private final String code;

    /**
     * @param status  the Engine API status to answer with
     * @param code    the registry's error code, e.g. {@code MANIFEST_UNKNOWN}, or null
     * @param message the message
     */
    public RegistryException(int status, String code, String message) {
        super(message);
        this.status = status;
        this.code = code;
    }

    /** @return the registry's error code ({@code MANIFEST_UNKNOWN}, {@code UNAUTHORIZED}, ...), or null */
    public String code() {
        return code;
    }

    @Override
    public int httpStatus() {
        return status;
    }
}
