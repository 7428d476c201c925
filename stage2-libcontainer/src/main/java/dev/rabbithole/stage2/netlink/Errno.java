package dev.rabbithole.stage2.netlink;

import java.util.Map;

/**
 * Names of the errno values (errno(3), asm-generic/errno-base.h and errno.h) a netlink request can return, so that
 * an error reads {@code File exists (EEXIST)}, as iproute2 and runc print them.
 */
public final class Errno {
    private Errno() { }

    private static final Map<Integer, String[]> NAMES = Map.ofEntries(
            Map.entry(1, new String[] {"EPERM", "Operation not permitted"}),
            Map.entry(2, new String[] {"ENOENT", "No such file or directory"}),
            Map.entry(3, new String[] {"ESRCH", "No such process"}),
            Map.entry(4, new String[] {"EINTR", "Interrupted system call"}),
            Map.entry(5, new String[] {"EIO", "Input/output error"}),
            Map.entry(9, new String[] {"EBADF", "Bad file descriptor"}),
            Map.entry(11, new String[] {"EAGAIN", "Resource temporarily unavailable"}),
            Map.entry(12, new String[] {"ENOMEM", "Cannot allocate memory"}),
            Map.entry(13, new String[] {"EACCES", "Permission denied"}),
            Map.entry(14, new String[] {"EFAULT", "Bad address"}),
            Map.entry(16, new String[] {"EBUSY", "Device or resource busy"}),
            Map.entry(17, new String[] {"EEXIST", "File exists"}),
            Map.entry(19, new String[] {"ENODEV", "No such device"}),
            Map.entry(22, new String[] {"EINVAL", "Invalid argument"}),
            Map.entry(24, new String[] {"EMFILE", "Too many open files"}),
            Map.entry(28, new String[] {"ENOSPC", "No space left on device"}),
            Map.entry(34, new String[] {"ERANGE", "Numerical result out of range"}),
            Map.entry(36, new String[] {"ENAMETOOLONG", "File name too long"}),
            Map.entry(61, new String[] {"ENODATA", "No data available"}),
            Map.entry(93, new String[] {"EPROTONOSUPPORT", "Protocol not supported"}),
            Map.entry(95, new String[] {"EOPNOTSUPP", "Operation not supported"}),
            Map.entry(97, new String[] {"EAFNOSUPPORT", "Address family not supported by protocol"}),
            Map.entry(98, new String[] {"EADDRINUSE", "Address already in use"}),
            Map.entry(99, new String[] {"EADDRNOTAVAIL", "Cannot assign requested address"}),
            Map.entry(100, new String[] {"ENETDOWN", "Network is down"}),
            Map.entry(101, new String[] {"ENETUNREACH", "Network is unreachable"}),
            Map.entry(105, new String[] {"ENOBUFS", "No buffer space available"}));

    /**
     * @param errno a positive errno value
     * @return its symbolic name, e.g. {@code EEXIST}, or {@code errno N} for one not in the table
     */
    public static String name(int errno) {
        String[] n = NAMES.get(errno);
        return n == null ? "errno " + errno : n[0];
    }

    /**
     * @param errno a positive errno value
     * @return strerror(3)'s text for it in the C locale, or {@code Unknown error N}
     */
    public static String text(int errno) {
        String[] n = NAMES.get(errno);
        return n == null ? "Unknown error " + errno : n[1];
    }
}
