package dev.rabbithole.stage3.runc;

import dev.rabbithole.stage2.libcontainer.container.LinuxContainer;
import dev.rabbithole.stage2.libcontainer.container.Status;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code runc pause ID} and {@code runc resume ID} (runc-pause(8), runc-resume(8)): freezes or thaws every
 * process of the container with the cgroup freezer (kernel doc cgroup-v1/freezer-subsystem.rst:
 * {@code freezer.state} FROZEN / THAWED; cgroup-v2.rst: {@code cgroup.freeze} 1 / 0), waiting until the kernel
 * reports the new state. libcontainer derives {@code paused} from the same files. What containerd's shim runs
 * for {@code docker pause} and {@code docker unpause}.
 */
final class PauseCommand {
    private PauseCommand() {
    }

    /** {@code runc pause ID}. */
    @Command(name = "pause", description = "suspend all processes of a container (cgroup freezer)")
    static final class Pause implements Callable<Integer> {
        @ParentCommand
        RuncMain runc;

        @Parameters(index = "0", paramLabel = "ID")
        String id;

        @Override
        public Integer call() throws Exception {
            LinuxContainer c = runc.load(id);
            if (c.state().status() != Status.RUNNING) {
                throw new RuncException("container not running");
            }
            freeze(c, true);
            return 0;
        }
    }

    /** {@code runc resume ID}. */
    @Command(name = "resume", description = "resume all processes of a paused container")
    static final class Resume implements Callable<Integer> {
        @ParentCommand
        RuncMain runc;

        @Parameters(index = "0", paramLabel = "ID")
        String id;

        @Override
        public Integer call() throws Exception {
            LinuxContainer c = runc.load(id);
            if (c.state().status() != Status.PAUSED) {
                throw new RuncException("container not paused");
            }
            freeze(c, false);
            return 0;
        }
    }

    static void freeze(LinuxContainer c, boolean frozen) throws RuncException, IOException, InterruptedException {
        Map<String, Path> paths = c.cgroup() == null ? Map.of() : c.cgroup().paths();
        Path v1 = paths.get("freezer");
        Path v2 = paths.get("unified");
        Path file;
        String value;
        String done;
        if (v1 != null && Files.exists(v1.resolve("freezer.state"))) {
            file = v1.resolve("freezer.state");
            value = frozen ? "FROZEN" : "THAWED";
            done = value;
        } else if (v2 != null && Files.exists(v2.resolve("cgroup.freeze"))) {
            file = v2.resolve("cgroup.freeze");
            value = frozen ? "1" : "0";
            done = null;
        } else {
            throw new RuncException("the container has no freezer cgroup");
        }
        Files.writeString(file, value);
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (true) {
            boolean reached = done != null ? Files.readString(file).trim().equals(done)
                    : Files.readAllLines(v2.resolve("cgroup.events")).contains("frozen " + value);
            if (reached) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new RuncException("timed out waiting for the container to become " + (frozen ? "frozen" : "thawed"));
            }
            Thread.sleep(2);
        }
    }
}
