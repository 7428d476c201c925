package dev.rabbithole.stage3.runc;

/**
 * A bundle's {@code config.json} (runtime-spec config.md, config-linux.md) that cannot be run: malformed, or
 * asking for something stage 2's libcontainer cannot do. The message names the field, e.g.
 * {@code linux.uidMappings: user namespaces are not supported}, as runc's own config errors do. Thrown before
 * anything exists on the host.
 */
public class SpecException extends Exception {
    /** @param message what is wrong, starting with the field's path in config.json */
    public SpecException(String message) {
        super(message);
    }
}
