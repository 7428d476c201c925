package dev.rabbithole.stage2.libcontainer.system;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import com.sun.jna.StringArray;

import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;

/**
 * {@link Syscalls} through JNA direct mapping to glibc. Credentials and pivot_root go through the raw
 * {@code syscall(2)} so they touch the calling thread only (see {@link Syscalls} on per-thread state). Numbers are for x86_64 and
 * aarch64 (the only architectures supported).
 */
public final class JnaSyscalls implements Syscalls {

    private static final boolean AARCH64 = "aarch64".equals(System.getProperty("os.arch"));
    private static final long SYS_SETRESUID = AARCH64 ? 147 : 117;
    private static final long SYS_SETRESGID = AARCH64 ? 149 : 119;
    private static final long SYS_SETGROUPS = AARCH64 ? 159 : 116;
    private static final long SYS_PIVOT_ROOT = AARCH64 ? 41 : 155;
    private static final long SYS_CLOSE_RANGE = 436;
    private static final long SYS_BPF = AARCH64 ? 280 : 321;
    private static final int BPF_PROG_LOAD = 5;
    private static final int BPF_PROG_ATTACH = 8;
    /** sizeof(union bpf_attr) we pass: the fields we set, the rest zero (the kernel accepts a zero tail) */
    private static final int BPF_ATTR_SIZE = 128;
    private static final int O_RDONLY = 0;
    private static final int O_DIRECTORY = AARCH64 ? 040000 : 0200000;
    private static final long CLOSE_RANGE_CLOEXEC = 1L << 2;
    private static final int PR_SET_SECCOMP = 22;
    private static final int SECCOMP_MODE_FILTER = 2;
    private static final int LINUX_CAPABILITY_VERSION_3 = 0x20080522;
    private static final int SIG_SETMASK = 2;
    private static final int O_WRONLY = 01;
    private static final int O_TRUNC = 01000;
    private static final int O_CLOEXEC = 02000000;
    private static final int AF_INET = 2;
    private static final int SOCK_DGRAM = 2;
    private static final int SOCK_CLOEXEC = 02000000;
    private static final long SIOCGIFFLAGS = 0x8913;
    private static final long SIOCSIFFLAGS = 0x8914;
    private static final short IFF_UP = 0x1;
    /** {@code struct ifreq}: 16 bytes of name, then a 24-byte union whose first member is {@code short ifr_flags}. */
    private static final int IFREQ_SIZE = 40;
    private static final int IFNAMSIZ = 16;

    /** glibc, direct mapping. */
    private static final class Libc {
        static {
            Native.register(Libc.class, NativeLibrary.getInstance("c"));
        }

        static native int getpid();
        static native int unshare(int flags) throws LastErrorException;
        static native int setns(int fd, int nstype) throws LastErrorException;
        static native int mount(String source, String target, String fstype, long flags, String data)
                throws LastErrorException;
        static native int umount2(String target, int flags) throws LastErrorException;
        static native int chdir(String path) throws LastErrorException;
        static native int chroot(String path) throws LastErrorException;
        static native int sethostname(String name, long len) throws LastErrorException;
        static native int setdomainname(String name, long len) throws LastErrorException;
        static native int personality(long persona) throws LastErrorException;
        static native int fcntl(int fd, int cmd, long arg) throws LastErrorException;
        static native int mknod(String path, int mode, long dev) throws LastErrorException;
        static native int chmod(String path, int mode) throws LastErrorException;
        static native int symlink(String target, String linkPath) throws LastErrorException;
        static native int prctl(int option, long a2, long a3, long a4, long a5) throws LastErrorException;
        static native int prctl(int option, long a2, Pointer a3, long a4, long a5) throws LastErrorException;
        static native int capset(Pointer header, Pointer data) throws LastErrorException;
        static native int setrlimit(int resource, Pointer rlim) throws LastErrorException;
        static native int sigprocmask(int how, Pointer set, Pointer old) throws LastErrorException;
        static native int execve(String path, Pointer argv, Pointer envp) throws LastErrorException;
        static native int kill(int pid, int sig) throws LastErrorException;
        static native int open(String path, int flags) throws LastErrorException;
        static native long write(int fd, byte[] buf, long count) throws LastErrorException;
        static native int close(int fd) throws LastErrorException;
        static native long syscall(long number, long a1, long a2, long a3) throws LastErrorException;
        static native long syscall(long number, long a1, int[] a2) throws LastErrorException;
        static native long syscall(long number, String a1, String a2) throws LastErrorException;
        static native long syscall(long number, long a1, Pointer a2, long a3) throws LastErrorException;
        static native long syscall(long number, long a1, long a2, Pointer a3) throws LastErrorException;
        static native String strerror(int errnum);
        static native int socket(int domain, int type, int protocol) throws LastErrorException;
        static native int ioctl(int fd, long request, Pointer arg) throws LastErrorException;
    }

    /** Loads libc on first use; throws {@link UnsatisfiedLinkError} when a symbol is missing. */
    public JnaSyscalls() {
    }

    private static <T> T call(String name, Supplier<T> body, Object... args) {
        try {
            return body.get();
        } catch (LastErrorException e) {
            int errno = e.getErrorCode();
            List<String> rendered = Arrays.stream(args).map(RecordingSyscalls::render).toList();
            throw new SyscallException(name, rendered, errno, Libc.strerror(errno));
        }
    }

    @Override
    public int getpid() {
        return Libc.getpid();
    }

    @Override
    public void unshare(int flags) {
        call("unshare", () -> Libc.unshare(flags), RecordingSyscalls.flags(CloneFlags.describe(flags)));
    }

    @Override
    public void setns(int fd, int nstype) {
        call("setns", () -> Libc.setns(fd, nstype), fd, RecordingSyscalls.flags(CloneFlags.describe(nstype)));
    }

    @Override
    public void mount(String source, String target, String fstype, long flags, String data) {
        call("mount", () -> Libc.mount(source, target, fstype, flags, data),
                source, target, fstype, RecordingSyscalls.flags(MountFlags.describe(flags)), data);
    }

    @Override
    public void umount2(String target, int flags) {
        call("umount2", () -> Libc.umount2(target, flags), target,
                RecordingSyscalls.flags(flags == MountFlags.MNT_DETACH ? "MNT_DETACH" : Integer.toString(flags)));
    }

    @Override
    public void pivotRoot(String newRoot, String putOld) {
        call("pivot_root", () -> Libc.syscall(SYS_PIVOT_ROOT, newRoot, putOld), newRoot, putOld);
    }

    @Override
    public void chdir(String path) {
        call("chdir", () -> Libc.chdir(path), path);
    }

    @Override
    public void chroot(String path) {
        call("chroot", () -> Libc.chroot(path), path);
    }

    @Override
    public void sethostname(String name) {
        call("sethostname", () -> Libc.sethostname(name, name.getBytes(java.nio.charset.StandardCharsets.UTF_8).length),
                name);
    }

    @Override
    public void mknod(String path, int mode, int major, int minor) {
        call("mknod", () -> Libc.mknod(path, mode, makedev(major, minor)), path,
                RecordingSyscalls.flags("0" + Integer.toOctalString(mode)), major + ":" + minor);
    }

    /** makedev(3) for glibc's 64-bit dev_t. */
    static long makedev(long major, long minor) {
        return ((major & 0xfffff000L) << 32) | ((major & 0xfffL) << 8)
                | ((minor & 0xffffff00L) << 12) | (minor & 0xffL);
    }

    @Override
    public void chmod(String path, int mode) {
        call("chmod", () -> Libc.chmod(path, mode), path, RecordingSyscalls.flags("0" + Integer.toOctalString(mode)));
    }

    @Override
    public void symlink(String target, String linkPath) {
        call("symlink", () -> Libc.symlink(target, linkPath), target, linkPath);
    }

    @Override
    public int prctl(int option, long arg2, long arg3) {
        return call("prctl", () -> Libc.prctl(option, arg2, arg3, 0L, 0L), option, arg2, arg3);
    }

    @Override
    public void capset(long effective, long permitted, long inheritable) {
        Memory header = new Memory(8);
        header.setInt(0, LINUX_CAPABILITY_VERSION_3);
        header.setInt(4, 0); // 0 = the calling thread
        Memory data = new Memory(24);
        long[] sets = {effective, permitted, inheritable};
        for (int word = 0; word < 2; word++) {
            for (int set = 0; set < 3; set++) {
                data.setInt(word * 12L + set * 4L, (int) (sets[set] >>> (32 * word)));
            }
        }
        call("capset", () -> Libc.capset(header, data), RecordingSyscalls.hex(effective),
                RecordingSyscalls.hex(permitted), RecordingSyscalls.hex(inheritable));
    }

    @Override
    public void setresuid(int ruid, int euid, int suid) {
        call("setresuid", () -> Libc.syscall(SYS_SETRESUID, ruid, euid, suid), ruid, euid, suid);
    }

    @Override
    public void setresgid(int rgid, int egid, int sgid) {
        call("setresgid", () -> Libc.syscall(SYS_SETRESGID, rgid, egid, sgid), rgid, egid, sgid);
    }

    @Override
    public void setgroups(int[] gids) {
        call("setgroups", () -> Libc.syscall(SYS_SETGROUPS, gids.length, gids.length == 0 ? new int[1] : gids),
                Arrays.toString(gids));
    }

    @Override
    public void setrlimit(int resource, long soft, long hard) {
        Memory rlim = new Memory(16);
        rlim.setLong(0, soft);
        rlim.setLong(8, hard);
        call("setrlimit", () -> Libc.setrlimit(resource, rlim), resource, soft, hard);
    }

    @Override
    public void seccompFilter(byte[] program) {
        if (program.length == 0 || program.length % 8 != 0) {
            throw new IllegalArgumentException("a BPF program is a non-empty array of 8-byte instructions, got "
                    + program.length + " bytes");
        }
        Memory filter = new Memory(program.length);
        filter.write(0, program, 0, program.length);
        Memory fprog = new Memory(16); // struct sock_fprog { unsigned short len; struct sock_filter *filter; }
        fprog.clear();
        fprog.setShort(0, (short) (program.length / 8));
        fprog.setPointer(8, filter);
        call("prctl", () -> Libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, fprog, 0L, 0L),
                RecordingSyscalls.flags("PR_SET_SECCOMP"), RecordingSyscalls.flags("SECCOMP_MODE_FILTER"),
                RecordingSyscalls.flags("<" + program.length / 8 + " instructions>"));
    }

    /** seccomp(2)'s number: x86_64 317, aarch64 (the generic table) 277. */
    private static final long SYS_SECCOMP = com.sun.jna.Platform.isARM() ? 277 : 317;
    private static final long SECCOMP_SET_MODE_FILTER = 1;

    @Override
    public void seccompFilter(byte[] program, int flags) {
        if (flags == 0) {
            seccompFilter(program);
            return;
        }
        if (program.length == 0 || program.length % 8 != 0) {
            throw new IllegalArgumentException("a BPF program is a non-empty array of 8-byte instructions, got "
                    + program.length + " bytes");
        }
        Memory filter = new Memory(program.length);
        filter.write(0, program, 0, program.length);
        Memory fprog = new Memory(16);
        fprog.clear();
        fprog.setShort(0, (short) (program.length / 8));
        fprog.setPointer(8, filter);
        call("seccomp", () -> Libc.syscall(SYS_SECCOMP, SECCOMP_SET_MODE_FILTER, flags & 0xffffffffL, fprog),
                RecordingSyscalls.flags("SECCOMP_SET_MODE_FILTER"), flags,
                RecordingSyscalls.flags("<" + program.length / 8 + " instructions>"));
    }

    @Override
    public void setdomainname(String name) {
        call("setdomainname", () -> Libc.setdomainname(name,
                name.getBytes(java.nio.charset.StandardCharsets.UTF_8).length), name);
    }

    @Override
    public void personality(long persona) {
        call("personality", () -> Libc.personality(persona), RecordingSyscalls.flags("0x" + Long.toHexString(persona)));
    }

    @Override
    public void closeRangeOnExec(int lowFd) {
        try {
            call("close_range", () -> Libc.syscall(SYS_CLOSE_RANGE, lowFd, 0xffffffffL, CLOSE_RANGE_CLOEXEC), lowFd,
                    RecordingSyscalls.flags("~0U"), RecordingSyscalls.flags("CLOSE_RANGE_CLOEXEC"));
        } catch (SyscallException e) {
            if (e.errno() != 1 && e.errno() != 38) { // EPERM, ENOSYS: a seccomp filter (or an old kernel) refused it
                throw e;
            }
            // as runc: every open descriptor listed in /proc/self/fd, each marked with fcntl(F_SETFD, FD_CLOEXEC)
            try (java.util.stream.Stream<java.nio.file.Path> fds = java.nio.file.Files.list(java.nio.file.Path.of("/proc/self/fd"))) {
                for (int fd : fds.map(f -> f.getFileName().toString()).filter(n -> n.matches("[0-9]+"))
                        .mapToInt(Integer::parseInt).filter(fd -> fd >= lowFd).toArray()) {
                    try {
                        Libc.fcntl(fd, F_SETFD, FD_CLOEXEC);
                    } catch (LastErrorException closed) {
                        // EBADF: the listing's own descriptor, closed since
                    }
                }
            } catch (java.io.IOException io) {
                throw e;
            }
        }
    }

    private static final int F_SETFD = 2;
    private static final long FD_CLOEXEC = 1;

    @Override
    public void clearSignalMask() {
        Memory empty = new Memory(128); // sigset_t is 1024 bits in glibc
        empty.clear();
        call("sigprocmask", () -> Libc.sigprocmask(SIG_SETMASK, empty, null),
                RecordingSyscalls.flags("SIG_SETMASK"), RecordingSyscalls.flags("{}"));
    }

    @Override
    public void execve(String path, String[] argv, String[] envp) {
        call("execve", () -> Libc.execve(path, new StringArray(argv), new StringArray(envp)), path, Arrays.toString(argv),
                RecordingSyscalls.flags("<" + envp.length + " env>"));
        throw new IllegalStateException("execve returned without an error");
    }

    @Override
    public void writeFile(String path, String value) {
        byte[] bytes = value.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        int fd = call("open", () -> Libc.open(path, O_WRONLY | O_TRUNC | O_CLOEXEC), path,
                RecordingSyscalls.flags("O_WRONLY|O_TRUNC|O_CLOEXEC"));
        try {
            call("write", () -> Libc.write(fd, bytes, bytes.length), RecordingSyscalls.flags(path), value);
        } finally {
            try {
                Libc.close(fd);
            } catch (LastErrorException ignored) {
                // the write's outcome is what counts; close of a control file does not report it again
            }
        }
    }

    // tag::bpf-load[]
    @Override
    public int bpfProgLoad(int progType, byte[] insns, String license) {
        if (insns.length == 0 || insns.length % 8 != 0) {
            throw new IllegalArgumentException("an eBPF program is a non-empty array of 8-byte instructions, got "
                    + insns.length + " bytes");
        }
        Memory code = new Memory(insns.length);
        code.write(0, insns, 0, insns.length);
        Memory lic = new Memory(license.length() + 1L);
        lic.setString(0, license, "US-ASCII");
        Memory attr = new Memory(BPF_ATTR_SIZE);   // union bpf_attr, the BPF_PROG_LOAD part
        attr.clear();
        attr.setInt(0, progType);                  // prog_type
        attr.setInt(4, insns.length / 8);          // insn_cnt
        attr.setPointer(8, code);                  // insns
        attr.setPointer(16, lic);                  // license
        Object[] shown = {RecordingSyscalls.flags("BPF_PROG_LOAD"),
            RecordingSyscalls.flags("{prog_type=" + progType + ", insn_cnt=" + insns.length / 8 + "}")};
        try {
            return (int) Libc.syscall(SYS_BPF, BPF_PROG_LOAD, attr, BPF_ATTR_SIZE);
        } catch (LastErrorException e) {
            // load again with the verifier's log, so the error says why
            Memory log = new Memory(1 << 16);
            log.clear();
            attr.setInt(24, 1);                    // log_level
            attr.setInt(28, (int) log.size());     // log_size
            attr.setPointer(32, log);              // log_buf
            try {
                return (int) Libc.syscall(SYS_BPF, BPF_PROG_LOAD, attr, BPF_ATTR_SIZE);
            } catch (LastErrorException again) {
                String text = log.getString(0, "US-ASCII").strip();
                String tail = text.length() > 400 ? "..." + text.substring(text.length() - 400) : text;
                int errno = again.getErrorCode();
                throw new SyscallException("bpf", List.of(shown[0].toString(), shown[1].toString()), errno,
                        Libc.strerror(errno) + (tail.isEmpty() ? "" : "; verifier: " + tail));
            }
        }
    }

    @Override
    public void bpfProgAttach(int targetFd, int progFd, int attachType, int flags) {
        Memory attr = new Memory(BPF_ATTR_SIZE);   // union bpf_attr, the BPF_PROG_ATTACH part
        attr.clear();
        attr.setInt(0, targetFd);                  // target_fd
        attr.setInt(4, progFd);                    // attach_bpf_fd
        attr.setInt(8, attachType);                // attach_type
        attr.setInt(12, flags);                    // attach_flags
        call("bpf", () -> Libc.syscall(SYS_BPF, BPF_PROG_ATTACH, attr, BPF_ATTR_SIZE),
                RecordingSyscalls.flags("BPF_PROG_ATTACH"), RecordingSyscalls.flags("{target_fd=" + targetFd
                        + ", attach_bpf_fd=" + progFd + ", attach_type=" + attachType + ", flags=" + flags + "}"));
    }
    // end::bpf-load[]

    @Override
    public int openDirectory(String path) {
        return call("open", () -> Libc.open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC), path,
                RecordingSyscalls.flags("O_RDONLY|O_DIRECTORY|O_CLOEXEC"));
    }

    @Override
    public void close(int fd) {
        call("close", () -> Libc.close(fd), fd);
    }

    @Override
    public void kill(int pid, int signal) {
        call("kill", () -> Libc.kill(pid, signal), pid, signal);
    }

    @Override
    public void interfaceUp(String name) {
        byte[] bytes = name.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        if (bytes.length >= IFNAMSIZ) {
            throw new SyscallException("ioctl", List.of("SIOCSIFFLAGS", name), 36, "File name too long");
        }
        int fd = call("socket", () -> Libc.socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), "AF_INET", "SOCK_DGRAM");
        try (Memory ifr = new Memory(IFREQ_SIZE)) {
            ifr.clear();
            ifr.write(0, bytes, 0, bytes.length);
            call("ioctl", () -> Libc.ioctl(fd, SIOCGIFFLAGS, ifr), "SIOCGIFFLAGS", name);
            short flags = ifr.getShort(IFNAMSIZ);
            ifr.setShort(IFNAMSIZ, (short) (flags | IFF_UP));
            call("ioctl", () -> Libc.ioctl(fd, SIOCSIFFLAGS, ifr), "SIOCSIFFLAGS", name, "IFF_UP");
        } finally {
            Libc.close(fd);
        }
    }

    @Override
    public int openNamespace(String path) {
        return call("open", () -> Libc.open(path, O_RDONLY | O_CLOEXEC), path, "O_RDONLY|O_CLOEXEC");
    }
}
