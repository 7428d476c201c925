package dev.rabbithole.stage3.runc;

import dev.rabbithole.stage2.libcontainer.container.ContainerException;
import dev.rabbithole.stage2.libcontainer.container.LinuxContainer;
import dev.rabbithole.stage2.libcontainer.container.Status;
import dev.rabbithole.stage2.libcontainer.system.JnaSyscalls;
import dev.rabbithole.stage2.libcontainer.system.SyscallException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code runc kill [--all] ID [SIGNAL]} (runc-kill(8)): sends a signal (a name with or without {@code SIG}, or a
 * number; default TERM) to the container's init, or with {@code --all} to every process of its cgroup. A stopped
 * container gives runc's {@code container not running}, which containerd's shim reads as "already finished".
 */
@Command(name = "kill", description = "send a signal to a container's init (default TERM)")
final class KillCommand implements Callable<Integer> {
    /** The signal numbers of signal(7) on x86-64 and arm64. */
    static final Map<String, Integer> SIGNALS = Map.ofEntries(Map.entry("HUP", 1), Map.entry("INT", 2),
            Map.entry("QUIT", 3), Map.entry("ILL", 4), Map.entry("TRAP", 5), Map.entry("ABRT", 6),
            Map.entry("IOT", 6), Map.entry("BUS", 7), Map.entry("FPE", 8), Map.entry("KILL", 9),
            Map.entry("USR1", 10), Map.entry("SEGV", 11), Map.entry("USR2", 12), Map.entry("PIPE", 13),
            Map.entry("ALRM", 14), Map.entry("TERM", 15), Map.entry("STKFLT", 16), Map.entry("CHLD", 17),
            Map.entry("CONT", 18), Map.entry("STOP", 19), Map.entry("TSTP", 20), Map.entry("TTIN", 21),
            Map.entry("TTOU", 22), Map.entry("URG", 23), Map.entry("XCPU", 24), Map.entry("XFSZ", 25),
            Map.entry("VTALRM", 26), Map.entry("PROF", 27), Map.entry("WINCH", 28), Map.entry("IO", 29),
            Map.entry("POLL", 29), Map.entry("PWR", 30), Map.entry("SYS", 31));

    @ParentCommand
    RuncMain runc;

    @Option(names = {"--all", "-a"}, description = "send the signal to all processes of the container")
    boolean all;

    @Parameters(index = "0", paramLabel = "ID")
    String id;

    @Parameters(index = "1", paramLabel = "SIGNAL", defaultValue = "TERM")
    String signal;

    @Override
    public Integer call() throws Exception {
        int sig = parse(signal);
        LinuxContainer c = runc.load(id);
        Status s = c.state().status();
        if (s != Status.CREATED && s != Status.RUNNING && s != Status.PAUSED) {
            throw new RuncException("container not running");
        }
        if (all) {
            JnaSyscalls sys = new JnaSyscalls();
            for (long pid : PsCommand.pids(c)) {
                try {
                    sys.kill((int) pid, sig);
                } catch (SyscallException e) {
                    if (e.errno() != SyscallException.ESRCH) {
                        throw new RuncException("kill " + pid + ": " + e.getMessage());
                    }
                }
            }
            return 0;
        }
        try {
            c.signal(sig);
        } catch (ContainerException e) {
            throw new RuncException(e.kind() == ContainerException.Kind.INCORRECT_STATUS ? "container not running"
                    : e.getMessage());
        }
        return 0;
    }

    /**
     * @param s {@code KILL}, {@code SIGKILL}, {@code sigkill} or {@code 9}
     * @return the number
     * @throws RuncException an unknown name or a number outside 1..64
     */
    static int parse(String s) throws RuncException {
        if (s.matches("[0-9]+")) {
            int n = Integer.parseInt(s);
            if (n < 1 || n > 64) {
                throw new RuncException("unknown signal \"" + s + "\"");
            }
            return n;
        }
        String name = s.toUpperCase(Locale.ROOT);
        Integer n = SIGNALS.get(name.startsWith("SIG") ? name.substring(3) : name);
        if (n == null) {
            throw new RuncException("unknown signal \"" + s + "\"");
        }
        return n;
    }
}
