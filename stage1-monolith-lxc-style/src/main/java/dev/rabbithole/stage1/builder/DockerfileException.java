package dev.rabbithole.stage1.builder;

import dev.rabbithole.stage1.errdefs.InvalidParameterException;

/**
 * A Dockerfile that cannot be parsed or whose words cannot be substituted: a 400 before the build starts (the
 * message Docker gives, e.g. {@code dockerfile parse error line 2: unknown instruction: FOO}), or the error of the
 * step it happened in.
 */
public class DockerfileException extends InvalidParameterException {
    /** @param message Docker's wording */
    public DockerfileException(String message) { super(message); }
}
