package dev.rabbithole.stage2.libcontainer.cgroups;

/** A cgroup file or directory operation failed; the message names the file, the value and the kernel's reason. */
public class CgroupException extends RuntimeException {
    /** @param message what failed, e.g. {@code cannot set memory.limit_in_bytes to -5: Invalid argument} */
    public CgroupException(String message) {
        super(message);
    }

    /**
     * @param message what failed
     * @param cause   the I/O error
     */
    public CgroupException(String message, Throwable cause) {
        super(message, cause);
    }
}
