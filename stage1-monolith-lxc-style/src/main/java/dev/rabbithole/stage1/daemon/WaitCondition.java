package dev.rabbithole.stage1.daemon;

import dev.rabbithole.stage1.errdefs.InvalidParameterException;

/** The {@code condition} of {@code POST /containers/{id}/wait} (Engine API 1.41, "Wait for a container"). */
public enum WaitCondition {
    /** the default: returns at once if the container is not running, else at its exit */
    NOT_RUNNING("not-running"),
    /** returns at the container's next exit, even if it is not running now */
    NEXT_EXIT("next-exit"),
    /** returns once the container is removed (the status is its last exit code) */
    REMOVED("removed");

    private final String apiName;

    WaitCondition(String apiName) { this.apiName = apiName; }

    /** @return the query parameter value, e.g. {@code next-exit} */
    public String apiName() { return apiName; }

    /**
     * @param value the query parameter; null or empty means {@link #NOT_RUNNING}
     * @return the condition
     * @throws InvalidParameterException an unknown value
     */
    public static WaitCondition parse(String value) {
        if (value == null || value.isEmpty()) {
            return NOT_RUNNING;
        }
        for (WaitCondition c : values()) {
            if (c.apiName.equals(value)) {
                return c;
            }
        }
        throw new InvalidParameterException("invalid condition: \"" + value + "\"");
    }
}
