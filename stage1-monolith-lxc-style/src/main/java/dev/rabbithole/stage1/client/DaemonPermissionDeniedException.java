package dev.rabbithole.stage1.client;

/**
 * The daemon's socket exists but this user may not connect to it: connect(2) failed with {@code EACCES} (the
 * socket is mode 0660, owner root; see unix(7), "Pathname socket ownership and permissions"). The message is
 * docker's for the same case, with this project's name: {@code permission denied while trying to connect to the
 * rabbithole daemon socket at unix:///PATH: connect: permission denied}.
 */
public class DaemonPermissionDeniedException extends EngineClientException {
    /** @param host the daemon address, {@code unix:///path}  @param cause the connect failure */
    public DaemonPermissionDeniedException(String host, Throwable cause) {
        super("permission denied while trying to connect to the rabbithole daemon socket at " + host
                + ": connect: permission denied", cause);
    }

    /**
     * @param cause why connect(2) failed, as Netty reports it ({@code connect(..) failed: Permission denied})
     * @return true for {@code EACCES}
     */
    static boolean isPermissionDenied(Throwable cause) {
        for (Throwable t = cause; t != null; t = t.getCause()) {
            if (t.getMessage() != null && t.getMessage().contains("Permission denied")) {
                return true;
            }
        }
        return false;
    }
}
