package dev.rabbithole.stage3.runc;

import dev.rabbithole.stage2.libcontainer.container.ContainerException;
import dev.rabbithole.stage2.libcontainer.container.LinuxContainer;
import dev.rabbithole.stage2.libcontainer.container.Status;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

import java.util.concurrent.Callable;

/**
 * {@code runc start ID} (runc-start(8)): opens the created container's start gate ({@code exec.fifo}): its init
 * execve's the workload. Exits once the workload runs; the container lives on.
 */
@Command(name = "start", description = "start a created container")
final class StartCommand implements Callable<Integer> {
    @ParentCommand
    RuncMain runc;

    @Parameters(index = "0", paramLabel = "ID")
    String id;

    @Override
    public Integer call() throws Exception {
        LinuxContainer c = runc.load(id);
        start(c, runc.log(), runc.extension);
        return 0;
    }

    // tag::runc-start[]
    /**
     * Starts a created container, with runc's messages for the other statuses, then runs its poststart hooks
     * (a failing one is logged as a warning).
     */
    static void start(LinuxContainer c, RuncLog log) throws RuncException {
        start(c, log, new RuncMain.Extension() { });
    }

    /** As {@link #start(LinuxContainer, RuncLog)}, telling {@code extension} once the start gate opened. */
    static void start(LinuxContainer c, RuncLog log, RuncMain.Extension extension) throws RuncException {
        Status s = c.state().status();
        switch (s) {
            case CREATED -> {
                extension.beforeStart(c.stateDir());
                try {
                    c.start();
                } catch (ContainerException e) {
                    throw new RuncException(e.getMessage());
                }
            }
            case STOPPED, DESTROYED -> throw new RuncException("cannot start a container that has stopped");
            case RUNNING -> throw new RuncException("cannot start an already running container");
            default -> throw new RuncException("cannot start a container in the " + RuncState.statusName(s) + " state");
        }
        extension.started(c.stateDir(), c.pid());
        RuncState r = RuncState.read(c.stateDir());
        try {
            Hooks.run(r.hooksOrNone().poststart(), "poststart", Hooks.state(r, c.id(), "running", c.pid()));
        } catch (RuncException e) {
            log.warn(e.getMessage());
        }
    }
    // end::runc-start[]
}
