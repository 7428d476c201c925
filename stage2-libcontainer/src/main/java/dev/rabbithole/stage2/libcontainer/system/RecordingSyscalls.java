package dev.rabbithole.stage2.libcontainer.system;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * A {@link Syscalls} that records every call with its arguments and the reason given by {@link #because},
 * and optionally delegates to a real implementation. Without a delegate nothing reaches the kernel: tests
 * check the order of calls a container start makes, without root. Rendered, a call reads
 * {@code unshare(CLONE_NEWNS|CLONE_NEWPID)  new pid namespace for the init}.
 *
 * <p>Thread-safe: calls are appended under a lock.
 */
public final class RecordingSyscalls implements Syscalls {

    /**
     * One recorded call.
     *
     * @param name   system call name ({@code mount}, {@code pivot_root})
     * @param args   arguments rendered for people: strings quoted, flags by name
     * @param reason the one-line reason, or empty
     */
    public record Call(String name, List<String> args, String reason) {
        /** @return {@code name(arg, arg)} without the reason */
        public String signature() {
            return name + "(" + String.join(", ", args) + ")";
        }

        @Override
        public String toString() {
            return reason.isEmpty() ? signature() : String.format("%-72s %s", signature(), reason);
        }
    }

    /** A pre-rendered argument printed without quotes (flag names). */
    record Flags(String text) {
        @Override
        public String toString() {
            return text;
        }
    }

    private final Syscalls delegate;
    private final List<Call> calls = new ArrayList<>();
    private final ThreadLocal<String> pendingReason = ThreadLocal.withInitial(() -> "");

    /** Records only; nothing reaches the kernel; {@link #getpid} returns 1. */
    public RecordingSyscalls() {
        this(null);
    }

    /** @param delegate the implementation that makes the calls after they are recorded, or null for none */
    public RecordingSyscalls(Syscalls delegate) {
        this.delegate = delegate;
    }

    static Object flags(String text) {
        return new Flags(text);
    }

    static Object hex(long value) {
        return new Flags("0x" + Long.toHexString(value));
    }

    static String render(Object o) {
        if (o == null) {
            return "NULL";
        }
        if (o instanceof String s) {
            return "\"" + s + "\"";
        }
        if (o instanceof int[] a) {
            return Arrays.toString(a);
        }
        return o.toString();
    }

    /** @return a copy of the calls so far, in order */
    public List<Call> calls() {
        synchronized (calls) {
            return List.copyOf(calls);
        }
    }

    /** @return the calls so far as {@link Call#signature()} strings, in order */
    public List<String> signatures() {
        return calls().stream().map(Call::signature).toList();
    }

    /** @return every call on its own line with its reason, for the book and for debugging */
    public String transcript() {
        return calls().stream().map(Call::toString).collect(Collectors.joining("\n"));
    }

    @Override
    public Syscalls because(String reason) {
        pendingReason.set(Objects.requireNonNull(reason));
        return this;
    }

    private void record(String name, Object... args) {
        String reason = pendingReason.get();
        pendingReason.set("");
        List<String> rendered = Arrays.stream(args).map(RecordingSyscalls::render).toList();
        synchronized (calls) {
            calls.add(new Call(name, rendered, reason));
        }
    }

    @Override
    public int getpid() {
        return delegate == null ? 1 : delegate.getpid();
    }

    @Override
    public void unshare(int flags) {
        record("unshare", flags(CloneFlags.describe(flags)));
        if (delegate != null) delegate.unshare(flags);
    }

    @Override
    public void setns(int fd, int nstype) {
        record("setns", fd, flags(CloneFlags.describe(nstype)));
        if (delegate != null) delegate.setns(fd, nstype);
    }

    @Override
    public void mount(String source, String target, String fstype, long flags, String data) {
        record("mount", source, target, fstype, flags(MountFlags.describe(flags)), data);
        if (delegate != null) delegate.mount(source, target, fstype, flags, data);
    }

    @Override
    public void umount2(String target, int flags) {
        record("umount2", target, flags(flags == MountFlags.MNT_DETACH ? "MNT_DETACH" : Integer.toString(flags)));
        if (delegate != null) delegate.umount2(target, flags);
    }

    @Override
    public void pivotRoot(String newRoot, String putOld) {
        record("pivot_root", newRoot, putOld);
        if (delegate != null) delegate.pivotRoot(newRoot, putOld);
    }

    @Override
    public void chdir(String path) {
        record("chdir", path);
        if (delegate != null) delegate.chdir(path);
    }

    @Override
    public void chroot(String path) {
        record("chroot", path);
        if (delegate != null) delegate.chroot(path);
    }

    @Override
    public void sethostname(String name) {
        record("sethostname", name);
        if (delegate != null) delegate.sethostname(name);
    }

    @Override
    public void mknod(String path, int mode, int major, int minor) {
        record("mknod", path, flags("0" + Integer.toOctalString(mode)), flags(major + ":" + minor));
        if (delegate != null) delegate.mknod(path, mode, major, minor);
    }

    @Override
    public void chmod(String path, int mode) {
        record("chmod", path, flags("0" + Integer.toOctalString(mode)));
        if (delegate != null) delegate.chmod(path, mode);
    }

    @Override
    public void symlink(String target, String linkPath) {
        record("symlink", target, linkPath);
        if (delegate != null) delegate.symlink(target, linkPath);
    }

    @Override
    public int prctl(int option, long arg2, long arg3) {
        record("prctl", flags(prctlName(option)), arg2, arg3);
        return delegate != null ? delegate.prctl(option, arg2, arg3) : 0;
    }

    private static String prctlName(int option) {
        return switch (option) {
            case PR_SET_KEEPCAPS -> "PR_SET_KEEPCAPS";
            case PR_CAPBSET_READ -> "PR_CAPBSET_READ";
            case PR_CAPBSET_DROP -> "PR_CAPBSET_DROP";
            case PR_SET_NO_NEW_PRIVS -> "PR_SET_NO_NEW_PRIVS";
            case PR_CAP_AMBIENT -> "PR_CAP_AMBIENT";
            default -> Integer.toString(option);
        };
    }

    @Override
    public void capset(long effective, long permitted, long inheritable) {
        record("capset", hex(effective), hex(permitted), hex(inheritable));
        if (delegate != null) delegate.capset(effective, permitted, inheritable);
    }

    @Override
    public void setresuid(int ruid, int euid, int suid) {
        record("setresuid", ruid, euid, suid);
        if (delegate != null) delegate.setresuid(ruid, euid, suid);
    }

    @Override
    public void setresgid(int rgid, int egid, int sgid) {
        record("setresgid", rgid, egid, sgid);
        if (delegate != null) delegate.setresgid(rgid, egid, sgid);
    }

    @Override
    public void setgroups(int[] gids) {
        record("setgroups", (Object) gids);
        if (delegate != null) delegate.setgroups(gids);
    }

    @Override
    public void setrlimit(int resource, long soft, long hard) {
        record("setrlimit", resource, soft, hard);
        if (delegate != null) delegate.setrlimit(resource, soft, hard);
    }

    @Override
    public void seccompFilter(byte[] program) {
        record("seccomp", flags("SECCOMP_SET_MODE_FILTER"), flags("<" + program.length / 8 + " instructions>"));
        if (delegate != null) delegate.seccompFilter(program);
    }

    @Override
    public void closeRangeOnExec(int lowFd) {
        record("close_range", lowFd, flags("~0U"), flags("CLOSE_RANGE_CLOEXEC"));
        if (delegate != null) delegate.closeRangeOnExec(lowFd);
    }

    @Override
    public void clearSignalMask() {
        record("sigprocmask", flags("SIG_SETMASK"), flags("{}"));
        if (delegate != null) delegate.clearSignalMask();
    }

    @Override
    public void execve(String path, String[] argv, String[] envp) {
        record("execve", path, flags(Arrays.stream(argv).map(RecordingSyscalls::render)
                .collect(Collectors.joining(", ", "[", "]"))), flags("<" + envp.length + " env>"));
        if (delegate != null) delegate.execve(path, argv, envp);
    }

    @Override
    public void kill(int pid, int signal) {
        record("kill", pid, signal);
        if (delegate != null) delegate.kill(pid, signal);
    }
}
