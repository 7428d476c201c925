package dev.rabbithole.stage1.builder;

/**
 * A build step that failed after the stream began: the {@code error} and {@code errorDetail} of the last message
 * (Docker's {@code {"errorDetail":{"code":3,"message":...},"error":...}}); the docker CLI exits with {@code code}
 * when it is not 0, else with 1.
 */
public class BuildFailure extends RuntimeException {

    private final int code;

    /**
     * @param message Docker's wording, e.g. {@code The command '/bin/sh -c exit 3' returned a non-zero code: 3}
     * @param code    a failed RUN's exit code, 0 for other failures
     */
    public BuildFailure(String message, int code) {
        super(message);
        this.code = code;
    }

    /** @return the failed RUN's exit code, or 0 */
    public int code() {
        return code;
    }
}
