package dev.rabbithole.stage2.libcontainer.process;

import dev.rabbithole.stage2.libcontainer.configs.NamespaceType;
import dev.rabbithole.stage2.libcontainer.system.CloneFlags;
import dev.rabbithole.stage2.libcontainer.system.Descriptors;
import dev.rabbithole.stage2.libcontainer.system.JnaSyscalls;
import dev.rabbithole.stage2.libcontainer.system.SyscallException;
import dev.rabbithole.stage2.libcontainer.system.Terminals;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The exec JVM, {@code java -cp <classpath> dev.rabbithole.stage2.libcontainer.process.ExecMain SOCKET}: the
 * analogue of {@code runc init} in its setns mode, which {@code runc exec} starts. Its parent started it from a
 * thread that had joined the running container's pid, ipc, uts, net and cgroup namespaces (setns(2)), so this
 * JVM is born in them (a pid of the container's pid namespace), but in the host's mount namespace, where java
 * and its jar are.
 *
 * <p>First it makes itself non-dumpable (prctl(PR_SET_DUMPABLE, 0)): until its execve it is a process of the
 * container's pid namespace that holds the host's root, so the container must not reach it through
 * {@code /proc/PID}. A window remains while the JVM boots, before {@code main}: a container process that has
 * CAP_SYS_PTRACE and no seccomp filter against ptrace could look then; Docker's defaults give neither.
 *
 * <p>On its main thread, the one that will call execve: it receives an {@link ExecChannel.Request}, loads libc
 * and its classes, connects to the console socket (a host path) when it needs a terminal, then
 * {@code unshare(CLONE_FS)} (setns into a mount namespace needs a thread whose root and cwd are its own) and
 * setns(2) into the mount namespace of the container's init; its root and cwd are then the container's root.
 * With a terminal it opens a pty through the container's {@code /dev/ptmx}, sends the master over the console
 * socket and makes the slave its stdio and controlling terminal (it runs in a session of its own: setsid(1)).
 * Then {@link ContainerInit#joinAndExec}: rlimits, groups and ids (raw syscalls), capabilities, no_new_privs,
 * cwd; it sends {@code ready} and waits for {@code go} (its parent has put it into the container's cgroup
 * meanwhile); every descriptor from 3 up close-on-exec, seccomp, execve. It never writes to fds 0, 1, 2:
 * errors go over the socket.
 */
public final class ExecMain {
    /** prctl(2): set the process's "dumpable" attribute; 0 makes its /proc files root's and refuses ptrace. */
    private static final int PR_SET_DUMPABLE = 4;

    private ExecMain() { }

    /**
     * @param args {@code args[0]}: the control socket's host path
     */
    public static void main(String[] args) {
        if (args.length != 1) {
            System.err.println("usage: ExecMain SOCKET");
            System.exit(2);
        }
        try {
            // this JVM is visible in the container's pid namespace while it still holds the host's root and files:
            // not dumpable, /proc/PID/{root,cwd,fd,mem} of it are closed to the container's processes (ptrace
            // access mode checks), as runc's setns init; its execve makes the process dumpable again
            new JnaSyscalls().prctl(PR_SET_DUMPABLE, 0, 0);
        } catch (RuntimeException | LinkageError e) {
            System.exit(1); // the parent sees the end of its socket and reports the exit
        }
        ExecChannel channel;
        try {
            channel = ExecChannel.connect(Path.of(args[0]));
        } catch (IOException e) {
            System.err.println("exec: cannot reach the parent: " + e.getMessage());
            System.exit(1);
            return;
        }
        try {
            ExecChannel.Message m = channel.receive();
            if (m == null || m.type() != ExecChannel.REQUEST) {
                System.exit(1); // the parent gave up
            }
            run(m.request(), channel);
        } catch (Throwable t) {
            try {
                channel.send(new ExecChannel.Message(ExecChannel.ERROR, null, 0, describe(t),
                        t instanceof SyscallException se ? se.call()
                                : t instanceof ContainerInit.ExecutableNotFoundException ? "execve" : null,
                        t instanceof SyscallException se ? se.errno()
                                : t instanceof ContainerInit.ExecutableNotFoundException ? SyscallException.ENOENT : 0));
            } catch (Throwable ignored) {
                // the parent is gone; exiting is all that is left
            }
        }
        System.exit(1);
    }

    private static void run(ExecChannel.Request r, ExecChannel channel) throws Exception {
        JnaSyscalls sys = new JnaSyscalls();
        InitMain.preloadClasses();
        ContainerInit init = new ContainerInit(sys); // reads cap_last_cap from the host's /proc
        int console = r.consoleSocket() == null ? -1 : Terminals.connectUnix(r.consoleSocket());
        // tag::exec-setns-mnt[]
        int mnt = Descriptors.openReadOnly("/proc/" + r.initPid() + "/ns/mnt");
        try {
            if (startTime(r.initPid()) != r.initStartTime()) {
                throw new IllegalStateException("the container's init (pid " + r.initPid() + ") is gone");
            }
            sys.because("a root and cwd of this thread's own: setns into a mount namespace needs it")
                    .unshare(CloneFlags.CLONE_FS);
            sys.because("the container's mounts; root and cwd become the container's root")
                    .setns(mnt, NamespaceType.MOUNT.cloneFlag);
        } finally {
            Descriptors.closeQuietly(mnt);
        }
        // end::exec-setns-mnt[]
        if (console >= 0) {
            ContainerInit.terminal(sys, console, r.process());
        }
        init.joinAndExec(r.process(), r.capabilities(), r.noNewPrivileges(), r.rlimits(), r.seccomp(),
                (program, remaining) -> {
                    try {
                        channel.send(new ExecChannel.Message(ExecChannel.READY, null, sys.getpid(), null, null, 0));
                        ExecChannel.Message go = channel.receive();
                        if (go == null || go.type() != ExecChannel.GO) {
                            System.exit(1); // the parent gave up
                        }
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                });
    }

    /** Field 22 of /proc/PID/stat (proc(5)), clock ticks after boot; -1 when the process is gone. */
    private static long startTime(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(f[19]);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    private static String describe(Throwable t) {
        if (t instanceof SyscallException se) {
            return se.shortMessage() + " (" + se.getMessage() + ")";
        }
        return t.getMessage() == null ? t.toString() : t.getMessage();
    }
}
