package dev.rabbithole.stage2.libcontainer.container;

/**
 * A lifecycle operation failed. Its {@link #kind()} says why, so that a caller maps it without reading the
 * message: the daemon to an HTTP status (Engine API: 404 for {@link Kind#NOT_EXIST}, 409 for
 * {@link Kind#EXISTS} and {@link Kind#INCORRECT_STATUS}, 400 for {@link Kind#INVALID_CONFIG}, 500 otherwise), a
 * runc-like CLI to an exit status. The kinds follow runc's {@code libcontainer} error values ({@code ErrExist},
 * {@code ErrNotExist}, {@code ErrRunning}/{@code ErrNotRunning}/{@code ErrPaused}, ...).
 */
public class ContainerException extends Exception {
    /** Why an operation failed. */
    public enum Kind {
        /** a container with this ID exists already under the runtime root */
        EXISTS,
        /** no container with this ID under the runtime root */
        NOT_EXIST,
        /** the container's status does not allow the operation now (start of a running one, ...) */
        INCORRECT_STATUS,
        /** the config is rejected before anything is made ({@link ConfigValidation}) */
        INVALID_CONFIG,
        /** the container's init failed; {@link #failedCall()} and {@link #errno()} say where when a system call did */
        INIT_FAILED,
        /** the host side failed: a state file, a cgroup write, a timeout */
        SYSTEM
    }

    private final Kind kind;
    private final String failedCall;
    private final int errno;

    /** @param message what failed; kind {@link Kind#SYSTEM} */
    public ContainerException(String message) {
        this(Kind.SYSTEM, message, null);
    }

    /** @param message what failed @param cause the underlying failure; kind {@link Kind#SYSTEM} */
    public ContainerException(String message, Throwable cause) {
        this(Kind.SYSTEM, message, cause);
    }

    /** @param kind why @param message what failed */
    public ContainerException(Kind kind, String message) {
        this(kind, message, null);
    }

    /** @param kind why @param message what failed @param cause the underlying failure, or null */
    public ContainerException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
        this.failedCall = null;
        this.errno = 0;
    }

    private ContainerException(String message, String failedCall, int errno) {
        super(message);
        this.kind = Kind.INIT_FAILED;
        this.failedCall = failedCall;
        this.errno = errno;
    }

    /**
     * The init reported an error (or died) before its execve.
     *
     * @param message    the init's message, e.g. {@code pivot_root: Invalid argument (...)}
     * @param failedCall the failing system call as the init named it ({@code pivot_root}), or null
     * @param errno      that call's errno (errno(3)), or 0
     * @return a {@link Kind#INIT_FAILED} exception
     */
    public static ContainerException initFailed(String message, String failedCall, int errno) {
        return new ContainerException(message, failedCall, errno);
    }

    /** @return why the operation failed */
    public Kind kind() {
        return kind;
    }

    /** @return for {@link Kind#INIT_FAILED}: the system call that failed in the init, or null */
    public String failedCall() {
        return failedCall;
    }

    /** @return for {@link Kind#INIT_FAILED}: that call's errno, or 0 */
    public int errno() {
        return errno;
    }
}
