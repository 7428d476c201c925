package dev.rabbithole.stage3.runc;

import dev.rabbithole.stage2.libcontainer.container.ContainerException;
import dev.rabbithole.stage2.libcontainer.container.LinuxContainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code runc run [--bundle DIR] [--detach] [--pid-file FILE] ID} (runc-run(8)): create and start. With
 * {@code --detach} it exits once the workload runs; without, it waits for the workload, deletes the container
 * and exits with the workload's status (128 + the signal when a signal ended it). The workload's stdio is this
 * process's. While it waits, the signals a terminal or a supervisor sends (HUP, INT, QUIT, TERM, USR1, USR2) are
 * forwarded to the container's process, as runc does.
 */
@Command(name = "run", description = "create and start a container")
final class RunCommand implements Callable<Integer> {
    @ParentCommand
    RuncMain runc;

    @Option(names = {"--bundle", "-b"}, description = "the bundle directory (default: the current directory)")
    String bundle;

    @Option(names = {"--detach", "-d"}, description = "exit once the container runs")
    boolean detach;

    @Option(names = "--pid-file", description = "write the init's host pid to this file")
    Path pidFile;

    @Option(names = "--console-socket", description = "unix socket that receives the pty master (process.terminal)")
    Path consoleSocket;

    @Option(names = "--no-pivot", description = "accepted; the rootfs is always entered with pivot_root(2)")
    boolean noPivot;

    @Option(names = "--no-new-keyring", description = "accepted; no session keyring is ever made")
    boolean noNewKeyring;

    @Option(names = "--preserve-fds", description = "not supported unless 0")
    int preserveFds;

    @Parameters(index = "0", paramLabel = "ID")
    String id;

    @Override
    public Integer call() throws Exception {
        LinuxContainer c = CreateCommand.create(runc, id, bundle, pidFile, consoleSocket, noPivot, preserveFds);
        // as runc: the handlers are in place before the start, and what arrives before it is sent after it
        List<Integer> early = new ArrayList<>();
        boolean[] started = {false};
        if (!detach) {
            for (String name : List.of("HUP", "INT", "QUIT", "TERM", "USR1", "USR2")) {
                try {
                    sun.misc.Signal.handle(new sun.misc.Signal(name), s -> {
                        synchronized (early) {
                            if (!started[0]) {
                                early.add(s.getNumber());
                                return;
                            }
                        }
                        forward(c, s.getNumber());
                    });
                } catch (IllegalArgumentException e) {
                    // the JVM keeps this one (QUIT with its thread dumps): not forwarded
                }
            }
        }
        try {
            StartCommand.start(c, runc.log(), runc.extension);
        } catch (RuncException e) {
            destroyQuietly(c);
            throw e;
        }
        if (detach) {
            return 0;
        }
        synchronized (early) {
            started[0] = true;
            early.forEach(n -> forward(c, n));
        }
        int code;
        try {
            code = c.waitFor();
        } finally {
            RuncState r = RuncState.read(c.stateDir());
            destroyQuietly(c);
            DeleteCommand.poststop(r, c.id(), runc.log());
        }
        return code;
    }

    private static void forward(LinuxContainer c, int signal) {
        try {
            c.signal(signal);
        } catch (ContainerException e) {
            // gone meanwhile: waitFor returns
        }
    }

    private static void destroyQuietly(LinuxContainer c) {
        try {
            c.destroy();
        } catch (ContainerException e) {
            System.err.println("delete " + c.id() + ": " + e.getMessage());
        }
    }
}
