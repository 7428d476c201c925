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
     * @param error  null when the call succeeded (or was not made: no delegate), else strerror(3) text of the
     *               errno the delegate reported, e.g. {@code No such file or directory}
     */
    public record Call(String name, List<String> args, String reason, String error) {
        /** A call that succeeded. @param name name @param args rendered arguments @param reason why */
        public Call(String name, List<String> args, String reason) {
            this(name, args, reason, null);
        }

        /** @return {@code name(arg, arg)} without the reason, with {@code = -1 (error)} when it failed */
        public String signature() {
            return name + "(" + String.join(", ", args) + ")" + (error == null ? "" : " = -1 (" + error + ")");
        }

        @Override
        public String toString() {
            return Transcript.line(signature(), reason);
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

    /**
     * Appends calls recorded elsewhere (the init's, received over the control socket) after this recorder's.
     *
     * @param more calls in their order
     */
    public void addAll(List<Call> more) {
        synchronized (calls) {
            calls.addAll(more);
        }
    }

    /** @return how many calls are recorded so far: an index for {@link #annotateFrom} */
    public int size() {
        synchronized (calls) {
            return calls.size();
        }
    }

    /**
     * Adds a reason to the calls recorded from index {@code from} on, after their own: what a caller knows
     * about a group of calls that the code making them does not (e.g. "raised for the init JVM").
     *
     * @param from   the first call's index ({@link #size()} before the group)
     * @param reason appended as {@code OWN REASON; REASON}
     */
    public void annotateFrom(int from, String reason) {
        synchronized (calls) {
            for (int i = from; i < calls.size(); i++) {
                Call c = calls.get(i);
                String r = c.reason() == null || c.reason().isEmpty() ? reason : c.reason() + "; " + reason;
                calls.set(i, new Call(c.name(), c.args(), r, c.error()));
            }
        }
    }

    @Override
    public Syscalls because(String reason) {
        pendingReason.set(Objects.requireNonNull(reason));
        return this;
    }

    private int record(String name, Object... args) {
        String reason = pendingReason.get();
        pendingReason.set("");
        List<String> rendered = Arrays.stream(args).map(RecordingSyscalls::render).toList();
        synchronized (calls) {
            calls.add(new Call(name, rendered, reason));
            return calls.size() - 1;
        }
    }

    /** Records the call, then makes it through the delegate; a failure is marked on the recorded call. */
    private void call(Runnable body, String name, Object... args) {
        int index = record(name, args);
        if (delegate == null) {
            return;
        }
        try {
            body.run();
        } catch (SyscallException e) {
            synchronized (calls) {
                Call c = calls.get(index);
                calls.set(index, new Call(c.name(), c.args(), c.reason(), e.strerror()));
            }
            throw e;
        }
    }

    @Override
    public void note(String name, String... args) {
        record(name, Arrays.stream(args).map(RecordingSyscalls::flags).toArray());
    }

    @Override
    public void writeFile(String path, String value) {
        call(() -> delegate.writeFile(path, value), "write", flags(path), flags(value));
    }

    @Override
    public int getpid() {
        return delegate == null ? 1 : delegate.getpid();
    }

    @Override
    public void unshare(int flags) {
        call(() -> delegate.unshare(flags), "unshare", flags(CloneFlags.describe(flags)));
    }

    @Override
    public void setns(int fd, int nstype) {
        call(() -> delegate.setns(fd, nstype), "setns", fd, flags(CloneFlags.describe(nstype)));
    }

    @Override
    public void mount(String source, String target, String fstype, long flags, String data) {
        call(() -> delegate.mount(source, target, fstype, flags, data), "mount", source, target, fstype, flags(MountFlags.describe(flags)), data);
    }

    @Override
    public void umount2(String target, int flags) {
        call(() -> delegate.umount2(target, flags), "umount2", target, flags(flags == MountFlags.MNT_DETACH ? "MNT_DETACH" : Integer.toString(flags)));
    }

    @Override
    public void pivotRoot(String newRoot, String putOld) {
        call(() -> delegate.pivotRoot(newRoot, putOld), "pivot_root", newRoot, putOld);
    }

    @Override
    public void chdir(String path) {
        call(() -> delegate.chdir(path), "chdir", path);
    }

    @Override
    public void chroot(String path) {
        call(() -> delegate.chroot(path), "chroot", path);
    }

    @Override
    public void sethostname(String name) {
        call(() -> delegate.sethostname(name), "sethostname", name);
    }

    @Override
    public void mknod(String path, int mode, int major, int minor) {
        call(() -> delegate.mknod(path, mode, major, minor), "mknod", path, flags("0" + Integer.toOctalString(mode)), flags(major + ":" + minor));
    }

    @Override
    public void chmod(String path, int mode) {
        call(() -> delegate.chmod(path, mode), "chmod", path, flags("0" + Integer.toOctalString(mode)));
    }

    @Override
    public void symlink(String target, String linkPath) {
        call(() -> delegate.symlink(target, linkPath), "symlink", target, linkPath);
    }

    @Override
    public int prctl(int option, long arg2, long arg3) {
        int[] result = new int[1];
        Object a2 = option == PR_SET_PDEATHSIG && arg2 == SIGKILL ? flags("SIGKILL") : arg2;
        call(() -> result[0] = delegate.prctl(option, arg2, arg3), "prctl", flags(prctlName(option)), a2, arg3);
        return result[0];
    }

    private static String prctlName(int option) {
        return switch (option) {
            case PR_SET_PDEATHSIG -> "PR_SET_PDEATHSIG";
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
        call(() -> delegate.capset(effective, permitted, inheritable), "capset", hex(effective), hex(permitted), hex(inheritable));
    }

    @Override
    public void setresuid(int ruid, int euid, int suid) {
        call(() -> delegate.setresuid(ruid, euid, suid), "setresuid", ruid, euid, suid);
    }

    @Override
    public void setresgid(int rgid, int egid, int sgid) {
        call(() -> delegate.setresgid(rgid, egid, sgid), "setresgid", rgid, egid, sgid);
    }

    @Override
    public void setgroups(int[] gids) {
        call(() -> delegate.setgroups(gids), "setgroups", (Object) gids);
    }

    @Override
    public void setrlimit(int resource, long soft, long hard) {
        call(() -> delegate.setrlimit(resource, soft, hard), "setrlimit", flags(Rlimits.name(resource)), soft, hard);
    }

    @Override
    public void seccompFilter(byte[] program) {
        call(() -> delegate.seccompFilter(program), "seccomp", flags("SECCOMP_SET_MODE_FILTER"), flags(program.length / 8 + " instructions"));
    }

    @Override
    public void seccompFilter(byte[] program, int flags) {
        call(() -> delegate.seccompFilter(program, flags), "seccomp", flags("SECCOMP_SET_MODE_FILTER"), flags,
                flags(program.length / 8 + " instructions"));
    }

    @Override
    public void setdomainname(String name) {
        call(() -> delegate.setdomainname(name), "setdomainname", name);
    }

    @Override
    public void personality(long persona) {
        call(() -> delegate.personality(persona), "personality", flags("0x" + Long.toHexString(persona)));
    }

    @Override
    public void closeRangeOnExec(int lowFd) {
        call(() -> delegate.closeRangeOnExec(lowFd), "close_range", lowFd, flags("~0U"), flags("CLOSE_RANGE_CLOEXEC"));
    }

    @Override
    public void clearSignalMask() {
        call(() -> delegate.clearSignalMask(), "sigprocmask", flags("SIG_SETMASK"), flags("{}"));
    }

    @Override
    public void execve(String path, String[] argv, String[] envp) {
        call(() -> delegate.execve(path, argv, envp), "execve", path, flags(Arrays.stream(argv)
                .map(RecordingSyscalls::render).collect(Collectors.joining(", ", "[", "]"))),
                flags("<" + envp.length + " env>"));
    }

    /** Without a delegate: a made-up descriptor, 100 and up, different for each call. */
    @Override
    public int bpfProgLoad(int progType, byte[] insns, String license) {
        int[] fd = {nextFakeFd()};
        call(() -> fd[0] = delegate.bpfProgLoad(progType, insns, license), "bpf", flags("BPF_PROG_LOAD"),
                flags("{prog_type=" + bpfProgType(progType) + ", insn_cnt=" + insns.length / 8 + ", license=\""
                        + license + "\"}"));
        return fd[0];
    }

    private static String bpfProgType(int type) {
        return type == BPF_PROG_TYPE_CGROUP_DEVICE ? "BPF_PROG_TYPE_CGROUP_DEVICE" : Integer.toString(type);
    }

    @Override
    public void bpfProgAttach(int targetFd, int progFd, int attachType, int flags) {
        call(() -> delegate.bpfProgAttach(targetFd, progFd, attachType, flags), "bpf", flags("BPF_PROG_ATTACH"),
                flags("{target_fd=" + targetFd + ", attach_bpf_fd=" + progFd + ", attach_type="
                        + (attachType == BPF_CGROUP_DEVICE ? "BPF_CGROUP_DEVICE" : Integer.toString(attachType))
                        + ", attach_flags=" + (flags == BPF_F_ALLOW_MULTI ? "BPF_F_ALLOW_MULTI" : Integer.toString(flags))
                        + "}"));
    }

    /** Without a delegate: a made-up descriptor, 100 and up. */
    @Override
    public int openDirectory(String path) {
        int[] fd = {nextFakeFd()};
        call(() -> fd[0] = delegate.openDirectory(path), "open", path, flags("O_RDONLY|O_DIRECTORY|O_CLOEXEC"));
        return fd[0];
    }

    @Override
    public void close(int fd) {
        call(() -> delegate.close(fd), "close", fd);
    }

    private final java.util.concurrent.atomic.AtomicInteger fakeFds = new java.util.concurrent.atomic.AtomicInteger(100);

    private int nextFakeFd() {
        return fakeFds.getAndIncrement();
    }

    @Override
    public void kill(int pid, int signal) {
        call(() -> delegate.kill(pid, signal), "kill", pid, signal);
    }

    @Override
    public void interfaceUp(String name) {
        call(() -> delegate.interfaceUp(name), "ioctl", flags("SIOCSIFFLAGS"), name, flags("IFF_UP"));
    }

    @Override
    public int openNamespace(String path) {
        int[] fd = {nextFakeFd()};
        call(() -> fd[0] = delegate.openNamespace(path), "open", path, flags("O_RDONLY|O_CLOEXEC"));
        return fd[0];
    }
}
