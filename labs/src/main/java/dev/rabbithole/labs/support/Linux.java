package dev.rabbithole.labs.support;

/**
 * Constants from the Linux UAPI headers the labs use (linux/sched.h, linux/mount.h, linux/prctl.h,
 * linux/seccomp.h, linux/filter.h, linux/audit.h, linux/capability.h). Values are the kernel's.
 */
public final class Linux {
    private Linux() {}

    /** New mount namespace (sched.h). */
    public static final int CLONE_NEWNS = 0x00020000;
    /** New cgroup namespace. */
    public static final int CLONE_NEWCGROUP = 0x02000000;
    /** New UTS namespace (hostname, domainname). */
    public static final int CLONE_NEWUTS = 0x04000000;
    /** New IPC namespace. */
    public static final int CLONE_NEWIPC = 0x08000000;
    /** New user namespace (not usable from a multithreaded JVM). */
    public static final int CLONE_NEWUSER = 0x10000000;
    /** New pid namespace: applies to the children of the caller, not to the caller. */
    public static final int CLONE_NEWPID = 0x20000000;
    /** New network namespace. */
    public static final int CLONE_NEWNET = 0x40000000;
    /** Unshare the filesystem attributes (root, cwd, umask) from the other threads. */
    public static final int CLONE_FS = 0x00000200;

    /** mount(2) flags. */
    public static final long MS_RDONLY = 1, MS_NOSUID = 2, MS_NODEV = 4, MS_NOEXEC = 8,
            MS_REMOUNT = 32, MS_BIND = 4096, MS_REC = 16384, MS_PRIVATE = 1 << 18, MS_SLAVE = 1 << 19, MS_SHARED = 1 << 20;
    /** umount2(2): lazy unmount. */
    public static final int MNT_DETACH = 2;
    /** open(2) flags. */
    public static final int O_RDONLY = 0, O_CLOEXEC = 0x80000;
    /** close_range(2) flag: mark the descriptors close-on-exec instead of closing them (linux/close_range.h). */
    public static final int CLOSE_RANGE_CLOEXEC = 1 << 2;

    /** prctl(2) options. */
    public static final int PR_CAPBSET_DROP = 24, PR_SET_NO_NEW_PRIVS = 38, PR_SET_SECCOMP = 22;
    /**
     * prctl(2): make the caller a child subreaper (arg2 1) or not (0): orphaned descendants are reparented to it
     * instead of to pid 1 (Linux 3.4).
     */
    public static final int PR_SET_CHILD_SUBREAPER = 36;
    /** Seccomp mode for PR_SET_SECCOMP: a BPF filter. */
    public static final int SECCOMP_MODE_FILTER = 2;
    /** Seccomp filter return values (the action in the high 16 bits, data in the low 16). */
    public static final int SECCOMP_RET_KILL_PROCESS = 0x80000000, SECCOMP_RET_ERRNO = 0x00050000,
            SECCOMP_RET_ALLOW = 0x7fff0000;
    /** Offsets in struct seccomp_data: nr (int), arch (u32), instruction_pointer, args[6]. */
    public static final int SECCOMP_DATA_NR = 0, SECCOMP_DATA_ARCH = 4;
    /** errno values. */
    public static final int EPERM = 1, EINTR = 4, ECHILD = 10;
    /** waitpid(2) option: return 0 at once when no child has changed state. */
    public static final int WNOHANG = 1;

    /** Classic BPF opcodes (linux/filter.h, linux/bpf_common.h). */
    public static final int BPF_LD = 0x00, BPF_JMP = 0x05, BPF_RET = 0x06, BPF_W = 0x00, BPF_ABS = 0x20,
            BPF_JEQ = 0x10, BPF_K = 0x00;

    /** capset(2) header version 3 (64-bit capability sets). */
    public static final int LINUX_CAPABILITY_VERSION_3 = 0x20080522;
}
