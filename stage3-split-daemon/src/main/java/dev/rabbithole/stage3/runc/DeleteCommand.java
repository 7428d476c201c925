package dev.rabbithole.stage3.runc;

import dev.rabbithole.stage2.libcontainer.container.ContainerException;
import dev.rabbithole.stage2.libcontainer.container.LinuxContainer;
import dev.rabbithole.stage2.libcontainer.container.Status;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

/**
 * {@code runc delete [--force] ID} (runc-delete(8)): removes a stopped (or created: its init is killed)
 * container's state directory and cgroup. A running or paused one needs {@code --force} (SIGKILL first), else
 * runc's {@code cannot delete container ID that is not stopped: running}. A missing container is
 * {@code container does not exist}, except with {@code --force}.
 */
@Command(name = "delete", description = "delete a container's state and cgroup")
final class DeleteCommand implements Callable<Integer> {
    @ParentCommand
    RuncMain runc;

    @Option(names = {"--force", "-f"}, description = "kill a running container first")
    boolean force;

    @Parameters(index = "0", paramLabel = "ID")
    String id;

    @Override
    public Integer call() throws Exception {
        LinuxContainer c;
        try {
            c = runc.load(id);
        } catch (RuncException e) {
            // a directory without a state (an aborted create) is removed all the same
            Path dir = runc.root().resolve(id);
            if (id.matches("[A-Za-z0-9][A-Za-z0-9_.-]{0,127}") && Files.isDirectory(dir)
                    && !Files.exists(dir.resolve(LinuxContainer.STATE_FILE))) {
                removeTree(dir);
            }
            if (force && e.getMessage().equals("container does not exist")) {
                return 0;
            }
            throw e;
        }
        Status s = c.state().status();
        if ((s == Status.RUNNING || s == Status.PAUSED) && !force) {
            throw new RuncException("cannot delete container " + id + " that is not stopped: "
                    + RuncState.statusName(s));
        }
        RuncState r = RuncState.read(c.stateDir());
        if (s == Status.PAUSED) {
            PauseCommand.freeze(c, false); // a frozen task gets its SIGKILL only once thawed
        }
        try {
            c.destroy();
        } catch (ContainerException e) {
            throw new RuncException(e.getMessage());
        }
        poststop(r, id, runc.log());
        return 0;
    }

    /** The poststop hooks, once the container is gone; a failing one is logged as a warning. */
    static void poststop(RuncState r, String id, RuncLog log) {
        try {
            Hooks.run(r.hooksOrNone().poststop(), "poststop", Hooks.state(r, id, "stopped", 0));
        } catch (RuncException e) {
            log.warn(e.getMessage());
        }
    }

    private static void removeTree(Path dir) throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) walk.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        }
    }
}
