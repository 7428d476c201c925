package dev.rabbithole.labs.check;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The attendee's runtime, running: its output, its workload's pid on the host, and a way to stop it all.
 */
public final class Container implements AutoCloseable {
    private final Process runtime;
    private final Path log;
    private final String mainClass;

    private Container(Process runtime, Path log, String mainClass) {
        this.runtime = runtime;
        this.log = log;
        this.mainClass = mainClass;
    }

    static Container start(Context ctx, List<String> args) throws IOException {
        Path log = Files.createTempFile(ctx.tmp, "output-", ".log");
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp", ctx.classpath(), ctx.mainClass()));
        cmd.addAll(args);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        p.getOutputStream().close();
        return new Container(p, log, ctx.mainClass());
    }

    /** @return everything the runtime and its workload printed so far */
    public String output() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "";
        }
    }

    /** @return the last lines of the output, or the exception and where in the lab it was thrown, for messages */
    public String tail() {
        String[] l = output().strip().split("\n");
        for (int i = 0; i < l.length; i++) {
            if (l[i].contains("Exception") && !l[i].strip().startsWith("at ")) {
                String where = "";
                for (int j = i + 1; j < l.length && where.isEmpty(); j++) {
                    if (l[j].contains("at " + mainClass + ".")) where = " " + l[j].strip();
                }
                return l[i].strip() + where;
            }
        }
        return String.join(" | ", List.of(l).subList(Math.max(0, l.length - 4), l.length));
    }

    /**
     * Waits for the workload: the runtime's init child once it has become the workload by execve.
     *
     * @param timeout how long to wait
     * @return its host pid, or empty when the runtime exited or the time ran out
     * @throws InterruptedException when interrupted
     */
    public Optional<Long> workload(Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        long init = -1;
        while (System.nanoTime() < end) {
            if (init < 0) {
                // the init: the child JVM started with "MAIN init ..." (other children are ip, nsenter, ...)
                for (ProcessHandle child : runtime.toHandle().children().toList()) {
                    List<String> argv = Proc.cmdline(child.pid());
                    int main = argv.indexOf(mainClass);
                    if (main >= 0 && main + 1 < argv.size() && argv.get(main + 1).equals("init")) init = child.pid();
                }
            } else {
                List<String> argv = Proc.cmdline(init);
                // during execve the cmdline reads empty for a moment: only a process that is gone ends the wait
                if (argv.isEmpty() && ProcessHandle.of(init).map(ProcessHandle::isAlive).orElse(false)) {
                    Thread.sleep(5);
                    continue;
                }
                if (argv.isEmpty()) return Optional.empty();
                if (!argv.contains(mainClass)) return Optional.of(init);
            }
            if (!runtime.isAlive()) return Optional.empty();
            Thread.sleep(20);
        }
        return Optional.empty();
    }

    /**
     * Waits until the output contains a text.
     *
     * @param text    the text
     * @param timeout how long to wait
     * @return whether it appeared
     * @throws InterruptedException when interrupted
     */
    public boolean awaitOutput(String text, Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < end) {
            if (output().contains(text)) return true;
            if (!runtime.isAlive()) return output().contains(text);
            Thread.sleep(20);
        }
        return false;
    }

    /**
     * Kills the workload and everything under the runtime, then waits for the runtime, which should
     * clean up after itself and exit.
     *
     * @param timeout how long the runtime gets to exit before it is killed too
     * @return the runtime's exit status, or empty when it had to be killed
     * @throws InterruptedException when interrupted
     */
    public Optional<Integer> stop(Duration timeout) throws InterruptedException {
        List<ProcessHandle> all = runtime.toHandle().descendants().toList();
        for (ProcessHandle h : all) h.destroyForcibly();
        if (runtime.waitFor(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
            return Optional.of(runtime.exitValue());
        }
        runtime.destroyForcibly();
        runtime.waitFor();
        return Optional.empty();
    }

    /**
     * Waits for the runtime to exit by itself.
     *
     * @param timeout how long
     * @return its exit status, or empty on timeout
     * @throws InterruptedException when interrupted
     */
    public Optional<Integer> exit(Duration timeout) throws InterruptedException {
        if (runtime.waitFor(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
            return Optional.of(runtime.exitValue());
        }
        return Optional.empty();
    }

    /** Stops everything that is still running. */
    @Override
    public void close() throws InterruptedException {
        if (runtime.isAlive()) stop(Duration.ofSeconds(10));
    }
}
