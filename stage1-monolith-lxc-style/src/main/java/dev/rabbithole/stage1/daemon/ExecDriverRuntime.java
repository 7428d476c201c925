package dev.rabbithole.stage1.daemon;

import dev.rabbithole.stage1.execdriver.Command;
import dev.rabbithole.stage1.execdriver.ContainerProcess;
import dev.rabbithole.stage1.execdriver.ExecDriver;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * The {@link ContainerRuntime} of stages 1 and 2: an {@link ExecDriver} (LXC or native) whose containers are
 * the daemon's children. A container that was running when the previous daemon stopped died with it: restore
 * cleans up what the driver may have left (processes, cgroups) and reports it dead, ended when the driver's
 * state files say (LXC's stop hook), else now.
 */
public final class ExecDriverRuntime implements ContainerRuntime {

    private final ExecDriver exec;
    private final Function<String, Path> containerDir;

    /**
     * @param exec         the exec driver that runs the containers
     * @param containerDir a container's directory by ID ({@code DATA_ROOT/containers/ID}); the driver's state
     *                     directory is {@link ExecDriver#stateDirName()} below it
     */
    public ExecDriverRuntime(ExecDriver exec, Function<String, Path> containerDir) {
        this.exec = exec;
        this.containerDir = containerDir;
    }

    @Override
    public ContainerProcess start(Command command) {
        return exec.start(command);
    }

    @Override
    public Restored restore(String containerId, Instant startedAt) {
        Path stateDir = stateDir(containerId);
        quietly(() -> exec.cleanup(containerId, stateDir));
        Optional<Instant> ended;
        try {
            ended = exec.endedAt(containerId, stateDir).filter(t -> startedAt != null && !t.isBefore(startedAt));
        } catch (RuntimeException e) {
            EngineLog.warn(e.getMessage() == null ? e.toString() : e.getMessage());
            ended = Optional.empty();
        }
        return Restored.died(ended.orElse(Instant.now()));
    }

    @Override
    public Path stateDir(String containerId) {
        return containerDir.apply(containerId).resolve(exec.stateDirName());
    }

    @Override
    public List<String> explain(String containerId) {
        return exec.explain(containerId, stateDir(containerId));
    }

    /** @return false: an exec driver of stages 1 and 2 starts containers, not processes inside them */
    @Override
    public boolean canExec() {
        return false;
    }

    /** @return what the exec driver can do ({@link ExecDriver#supports}) */
    @Override
    public boolean supports(Command.Stdio stdio) {
        return exec.supports(stdio);
    }

    /** Through the exec driver's {@link ExecDriver#pause}. */
    @Override
    public void pause(String containerId) {
        exec.pause(containerId, stateDir(containerId), true);
    }

    /** Through the exec driver's {@link ExecDriver#pause} with false. */
    @Override
    public void resume(String containerId) {
        exec.pause(containerId, stateDir(containerId), false);
    }

    /** Through the exec driver's {@link ExecDriver#update}. */
    @Override
    public void update(String containerId, dev.rabbithole.stage1.cgroups.ResourceUpdate update) {
        exec.update(containerId, stateDir(containerId), update);
    }

    /** Through the exec driver's {@link ExecDriver#stats}. */
    @Override
    public dev.rabbithole.stage1.cgroups.ResourceStats stats(String containerId) {
        return exec.stats(containerId, stateDir(containerId));
    }

    /** Through the exec driver's {@link ExecDriver#pids}. */
    @Override
    public List<Long> pids(String containerId) {
        return exec.pids(containerId, stateDir(containerId));
    }

    @Override
    public void close() {
        quietly(exec::close);                     // the native driver's idle init pool
    }

    private static void quietly(Runnable action) {
        try {
            action.run();
        } catch (RuntimeException e) {
            EngineLog.warn(e.getMessage() == null ? e.toString() : e.getMessage());
        }
    }
}
