package dev.rabbithole.stage1.execdriver;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Docker 0.x's execution driver: the part of the daemon that turns a {@link Command} into a
 * running container. Stage 1 has the LXC driver; stage 2 adds the native (libcontainer) one.
 */
public interface ExecDriver {

    /** @return the name {@code /info} reports as ExecutionDriver, e.g. {@code lxc-5.0.2} */
    String name();

    /**
     * Starts the container and returns once its process runs.
     *
     * @throws dev.rabbithole.stage1.errdefs.SystemException the driver's tool is missing or the start failed
     *         (the message says which and why); nothing of the container is left running
     * @throws dev.rabbithole.stage1.errdefs.InvalidParameterException the command cannot be expressed
     */
    ContainerProcess start(Command command);

    /**
     * Removes what a container of this driver may have left behind when the daemon that ran it died
     * (processes, cgroups). Idempotent: nothing left is success.
     *
     * @param containerId the container ID, 64 hex characters
     * @param stateDir    the container's {@link Command#stateDir()}
     */
    void cleanup(String containerId, Path stateDir);

    /**
     * When a container of this driver ended, as far as the driver's state files tell, for a container whose
     * daemon died before it could record the exit (its FinishedAt).
     *
     * @param containerId the container ID, 64 hex characters
     * @param stateDir    the container's {@link Command#stateDir()}
     * @return the time the container ended, or empty when the driver cannot tell
     */
    default Optional<Instant> endedAt(String containerId, Path stateDir) {
        return Optional.empty();
    }

    /**
     * The name of the directory the daemon gives this driver in each container's directory
     * ({@code DATA_ROOT/containers/ID/NAME}, passed as {@link Command#stateDir()}).
     *
     * @return a plain file name; {@code lxc} unless the driver names its own (stage 1's layout)
     */
    default String stateDirName() {
        return "lxc";
    }

    /**
     * What the driver can tell about the kernel calls that started a container, one line each, in order:
     * what {@code run --explain} prints (a rabbithole extension, {@code GET /containers/{id}/explain}).
     *
     * @param containerId the container ID, 64 hex characters
     * @param stateDir    the container's {@link Command#stateDir()}
     * @return the lines; by default one line saying this driver records nothing
     */
    default List<String> explain(String containerId, Path stateDir) {
        return List.of("the " + name() + " exec driver does not record the kernel calls of a start");
    }

    /**
     * What {@code GET /info} reports of the driver, in a rabbithole extension field,
     * {@code ExecutionDriverStatus}: pairs as the storage driver's {@code DriverStatus}.
     *
     * @return label to value, in order; empty by default
     */
    default java.util.Map<String, String> status() {
        return java.util.Map.of();
    }

    /**
     * Whether this driver can give a container a stdin the daemon writes to ({@code docker run -i},
     * Config.OpenStdin) and a terminal ({@code -t}, Config.Tty); the daemon refuses at create what it cannot.
     *
     * @param stdio what the container asks for
     * @return true when the driver can start it so; by default only {@link Command.Stdio#NONE}
     */
    default boolean supports(Command.Stdio stdio) {
        return !stdio.openStdin() && !stdio.tty();
    }

    /** Releases what the driver keeps besides containers (the native driver's init pool); by default nothing. */
    default void close() {
    }
}
