package dev.rabbithole.stage2.libcontainer.system;

import java.util.List;

/**
 * A failed system call: which call, with which arguments, and the errno it returned (errno(3)), rendered as
 * {@code pivot_root(".", "."): Invalid argument (errno 22)}.
 */
public class SyscallException extends RuntimeException {
    /** errno value for "No such file or directory" (errno(3)). */
    public static final int ENOENT = 2;
    /** errno value for "No such process" (errno(3)). */
    public static final int ESRCH = 3;
    /** errno value for "Device or resource busy" (errno(3)): e.g. a memory limit below what the cgroup uses. */
    public static final int EBUSY = 16;
    /** errno value for "Invalid argument" (errno(3)). */
    public static final int EINVAL = 22;

    private final String call;
    private final List<String> args;
    private final int errno;
    private final String strerror;

    /**
     * @param call     the system call's name, e.g. {@code mount}
     * @param args     its arguments, already rendered for people ({@code "MS_BIND|MS_REC"})
     * @param errno    the errno value
     * @param strerror strerror(3) text for {@code errno}
     */
    public SyscallException(String call, List<String> args, int errno, String strerror) {
        super(call + "(" + String.join(", ", args) + "): " + strerror + " (errno " + errno + ")");
        this.call = call;
        this.args = List.copyOf(args);
        this.errno = errno;
        this.strerror = strerror;
    }

    /** @return the system call's name */
    public String call() { return call; }

    /** @return the rendered arguments */
    public List<String> args() { return args; }

    /** @return the errno value (errno(3)) */
    public int errno() { return errno; }

    /** @return strerror(3) text, e.g. {@code Invalid argument} */
    public String strerror() { return strerror; }

    /** @return {@code call: strerror}, the short form the init reports to its parent */
    public String shortMessage() { return call + ": " + strerror; }
}
