package dev.rabbithole.stage2.netlink;

/**
 * Where {@link RtNetlink} records each request before it sends it, e.g. libcontainer's kernel-call recording that
 * {@code run --explain} prints.
 */
@FunctionalInterface
public interface Recorder {
    /**
     * @param reason one line saying why, may be empty
     * @param call   the call's name, {@code sendmsg} or {@code socket}
     * @param args   its arguments, rendered for people
     */
    void record(String reason, String call, String... args);
}
