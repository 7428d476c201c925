package dev.rabbithole.stage1.daemon;

/**
 * The output streams of a container, numbered as the Engine API's multiplexed stream header numbers them
 * (byte 0 of each frame: 1 stdout, 2 stderr; "Attach to a container", Engine API 1.41).
 */
public enum StreamType {
    /** the workload's standard output, frame type 1, {@code "stream":"stdout"} in the json-file log */
    STDOUT(1, "stdout"),
    /** the workload's standard error, frame type 2, {@code "stream":"stderr"} in the json-file log */
    STDERR(2, "stderr");

    private final int frameType;
    private final String logName;

    StreamType(int frameType, String logName) {
        this.frameType = frameType;
        this.logName = logName;
    }

    /** @return byte 0 of a multiplexed frame header for this stream */
    public int frameType() { return frameType; }

    /** @return the {@code stream} value in the json-file log */
    public String logName() { return logName; }

    /**
     * @param name {@code stdout} or {@code stderr}
     * @return the stream
     * @throws IllegalArgumentException any other name
     */
    public static StreamType ofLogName(String name) {
        for (StreamType t : values()) {
            if (t.logName.equals(name)) {
                return t;
            }
        }
        throw new IllegalArgumentException("unknown log stream " + name);
    }
}
