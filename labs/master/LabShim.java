package dev.rabbithole.labs.master;

import static dev.rabbithole.labs.support.Libc.LIBC;
import static dev.rabbithole.labs.support.Linux.*;

import com.sun.jna.LastErrorException;
import java.io.Closeable;
import java.io.File;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * The heart of a shim, lab @@LAB@@ (see the lab's page in the book, workshop part): what containerd's
 * {@code containerd-shim-runc-v2} does for one container, without the RPC around it.
 *
 * <pre>
 * LabNN shim DIR -- CMD [ARG]...   run CMD as a container's workload runs under its shim, and supervise it:
 *                                  DIR/stdout    the workload's standard output and error, a FIFO the shim holds
 *                                  DIR/stdout.log  everything the workload printed, copied by the shim
 *                                  DIR/pid       the workload's pid, written by the launcher (runc's --pid-file)
 *                                  DIR/exit      the workload's exit status, written when the shim reaped it
 * </pre>
 *
 * The shim outlives whoever started it: a daemon that dies (containerd, dockerd) takes nothing with it. It makes
 * itself a child subreaper, holds the workload's output, starts the workload through a launcher that exits at once
 * (as {@code runc create} does), and reaps every child with one {@code waitpid(-1)} loop, recording the workload's
 * exit status. It exits when it has no child left. Search for TODO: that is this lab's step.
 */
public final class LabShim {
    private LabShim() {}

    /**
     * The command line entry point.
     *
     * @param args {@code shim DIR -- CMD [ARG]...}
     * @throws Exception whatever goes wrong, with the kernel's errno in the message
     */
    public static void main(String[] args) throws Exception {
        if (args.length < 4 || !args[0].equals("shim") || !args[2].equals("--")) {
            System.err.println("usage: shim DIR -- CMD [ARG]...");
            System.exit(2);
        }
        shim(Path.of(args[1]).toAbsolutePath(), List.of(args).subList(3, args.length));
    }

    /** The thread that copies the workload's output into DIR/stdout.log, once {@link #copy} started it. */
    static Thread copier;

    /**
     * Supervises one workload from its start to its exit status.
     *
     * @param dir     the shim's directory (created when missing)
     * @param command the workload's command line
     * @throws Exception when a step fails
     */
    // tag::shim[]
    static void shim(Path dir, List<String> command) throws Exception {
        Files.createDirectories(dir);
        subreaper();
        Path fifo = dir.resolve("stdout");
        Closeable anchor = holdStdout(fifo, dir.resolve("stdout.log"));
        long workload = start(dir, fifo, command);
        // the workload holds the FIFO's write end now: when it and its children are gone, the copier reads EOF
        if (anchor != null) anchor.close();
        System.err.println("shim " + ProcessHandle.current().pid() + ": workload " + workload + " started");
        reap(workload, dir.resolve("exit"));
        if (copier != null) copier.join();
    }
    // end::shim[]

    /**
     * (a) Makes this process a child subreaper: a descendant whose parent dies is reparented to this process
     * instead of to pid 1 (prctl(2), PR_SET_CHILD_SUBREAPER; Linux 3.4). containerd's shims do it first thing, so that
     * the container's init, whose parent {@code runc} exits right after starting it, stays theirs to wait for.
     */
    // tag::subreaper[]
    static void subreaper() {
//@ 16
//@todo make this process a child subreaper: LIBC.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
        LIBC.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
//@ end
    }
    // end::subreaper[]

    /**
     * (c) Makes the FIFO that will be the workload's standard output and error, and starts copying what arrives in
     * it into the log file, whoever else is or is not listening: output written while no daemon is attached is kept.
     * A FIFO's {@code open(2)} blocks until the other end is open too (O_WRONLY waits for a reader, O_RDONLY for a
     * writer); O_RDWR never blocks on Linux (fifo(7)).
     *
     * @param fifo where the FIFO goes
     * @param log  the log file the copier appends to
     * @return a writer end to close once the workload holds its own (so that the copier sees EOF when the workload
     *     and its children are gone), or null
     * @throws IOException when the FIFO cannot be made or opened
     */
    // tag::stdout[]
    static Closeable holdStdout(Path fifo, Path log) throws IOException {
//@ 16
//@todo make the FIFO: LIBC.mkfifo(PATH, 0600). Then open it without blocking, in this order:
//@todo first an anchor, new RandomAccessFile(FILE, "rw") (O_RDWR: never blocks, and it is a writer),
//@todo then the shim's own read end, new FileInputStream(FILE) (O_RDONLY: does not block, the anchor is a writer).
//@todo copy(READ END, log) starts the copier thread. Return the anchor: shim() closes it once the workload
//@todo holds the write end, so that the copier sees EOF when the workload and its children are gone.
        LIBC.mkfifo(fifo.toString(), 0600);
        RandomAccessFile anchor = new RandomAccessFile(fifo.toFile(), "rw");
        copy(new FileInputStream(fifo.toFile()), log);
        return anchor;
//@ end
//@ <16
        return null;
//@ end
    }
    // end::stdout[]

    /**
     * Given: copies everything the workload writes into the FIFO to the end of the log file, until EOF (every writer
     * closed), on a thread of its own; sets {@link #copier}.
     *
     * @param in  the FIFO's read end
     * @param log the log file (created when missing, appended to)
     */
    static void copy(InputStream in, Path log) {
        copier = new Thread(() -> {
            try (in; OutputStream out = Files.newOutputStream(log, StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
                byte[] buf = new byte[8192];
                for (int n; (n = in.read(buf)) > 0; ) out.write(buf, 0, n);
            } catch (IOException e) {
                System.err.println("shim: copying the workload's output: " + e);
            }
        }, "stdout copier");
        copier.start();
    }

    /**
     * Given: the launcher, a shell that starts the command in the background, writes its pid to {@code $PIDFILE} and
     * exits at once, as {@code runc create} starts the container's init, writes {@code --pid-file} and exits.
     */
    static final String LAUNCHER = "\"$@\" & echo $! > \"$PIDFILE\"";

    /**
     * (b) Starts the workload through the launcher, with the FIFO as its standard output and error.
     *
     * @param dir     the shim's directory: the launcher writes DIR/pid
     * @param fifo    the workload's standard output and error
     * @param command the workload's command line
     * @return the workload's pid
     * @throws Exception when the launcher cannot run or fails
     */
    // tag::start[]
    static long start(Path dir, Path fifo, List<String> command) throws Exception {
        Path pidFile = dir.resolve("pid");
//@ 16
//@todo do not start the workload as your own child: the JVM's process reaper thread would wait for it too, and
//@todo take its exit status before your waitpid(-1) can. Start the launcher instead, and let it start the workload:
//@todo new ProcessBuilder("/bin/sh", "-c", LAUNCHER, "launcher", CMD...) with PIDFILE=DIR/pid in its environment,
//@todo standard input from /dev/null, output to the FIFO and errors with it (redirectErrorStream).
//@todo Wait for the launcher (it exits at once; your reaping loop has not started yet, so nothing races for it),
//@todo fail when its exit status is not 0, then read the workload's pid from DIR/pid.
        List<String> argv = new ArrayList<>(List.of("/bin/sh", "-c", LAUNCHER, "launcher"));
        argv.addAll(command);
        ProcessBuilder pb = new ProcessBuilder(argv).redirectInput(new File("/dev/null"))
                .redirectOutput(fifo.toFile()).redirectErrorStream(true);
        pb.environment().put("PIDFILE", pidFile.toString());
        Process launcher = pb.start();
        int status = launcher.waitFor();
        if (status != 0) throw new IOException("the launcher exited with status " + status);
        return Long.parseLong(Files.readString(pidFile).strip());
//@ end
//@ <16
        Process workload = new ProcessBuilder(command).redirectOutput(fifo.toFile()).redirectErrorStream(true).start();
        Files.writeString(pidFile, workload.pid() + "\n");
        return workload.pid();
//@ end
    }
    // end::start[]

    /**
     * (d) Reaps every child of this process with one {@code waitpid(-1)} loop until none is left (ECHILD), and
     * records the workload's exit status in {@code exitFile} when the workload is the one reaped.
     *
     * @param workload the workload's pid
     * @param exitFile where its exit status goes, in decimal, written atomically
     * @throws IOException when the exit status cannot be written
     */
    // tag::reap[]
    static void reap(long workload, Path exitFile) throws IOException {
//@ 16
//@todo loop: int pid = LIBC.waitpid(-1, status, 0) with int[] status = new int[1]. It throws LastErrorException:
//@todo errno ECHILD (e.getErrorCode()) means no child is left: return; EINTR: call again. When pid is the
//@todo workload's, record(exitFile, exitCode(status[0])). Other pids are orphans the subreaper adopted: reaping
//@todo them is all there is to do.
        int[] status = new int[1];
        while (true) {
            int pid;
            try {
                pid = LIBC.waitpid(-1, status, 0);
            } catch (LastErrorException e) {
                if (e.getErrorCode() == EINTR) continue;
                if (e.getErrorCode() == ECHILD) return;
                throw e;
            }
            if (pid == workload) record(exitFile, exitCode(status[0]));
        }
//@ end
    }
    // end::reap[]

    /**
     * (d) Turns a wait status into the exit status a shell (and Docker) reports: the exit code for a process that
     * exited (WIFEXITED: the low 7 bits are 0; WEXITSTATUS: bits 8 to 15), 128 plus the signal's number for one a
     * signal killed (WTERMSIG: the low 7 bits) (wait(2), the macros of sys/wait.h).
     *
     * @param status the wait status from waitpid
     * @return 0..255
     */
    // tag::exit-code[]
    static int exitCode(int status) {
//@ 16
//@todo when (status & 0x7f) == 0 the process exited: return (status >> 8) & 0xff.
//@todo Else a signal killed it: return 128 + (status & 0x7f) (SIGKILL is 9: 137).
        int signal = status & 0x7f;
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal;
//@ end
//@ <16
        return -1;
//@ end
    }
    // end::exit-code[]

    /**
     * Given: writes the exit status atomically (a temporary file, then a rename): a reader sees no file or the
     * whole status, never a half-written one.
     *
     * @param exitFile the file
     * @param code     the exit status
     * @throws IOException when it cannot be written
     */
    static void record(Path exitFile, int code) throws IOException {
        Path tmp = exitFile.resolveSibling(exitFile.getFileName() + ".tmp");
        Files.writeString(tmp, code + "\n");
        Files.move(tmp, exitFile, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        System.err.println("shim: the workload exited with status " + code);
    }
}
