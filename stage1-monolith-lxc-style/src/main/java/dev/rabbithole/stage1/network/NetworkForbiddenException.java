package dev.rabbithole.stage1.network;

import dev.rabbithole.stage1.errdefs.EngineException;

/**
 * A network operation Docker answers with 403 Forbidden: an overlapping pool, removing a network with active
 * endpoints, removing a predefined network.
 */
public class NetworkForbiddenException extends EngineException {
    /** @param message Docker's message */
    public NetworkForbiddenException(String message) {
        super(message);
    }

    @Override
    public int httpStatus() {
        return 403;
    }
}
