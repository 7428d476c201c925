package dev.rabbithole.stage2.libcontainer.container;

import dev.rabbithole.stage2.libcontainer.configs.ContainerConfig;

import java.nio.file.Path;

/**
 * Makes and finds containers under a runtime root, as runc's and youki's libcontainer factories: a container
 * is a directory {@code ROOT/ID} whose {@code state.json} ({@link ContainerState}) is the truth, so the
 * process that {@link #load loads} it need not be the one that {@link #create created} it.
 */
public final class LinuxFactory {
    private LinuxFactory() { }

    /**
     * The runtime-spec's {@code create}: validates the config, makes {@code root/id}, spawns the init and
     * waits until it blocks at the start gate. On failure nothing is left behind.
     *
     * @param root    the runtime root, e.g. {@code /run/rabbithole/stage2/containers}
     * @param id      the container ID; must be the config's
     * @param config  the complete container config
     * @param options how to run it (kernel interface, cgroup driver, init command, start timeout, stdio)
     * @return the container, {@link Status#CREATED}
     * @throws ContainerException {@link ContainerException.Kind#INVALID_CONFIG}, {@link ContainerException.Kind#EXISTS},
     *                            {@link ContainerException.Kind#INIT_FAILED} (the init's failing call and errno),
     *                            {@link ContainerException.Kind#SYSTEM}
     */
    public static LinuxContainer create(Path root, String id, ContainerConfig config, LinuxContainer.Options options)
            throws ContainerException {
        if (config == null || !config.id().equals(id)) {
            throw new ContainerException(ContainerException.Kind.INVALID_CONFIG,
                    "the config's id " + (config == null ? null : config.id()) + " is not " + id);
        }
        LinuxContainer c = LinuxContainer.create(config, root, options);
        try {
            c.createInit(null);
        } catch (ContainerException e) {
            try {
                c.destroy();
            } catch (ContainerException ignored) {
                // the create error is what the caller needs
            }
            throw e;
        }
        return c;
    }

    /**
     * Loads a container another process (or this one) created: its state from {@code root/id/state.json},
     * its status derived now.
     *
     * @param root    the runtime root given to {@link #create}
     * @param id      the container ID
     * @param options how to act on it; its stdio and init command are not used
     * @return the container; {@link LinuxContainer#process()} is null (its init is not this process's child)
     * @throws ContainerException {@link ContainerException.Kind#NOT_EXIST} when there is no such container
     */
    public static LinuxContainer load(Path root, String id, LinuxContainer.Options options) throws ContainerException {
        return LinuxContainer.load(root, id, options);
    }
}
