package dev.rabbithole.stage2.libcontainer.container;

/**
 * The runtime-spec's {@code delete} (with runc's {@code --force}): refresh, no guard (any status; a container
 * already destroyed is success), act (SIGKILL to the init, then to anything left in its cgroup; the cgroup
 * and the state directory removed), mark it destroyed. The init is this process's child when it created the
 * container (wait for it), else it is found by pid and start time ({@link LinuxContainer#cleanup}).
 */
final class ContainerDelete {
    private ContainerDelete() { }

    static void run(LinuxContainer c) throws ContainerException {
        if (c.status() == Status.DESTROYED) {
            return; // deleted already: success
        }
        c.closeInit();
        if (c.ownsInit()) {
            c.killOwnInit();
        }
        LinuxContainer.cleanup(c.id(), c.stateDir().getParent(), c.options().cgroups(), c.options().syscalls());
        c.destroyed();
    }
}
