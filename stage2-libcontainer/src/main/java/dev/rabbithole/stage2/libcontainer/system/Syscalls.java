package dev.rabbithole.stage2.libcontainer.system;

/**
 * The kernel calls libcontainer makes, one method per system call, as youki's {@code Syscall} trait: a real
 * implementation ({@link JnaSyscalls}) and a recording one ({@link RecordingSyscalls}) that makes the order of
 * calls unit-testable without root and printable for the book.
 *
 * <p>Every method throws {@link SyscallException} (carrying the call, its arguments and strerror) when the kernel
 * returns -1. Paths are absolute or relative to the calling thread's working directory, as in the man pages.
 *
 * <p>Per-thread state (the book's chapter 2, "Why a JVM cannot simply fork into a container"): namespaces after {@link #unshare}, credentials set by the raw
 * {@link #setresuid}/{@link #setresgid}/{@link #setgroups}, capabilities, the bounding set, no_new_privs and
 * seccomp filters all apply to the calling thread only; the thread that calls {@link #execve} carries them into
 * the workload.
 */
public interface Syscalls {
    /** prctl(2): the signal the calling process gets when the thread that created it ends; cleared by a credential change */
    int PR_SET_PDEATHSIG = 1;
    /** prctl(2): set the "keep capabilities" flag across setuid from root */
    int PR_SET_KEEPCAPS = 8;
    /** prctl(2): read whether a capability is in the bounding set */
    int PR_CAPBSET_READ = 23;
    /** prctl(2): drop a capability from the calling thread's bounding set */
    int PR_CAPBSET_DROP = 24;
    /** prctl(2): set no_new_privs, inherited across execve and never unset */
    int PR_SET_NO_NEW_PRIVS = 38;
    /** prctl(2): ambient capability operations */
    int PR_CAP_AMBIENT = 47;
    /** PR_CAP_AMBIENT operation: raise one capability */
    int PR_CAP_AMBIENT_RAISE = 2;
    /** PR_CAP_AMBIENT operation: clear all */
    int PR_CAP_AMBIENT_CLEAR_ALL = 4;
    /** signal(7): SIGKILL, 9 */
    int SIGKILL = 9;
    /** signal(7): SIGTERM, 15 */
    int SIGTERM = 15;
    /** bpf(2) program type (include/uapi/linux/bpf.h): a cgroup v2 device filter */
    int BPF_PROG_TYPE_CGROUP_DEVICE = 15;
    /** bpf(2) attach type: the device hook of a cgroup */
    int BPF_CGROUP_DEVICE = 6;
    /** bpf(2) attach flag: more programs may be attached to the cgroup; every one of them must allow */
    int BPF_F_ALLOW_MULTI = 2;

    /**
     * Attaches a one-line reason to the next call, for {@link RecordingSyscalls}; the real implementation
     * ignores it. Use as {@code sys.because("a fresh /proc for the pid namespace").mount(...)}.
     *
     * @param reason why the next call is made
     * @return this
     */
    default Syscalls because(String reason) {
        return this;
    }

    /**
     * Records a call made outside this interface (by the JDK: a socket write, posix_spawn) so a transcript
     * shows it in its place; does nothing else. The real implementation ignores it.
     *
     * @param name the system call's name, e.g. {@code posix_spawn}
     * @param args its arguments, already rendered for people
     */
    default void note(String name, String... args) {
    }

    /**
     * open(2) with O_WRONLY|O_TRUNC (no O_CREAT), one write(2) of {@code value}, close(2): how a cgroupfs or
     * procfs control file is set. The file must exist (cgroupfs creates its files itself).
     *
     * @param path  the file
     * @param value the bytes to write, as US-ASCII text ({@code 67108864}, {@code max})
     */
    void writeFile(String path, String value);

    /** getpid(2). @return the caller's pid in its own pid namespace */
    int getpid();

    /**
     * unshare(2): give the calling thread new namespaces.
     *
     * @param flags {@code CLONE_NEW*} and {@code CLONE_FS} flags, see {@link CloneFlags}
     */
    void unshare(int flags);

    /**
     * setns(2): move the calling thread into the namespace {@code fd} refers to.
     *
     * @param fd     an open file descriptor on {@code /proc/PID/ns/*}
     * @param nstype a {@code CLONE_NEW*} flag, or 0 for any
     */
    void setns(int fd, int nstype);

    /**
     * mount(2).
     *
     * @param source device, directory or filesystem name; may be null
     * @param target mount point
     * @param fstype filesystem type; null for bind, remount and propagation changes
     * @param flags  {@code MS_*} flags, see {@link MountFlags}
     * @param data   filesystem options ({@code mode=755}); may be null
     */
    void mount(String source, String target, String fstype, long flags, String data);

    /**
     * umount2(2).
     *
     * @param target mount point
     * @param flags  {@code MNT_*} flags, e.g. {@link MountFlags#MNT_DETACH}
     */
    void umount2(String target, int flags);

    /**
     * pivot_root(2), as the raw system call (glibc has no wrapper).
     *
     * @param newRoot the new root, a mount point
     * @param putOld  where the old root goes, at or under {@code newRoot}
     */
    void pivotRoot(String newRoot, String putOld);

    /** chdir(2). @param path the new working directory of the calling thread's fs_struct */
    void chdir(String path);

    /** chroot(2). @param path the new root directory */
    void chroot(String path);

    /** sethostname(2) in the caller's UTS namespace. @param name the hostname, at most 64 bytes */
    void sethostname(String name);

    /**
     * mknod(2) for a device node.
     *
     * @param path  where
     * @param mode  file type ({@code S_IFCHR = 0020000}) or'ed with permission bits
     * @param major device major number
     * @param minor device minor number
     */
    void mknod(String path, int mode, int major, int minor);

    /** chmod(2). @param path the file @param mode permission bits, e.g. {@code 0666} */
    void chmod(String path, int mode);

    /** symlink(2). @param target what the link points to @param linkPath the link to create */
    void symlink(String target, String linkPath);

    /**
     * prctl(2) with integer arguments.
     *
     * @param option {@code PR_*}
     * @param arg2   second argument
     * @param arg3   third argument
     * @return the call's non-negative result
     */
    int prctl(int option, long arg2, long arg3);

    /**
     * capset(2) for the calling thread, capability header version 3 (two 32-bit words per set).
     *
     * @param effective   64-bit mask, bit n = capability n
     * @param permitted   64-bit mask
     * @param inheritable 64-bit mask
     */
    void capset(long effective, long permitted, long inheritable);

    /** setresuid(2) as the raw system call: this thread only (glibc's wrapper broadcasts to all threads). */
    void setresuid(int ruid, int euid, int suid);

    /** setresgid(2) as the raw system call: this thread only. */
    void setresgid(int rgid, int egid, int sgid);

    /** setgroups(2) as the raw system call: this thread only. @param gids supplementary group IDs */
    void setgroups(int[] gids);

    /**
     * setrlimit(2) for the process.
     *
     * @param resource {@code RLIMIT_*} number (sys/resource.h), see {@link Rlimits}
     * @param soft     soft limit in the resource's unit; -1 for RLIM_INFINITY
     * @param hard     hard limit; -1 for RLIM_INFINITY
     */
    void setrlimit(int resource, long soft, long hard);

    /**
     * Installs a seccomp BPF filter on the calling thread: prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &amp;prog).
     * Needs no_new_privs or CAP_SYS_ADMIN.
     *
     * @param program {@code struct sock_filter[]}: 8 bytes per instruction (u16 code, u8 jt, u8 jf, u32 k), native order
     */
    void seccompFilter(byte[] program);

    /**
     * Installs a seccomp BPF filter with filter flags: seccomp(SECCOMP_SET_MODE_FILTER, flags, &amp;prog)
     * (seccomp(2); the runtime-spec's {@code linux.seccomp.flags}). Needs no_new_privs or CAP_SYS_ADMIN.
     *
     * @param program {@code struct sock_filter[]}, as {@link #seccompFilter(byte[])}
     * @param flags   {@code SECCOMP_FILTER_FLAG_*} bits (TSYNC 1, LOG 2, SPEC_ALLOW 4); 0 is
     *                {@link #seccompFilter(byte[])}
     * @throws UnsupportedOperationException flags on an implementation that cannot pass them
     */
    default void seccompFilter(byte[] program, int flags) {
        if (flags != 0) {
            throw new UnsupportedOperationException("seccomp filter flags are not supported by " + getClass().getName());
        }
        seccompFilter(program);
    }

    /**
     * setdomainname(2) in the caller's UTS namespace (the runtime-spec's {@code domainname}).
     *
     * @param name the NIS domain name, at most 64 bytes
     */
    default void setdomainname(String name) {
        throw new UnsupportedOperationException("setdomainname is not supported by " + getClass().getName());
    }

    /**
     * personality(2): sets the calling thread's execution domain, which execve keeps (the runtime-spec's
     * {@code linux.personality}).
     *
     * @param persona {@code PER_LINUX} 0x0000 or {@code PER_LINUX32} 0x0008, with flag bits
     */
    default void personality(long persona) {
        throw new UnsupportedOperationException("personality is not supported by " + getClass().getName());
    }

    /**
     * close_range(2) with CLOSE_RANGE_CLOEXEC: marks every descriptor from {@code lowFd} up close-on-exec, so
     * the JVM's files do not leak into the workload.
     *
     * @param lowFd first descriptor, usually 3
     */
    void closeRangeOnExec(int lowFd);

    /** sigprocmask(2) SIG_SETMASK with an empty set: the JVM blocks signals the workload must receive. */
    void clearSignalMask();

    /**
     * execve(2): replaces the process image; returns only by throwing.
     *
     * @param path absolute path of the program
     * @param argv arguments, {@code argv[0]} first
     * @param envp {@code KEY=VALUE} strings
     */
    void execve(String path, String[] argv, String[] envp);

    /**
     * bpf(2) {@code BPF_PROG_LOAD}: the kernel verifies and loads an eBPF program.
     *
     * @param progType {@code BPF_PROG_TYPE_*}, e.g. {@link #BPF_PROG_TYPE_CGROUP_DEVICE}
     * @param insns    {@code struct bpf_insn[]}: 8 bytes per instruction, native order
     * @param license  the program's license string, e.g. {@code Apache}
     * @return a new file descriptor (close-on-exec) that refers to the program
     * @throws SyscallException the verifier refused it (the message carries the end of its log) or bpf(2) is not
     *                          permitted
     */
    int bpfProgLoad(int progType, byte[] insns, String license);

    /**
     * bpf(2) {@code BPF_PROG_ATTACH}: attaches a loaded program to a cgroup; the attachment holds the program,
     * so its descriptor may be closed afterwards. Removing the cgroup detaches it.
     *
     * @param targetFd   a descriptor open on the cgroup v2 directory
     * @param progFd     the program's descriptor ({@link #bpfProgLoad})
     * @param attachType {@code BPF_*} attach type, e.g. {@link #BPF_CGROUP_DEVICE}
     * @param flags      {@code BPF_F_*}, e.g. {@link #BPF_F_ALLOW_MULTI}
     */
    void bpfProgAttach(int targetFd, int progFd, int attachType, int flags);

    /**
     * open(2) with O_RDONLY|O_DIRECTORY|O_CLOEXEC: a descriptor on a directory (a cgroup, for bpf(2)).
     *
     * @param path the directory
     * @return the descriptor
     */
    int openDirectory(String path);

    /** close(2). @param fd a descriptor this process opened */
    void close(int fd);

    /**
     * kill(2).
     *
     * @param pid    target pid in the caller's pid namespace
     * @param signal signal number, e.g. {@link #SIGTERM}
     */
    void kill(int pid, int signal);

    /**
     * Sets {@code IFF_UP} on a network interface of the caller's network namespace, as {@code ip link set NAME up}:
     * ioctl(2) {@code SIOCGIFFLAGS}, then {@code SIOCSIFFLAGS} with {@code IFF_UP} added, on an {@code AF_INET}
     * datagram socket (netdevice(7)); the socket is closed again. Needs CAP_NET_ADMIN. runc's "loopback"
     * network strategy does this for {@code lo} in every new network namespace, which the kernel creates down.
     *
     * @param name the interface name, at most 15 bytes, e.g. {@code lo}
     */
    void interfaceUp(String name);

    /**
     * Opens a namespace file for setns(2): open(2) with {@code O_RDONLY|O_CLOEXEC} (no {@code O_DIRECTORY}: an nsfs
     * file is not a directory).
     *
     * @param path {@code /proc/PID/ns/net} or a bind mount of one
     * @return the descriptor
     * @throws SyscallException e.g. ENOENT
     */
    int openNamespace(String path);
}
