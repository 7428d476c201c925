package dev.rabbithole.labs.check;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

/**
 * Lab 16: the heart of a shim. The checker plays containerd: it starts the attendee's shim under a parent process
 * of its own ({@code sh}, which starts the shim in the background and waits), kills that parent with SIGKILL, and
 * looks from the outside (/proc, proc(5)): the shim and its workload live on, the workload's parent is the shim,
 * an orphan of the workload was reparented to the shim (PR_SET_CHILD_SUBREAPER, prctl(2)), the workload's standard
 * output is the FIFO the shim holds, and everything the workload printed, before and after the parent died, is in
 * the log. When the workload ends, its exit status is in DIR/exit (7 for {@code exit 7}; 137 when the checker
 * killed it with SIGKILL) and nothing of the run is left. The processes of a run are found by their command lines,
 * which name the run's folder, and killed by pid when a check fails.
 */
public final class Lab16Check extends Checker {
    @Override public int lab() { return 16; }
    @Override public String title() { return "the heart of a shim: subreaper, stdout held, exit status"; }

    /** What the workload prints first, and last: both must be in the log. */
    static final String FIRST = "the workload started", LAST = "the workload ends after its shim's parent died";

    // the workload of the first run: it leaves an orphan (a grandchild whose parent exits at once) and waits for
    // the file "stop" beside it, then says so and exits 7
    static final String OUTLIVE = String.join("\n",
            "D=\"$(dirname \"$0\")\"",
            "echo \"" + FIRST + "\"",
            "( sh -c 'echo $$ > \"$1/orphan.pid\"; while [ ! -e \"$1/stop\" ]; do sleep 0.05; done' orphan \"$D\" & )",
            "while [ ! -e \"$D/stop\" ]; do sleep 0.05; done",
            "echo \"" + LAST + "\"",
            "exit 7", "");

    // the workload of the second run: it runs until the checker kills it
    static final String FOREVER = "echo started\nwhile :; do sleep 0.05; done\n";

    @Override
    public void check(Context ctx, Report r) throws Exception {
        if (!outlivesItsParent(ctx, r)) return;
        killedBySigkill(ctx, r);
    }

    /** One run: the parent sh, the shim it started, the run's folder. */
    private record Run(Process parent, Path dir, Path shimDir) {}

    private static Run start(Context ctx, String name, String script) throws IOException {
        Path dir = Files.createDirectories(ctx.tmp.resolve(name));
        Path shimDir = dir.resolve("shim");
        Files.writeString(dir.resolve("workload.sh"), script);
        List<String> cmd = new ArrayList<>(List.of("/bin/sh", "-c", "\"$@\" >\"$SHIMOUT\" 2>&1 & echo $! >\"$SHIMPID\"; wait",
                "parent", Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1", "-cp", ctx.classpath(), ctx.mainClass(), "shim", shimDir.toString(), "--",
                "/bin/sh", dir.resolve("workload.sh").toString()));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
        pb.environment().put("SHIMOUT", dir.resolve("shim.out").toString());
        pb.environment().put("SHIMPID", dir.resolve("shim.pid").toString());
        Process parent = pb.start();
        parent.getOutputStream().close();
        return new Run(parent, dir, shimDir);
    }

    private boolean outlivesItsParent(Context ctx, Report r) throws Exception {
        Run run = start(ctx, "outlive", OUTLIVE);
        try {
            OptionalLong shim = pidIn(run.dir().resolve("shim.pid"), Duration.ofSeconds(10), () -> false);
            if (shim.isEmpty()) {
                r.fail("the checker could not start your shim under its parent sh (no pid in " + run.dir().resolve("shim.pid") + ")");
                return false;
            }
            long s = shim.getAsLong();
            long[] blockedSince = {0};
            BooleanSupplier stuck = () -> {
                if (!alive(s)) return true;
                if (!blockedInFifoOpen(s)) {
                    blockedSince[0] = 0;
                    return false;
                }
                if (blockedSince[0] == 0) blockedSince[0] = System.nanoTime();
                return System.nanoTime() - blockedSince[0] > Duration.ofSeconds(2).toNanos();
            };
            OptionalLong workload = pidIn(run.shimDir().resolve("pid"), START, stuck);
            OptionalLong orphan = workload.isEmpty() ? OptionalLong.empty() : pidIn(run.dir().resolve("orphan.pid"), Duration.ofSeconds(10), () -> false);
            if (workload.isEmpty() || orphan.isEmpty()) {
                if (alive(s) && blockedInFifoOpen(s)) {
                    r.fail("your shim is stuck in open(2) of the FIFO DIR/stdout: the workload never started");
                    fifoHint(r);
                } else if (!alive(s)) {
                    r.fail("your shim exited before the workload's pid was in DIR/pid (its output: " + tail(run.dir().resolve("shim.out"))
                            + "). Try it by hand: sudo ./rabbithole lab run 16 shim shim1 -- sh -c 'echo hi; sleep 5'");
                } else {
                    r.fail("no workload pid in DIR/pid after " + START.toSeconds() + " s (your shim's output: "
                            + tail(run.dir().resolve("shim.out")) + "): the launcher writes it, through $PIDFILE");
                }
                return false;
            }
            long w = workload.getAsLong(), o = orphan.getAsLong();
            boolean reaperWaits = jvmReaperWaits(s);

            run.parent().destroyForcibly(); // SIGKILL
            run.parent().waitFor();

            r.check(alive(s), "your shim lives on after its parent was killed with SIGKILL",
                    "your shim (pid " + s + ") is gone after its parent was killed, or exited before (its output: "
                            + tail(run.dir().resolve("shim.out")) + "): it must stay until the workload has exited and been reaped");
            long ppid = ppid(w);
            r.check(alive(w) && ppid == s, "the workload lives on under the shim: its parent is the shim (pid " + s + ")",
                    alive(w) ? "the workload (pid " + w + ") runs, but its parent is pid " + ppid + " (" + name(ppid) + "), not your shim (pid "
                            + s + "): a child subreaper adopts the workload when the launcher exits"
                            : "the workload (pid " + w + ") is gone after the parent was killed: it must live on under the shim");
            long oppid = ppid(o);
            r.check(alive(o) && oppid == s, "the shim is a child subreaper: an orphan of the workload was reparented to it",
                    "an orphan of the workload (pid " + o + ", a grandchild whose parent exited) has pid " + oppid + " (" + name(oppid)
                            + ") as its parent, not your shim (pid " + s + "): make the shim a child subreaper first thing, "
                            + "prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)");
            Path fifo = run.shimDir().resolve("stdout");
            String out = link(Path.of("/proc", Long.toString(w), "fd", "1"));
            boolean isFifo = isFifo(fifo);
            boolean held = holds(s, fifo);
            r.check(out.equals(fifo.toString()) && isFifo && held,
                    "the workload's standard output is the FIFO DIR/stdout, and the shim holds it open",
                    "the workload's standard output is " + (out.isEmpty() ? "not readable" : out) + "; DIR/stdout is "
                            + (isFifo ? "a FIFO" : Files.exists(fifo) ? "not a FIFO (mkfifo makes one)" : "missing") + "; your shim "
                            + (held ? "holds" : "does not hold") + " it open: mkfifo DIR/stdout, open it in the shim, and give it "
                            + "to the launcher as its standard output");
            r.check(!reaperWaits, "only the shim's waitpid(-1) loop waits for the workload: no JVM process reaper waits for a child",
                    "a thread of your shim named \"process reaper\" was waiting for a child (wchan do_wait) while the workload ran: "
                            + "the JVM waits for every process ProcessBuilder started, and can take the workload's exit status "
                            + "before your waitpid(-1) does");
            if (reaperWaits) {
                r.hint("jvm-reaper", "the JVM's own \"process reaper\" thread calls waitpid(PID) for every process that ProcessBuilder "
                        + "started, and it races your waitpid(-1) loop for that child's exit status: whoever is first gets it, the other "
                        + "one never sees it. Do not make the workload a child of ProcessBuilder: start the launcher (sh -c LAUNCHER), "
                        + "wait for it with waitFor() before your loop starts, and let the workload be reparented to your subreaper, "
                        + "where only your loop waits for it (containerd's Go shims solve the same race with one reaper that "
                        + "hands each exit to whoever waits for it)");
            }

            Files.writeString(run.dir().resolve("stop"), "");
            waitUntil(() -> !alive(s), Duration.ofSeconds(20));
            String exit = Proc.first(run.shimDir().resolve("exit"));
            r.check(exit.equals("7"), "the workload's exit status is recorded: DIR/exit says 7 after exit 7",
                    exit.isEmpty() ? "DIR/exit is missing after the workload exited 7" + (alive(s) ? " (your shim still runs)" : "")
                            + ": when waitpid(-1) returns the workload's pid, record(exitFile, exitCode(status))"
                            : "DIR/exit says " + exit + " after exit 7: the exit code is bits 8 to 15 of the wait status, (status >> 8) & 0xff");
            String log = read(run.shimDir().resolve("stdout.log"));
            r.check(log.contains(FIRST) && log.contains(LAST),
                    "everything the workload printed is in DIR/stdout.log, also what it printed after the parent died",
                    "DIR/stdout.log " + (log.isEmpty() ? "is empty or missing" : "misses a line: it holds \"" + log.strip().replace("\n", " | ") + "\"")
                            + ": the copier must read the FIFO until EOF and append to the log (copy(READ END, log))");
            List<Long> left = running(run.dir());
            r.check(!alive(s) && left.isEmpty(), "the shim exits when it has reaped the workload and its orphan, and nothing is left running",
                    alive(s) ? "your shim (pid " + s + ") still runs after the workload and its orphan exited: loop on waitpid(-1) until it "
                            + "fails with ECHILD (no child left), then return; and close the FIFO's anchor once the workload holds it, "
                            + "or the copier never sees EOF"
                            : "still running after the workload exited: pids " + left);
            return true;
        } finally {
            cleanup(run);
        }
    }

    private void killedBySigkill(Context ctx, Report r) throws Exception {
        Run run = start(ctx, "sigkill", FOREVER);
        try {
            OptionalLong shim = pidIn(run.dir().resolve("shim.pid"), Duration.ofSeconds(10), () -> false);
            if (shim.isEmpty()) {
                r.fail("the checker could not start your shim a second time (no pid in " + run.dir().resolve("shim.pid") + ")");
                return;
            }
            long s = shim.getAsLong();
            OptionalLong workload = pidIn(run.shimDir().resolve("pid"), START, () -> !alive(s) || blockedInFifoOpen(s));
            if (workload.isEmpty()) {
                r.fail("the second workload did not start (your shim's output: " + tail(run.dir().resolve("shim.out")) + ")");
                return;
            }
            run.parent().destroyForcibly();
            run.parent().waitFor();
            Checker.sh("kill", "-KILL", Long.toString(workload.getAsLong()));
            waitUntil(() -> !alive(s), Duration.ofSeconds(20));
            String exit = Proc.first(run.shimDir().resolve("exit"));
            r.check(exit.equals("137"), "a workload killed by SIGKILL is recorded as 137 (128 + 9)",
                    exit.isEmpty() ? "DIR/exit is missing after the checker killed the workload with SIGKILL"
                            : "DIR/exit says " + exit + " for a workload killed by SIGKILL, not 137: a signal's number is the low 7 bits "
                            + "of the wait status (WTERMSIG), and a shell reports 128 + that number");
            List<Long> left = running(run.dir());
            r.check(!alive(s) && left.isEmpty(), "after a SIGKILL of the workload the shim exits too, and nothing is left running",
                    alive(s) ? "your shim (pid " + s + ") still runs after its workload was killed" : "still running: pids " + left);
        } finally {
            cleanup(run);
        }
    }

    private static void fifoHint(Report r) {
        r.hint("fifo-open-blocks", "open(2) of a FIFO blocks until its other end is open (fifo(7)): O_WRONLY (new FileOutputStream, "
                + "or ProcessBuilder.redirectOutput(FIFO), which opens it in your JVM) waits for a reader, O_RDONLY "
                + "(new FileInputStream) for a writer. Open it O_RDWR first, new RandomAccessFile(FIFO, \"rw\"), which never blocks on "
                + "Linux and is both a reader and a writer; then your reader and the workload's writer open at once");
    }

    // kills whatever of the run is left (parent, shim, workload, orphan: all name the run's folder), by pid
    private static void cleanup(Run run) throws Exception {
        run.parent().destroyForcibly();
        run.parent().waitFor();
        for (int i = 0; i < 3; i++) {
            List<Long> left = running(run.dir());
            if (left.isEmpty()) break;
            for (long pid : left) Checker.sh("kill", "-KILL", Long.toString(pid));
            waitUntil(() -> running(run.dir()).isEmpty(), Duration.ofSeconds(5));
        }
    }

    // ---------------------------------------------------------------- /proc

    /** @return the pids of the live (not zombie) processes whose command line names {@code dir} */
    static List<Long> running(Path dir) {
        List<Long> pids = new ArrayList<>();
        String needle = dir.toString();
        long self = ProcessHandle.current().pid();
        try (Stream<Path> s = Files.list(Path.of("/proc"))) {
            for (Path p : s.toList()) {
                String n = p.getFileName().toString();
                if (!n.chars().allMatch(Character::isDigit)) continue;
                long pid = Long.parseLong(n);
                if (pid == self || !alive(pid)) continue;
                if (String.join(" ", Proc.cmdline(pid)).contains(needle)) pids.add(pid);
            }
        } catch (IOException e) {
            return pids;
        }
        return pids;
    }

    /** @return true when the process exists and is not a zombie */
    static boolean alive(long pid) {
        String state = Proc.status(pid, "State");
        return !state.isEmpty() && !state.startsWith("Z") && !state.startsWith("X");
    }

    static long ppid(long pid) {
        String p = Proc.status(pid, "PPid");
        return p.isEmpty() ? -1 : Long.parseLong(p);
    }

    static String name(long pid) {
        if (pid == 1) return "the host's init";
        String n = Proc.status(pid, "Name");
        return n.isEmpty() ? "gone" : n;
    }

    // every thread of a process: its name (comm) and where it sleeps in the kernel (wchan)
    private static List<String[]> threads(long pid) {
        List<String[]> t = new ArrayList<>();
        try (Stream<Path> s = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
            for (Path task : s.toList()) t.add(new String[]{Proc.first(task.resolve("comm")), Proc.first(task.resolve("wchan"))});
        } catch (IOException e) {
            return t;
        }
        return t;
    }

    /** A thread blocked in the open of a FIFO sleeps in wait_for_partner (fs/pipe.c; fifo_open where it is inlined). */
    static boolean blockedInFifoOpen(long pid) {
        return threads(pid).stream().anyMatch(t -> t[1].equals("wait_for_partner") || t[1].equals("fifo_open"));
    }

    /** The JVM's reaper threads are named "process reaper"; one waiting in waitpid sleeps in do_wait. */
    static boolean jvmReaperWaits(long pid) {
        return threads(pid).stream().anyMatch(t -> t[0].equals("process reaper") && t[1].equals("do_wait"));
    }

    private static boolean holds(long pid, Path file) {
        try (Stream<Path> s = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
            return s.anyMatch(fd -> link(fd).equals(file.toString()));
        } catch (IOException e) {
            return false;
        }
    }

    private static String link(Path p) {
        try {
            return Files.readSymbolicLink(p).toString();
        } catch (IOException e) {
            return "";
        }
    }

    private static boolean isFifo(Path p) {
        try {
            BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            return a.isOther() && Files.readAttributes(p, "unix:mode", LinkOption.NOFOLLOW_LINKS).get("mode") instanceof Integer m
                    && (m & 0170000) == 0010000;
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            return "";
        }
    }

    private static String tail(Path p) {
        String[] l = read(p).strip().split("\n");
        for (int i = 0; i < l.length; i++) {
            if (l[i].contains("Exception") && !l[i].strip().startsWith("at ")) return l[i].strip();
        }
        String t = String.join(" | ", List.of(l).subList(Math.max(0, l.length - 3), l.length));
        return t.isBlank() ? "nothing" : t;
    }

    // a pid written into a file (a complete line of digits), or empty when `stop` says to stop waiting or time is up
    private static OptionalLong pidIn(Path file, Duration timeout, BooleanSupplier stop) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < end) {
            String s = read(file);
            if (s.matches("\\d+\n")) return OptionalLong.of(Long.parseLong(s.strip()));
            if (stop.getAsBoolean()) {
                s = read(file);
                return s.matches("\\d+\n") ? OptionalLong.of(Long.parseLong(s.strip())) : OptionalLong.empty();
            }
            Thread.sleep(50);
        }
        return OptionalLong.empty();
    }

    private static void waitUntil(BooleanSupplier condition, Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean() && System.nanoTime() < end) Thread.sleep(50);
    }
}
