package dev.rabbithole.labs.support;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;

/**
 * The C library calls the labs need, bound with JNA. Each method is the libc wrapper of the system
 * call of the same name (see its man page, section 2); on failure it throws {@link LastErrorException}
 * whose {@code getErrorCode()} is errno and whose message names it.
 *
 * <p>Namespaces, capabilities, no_new_privs and seccomp filters belong to the calling <em>thread</em>
 * in a JVM: call them on the thread that later starts the child process or calls {@code execve}.
 */
public interface Libc extends Library {

    /** The bound library, loaded once. */
    Libc LIBC = Native.load("c", Libc.class);

    /** unshare(2): move the calling thread into new namespaces; {@code flags} are CLONE_NEW* bits. */
    int unshare(int flags) throws LastErrorException;

    /** setns(2): join the namespace behind {@code fd} (an open /proc/PID/ns/* file); {@code nstype} a CLONE_NEW* bit or 0. */
    int setns(int fd, int nstype) throws LastErrorException;

    /** open(2) with {@code flags} O_* bits; returns a file descriptor. */
    int open(String path, int flags) throws LastErrorException;

    /** close(2). */
    int close(int fd) throws LastErrorException;

    /**
     * close_range(2) (Linux 5.11, glibc 2.34): close, or with {@code flags} CLOSE_RANGE_CLOEXEC mark close-on-exec,
     * every file descriptor from {@code first} to {@code last} inclusive (both unsigned: -1 is "all the rest").
     */
    int close_range(int first, int last, int flags) throws LastErrorException;

    /** mount(2): {@code flags} are MS_* bits; {@code source}, {@code fstype}, {@code data} may be null. */
    int mount(String source, String target, String fstype, long flags, String data) throws LastErrorException;

    /** umount2(2): {@code flags} 0 or MNT_DETACH. */
    int umount2(String target, int flags) throws LastErrorException;

    /** chroot(2): change the root directory of the calling process (its fs_struct, shared by threads). */
    int chroot(String path) throws LastErrorException;

    /** chdir(2). */
    int chdir(String path) throws LastErrorException;

    /** pivot_root(2): make {@code newRoot} the root mount and move the old root under {@code putOld}. */
    int pivot_root(String newRoot, String putOld) throws LastErrorException;

    /** sethostname(2): {@code len} is the length of {@code name} in bytes. */
    int sethostname(String name, long len) throws LastErrorException;

    /** gethostname(2) into {@code buf} of {@code len} bytes, NUL-terminated. */
    int gethostname(byte[] buf, long len) throws LastErrorException;

    /** prctl(2) with integer arguments (PR_CAPBSET_DROP, PR_SET_NO_NEW_PRIVS, ...). */
    int prctl(int option, long arg2, long arg3, long arg4, long arg5) throws LastErrorException;

    /** prctl(2) with a pointer as the third argument (PR_SET_SECCOMP with a struct sock_fprog). */
    int prctl(int option, long arg2, Pointer arg3, long arg4, long arg5) throws LastErrorException;

    /**
     * capset(2) with a {@code struct __user_cap_header_struct} as {@code int[2]} (version, pid) and two
     * {@code struct __user_cap_data_struct} as {@code int[6]} (effective, permitted, inheritable for
     * capabilities 0-31, then the same for 32-63).
     */
    int capset(int[] header, int[] data) throws LastErrorException;

    /** execve(2): on success it does not return. {@code argv} and {@code envp} get their NULL terminator from JNA. */
    int execve(String path, String[] argv, String[] envp) throws LastErrorException;

    /** mkfifo(3): create a named pipe with permission bits {@code mode}. */
    int mkfifo(String path, int mode) throws LastErrorException;

    /**
     * waitpid(2): wait for a child's state change; {@code pid} -1 waits for any child, {@code options} 0 or WNOHANG.
     * {@code status[0]} receives the wait status (decode it as WIFEXITED/WEXITSTATUS, WIFSIGNALED/WTERMSIG do).
     * Returns the child's pid (0 with WNOHANG when none changed); throws with errno ECHILD when there is no child left.
     */
    int waitpid(int pid, int[] status, int options) throws LastErrorException;

    /** getpid(2): the pid in the caller's pid namespace. */
    int getpid();
}
