package dev.rabbithole.labs.check;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * A lab's checker: runs the attendee's code as root and tests properties from the outside (through /proc,
 * the cgroup files, the host's mount table and network), never by reading the source. It removes
 * everything it created, whatever happened.
 */
public abstract class Checker {
    /** How long a container gets to start. */
    protected static final Duration START = Duration.ofSeconds(30);

    /** @return the lab's number, 1..16 */
    public abstract int lab();

    /** @return the lab's title */
    public abstract String title();

    /**
     * Checks the attendee's compiled lab.
     *
     * @param ctx    the compiled lab and a temporary directory
     * @param report where each property goes
     * @throws Exception when the check itself breaks (reported as a failure by the caller)
     */
    public abstract void check(Context ctx, Report report) throws Exception;

    /** The result of a host command. */
    protected record Result(int code, String output) {}

    /**
     * Runs a host command, never throwing on a non-zero status.
     *
     * @param cmd the command
     * @return its status and merged output
     * @throws IOException when it cannot start
     * @throws InterruptedException when interrupted
     */
    protected static Result sh(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Result(p.waitFor(), out);
    }

    /**
     * Starts a container and waits for its workload; reports a failure when it does not come up.
     *
     * @param ctx    the context
     * @param report the report
     * @param args   the runtime's arguments
     * @param c      receives the container (so the caller can close it)
     * @return the workload's host pid, or empty
     * @throws Exception when the runtime cannot be started at all
     */
    protected static Optional<Long> start(Context ctx, Report report, List<String> args, Container[] c) throws Exception {
        return start(ctx, report, args, c, "", "");
    }

    /**
     * Starts a container and waits for its workload; reports a failure when it does not come up, with a command
     * line to try it by hand that starts with {@code before} and ends with {@code after} (the setup the checker did
     * itself, such as creating a peer network namespace, and its undoing).
     *
     * @param ctx    the context
     * @param report the report
     * @param args   the runtime's arguments
     * @param c      receives the container (so the caller can close it)
     * @param before shell commands to run first, each followed by " && ", or ""
     * @param after  shell commands to run afterwards, each preceded by "; ", or ""
     * @return the workload's host pid, or empty
     * @throws Exception when the runtime cannot be started at all
     */
    protected static Optional<Long> start(Context ctx, Report report, List<String> args, Container[] c, String before,
                                          String after) throws Exception {
        c[0] = ctx.start(args);
        Optional<Long> pid = c[0].workload(START);
        if (pid.isEmpty()) {
            // the init can be gone before the runtime has printed why (its finally kills the init first): let it finish
            c[0].exit(Duration.ofSeconds(5));
            report.fail("the container did not start (runtime output: " + c[0].tail() + "). Try it by hand: " + before
                    + "./rabbithole lab run " + String.format("%02d", ctx.lab) + " " + quote(args) + after);
            Hints.fromRuntimeOutput(c[0].output(), ctx.source.resolve(String.format("Lab%02d.java", ctx.lab)), report);
        }
        return pid;
    }

    // the arguments as a shell would need them
    private static String quote(List<String> args) {
        StringBuilder b = new StringBuilder();
        for (String a : args) {
            if (b.length() > 0) b.append(' ');
            b.append(a.matches("[A-Za-z0-9_./:,=@%+-]+") ? a : "'" + a.replace("'", "'\\''") + "'");
        }
        return b.toString();
    }

    /**
     * @param pid a host pid
     * @return its pid in the innermost pid namespace, from NSpid
     */
    protected static String innermostPid(long pid) {
        String[] f = Proc.status(pid, "NSpid").split("\\s+");
        return f[f.length - 1];
    }
}
