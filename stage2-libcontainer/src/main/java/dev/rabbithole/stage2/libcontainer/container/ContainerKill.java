package dev.rabbithole.stage2.libcontainer.container;

import dev.rabbithole.stage2.libcontainer.system.SyscallException;

/**
 * The runtime-spec's {@code kill}: refresh, guard (created, running or paused: the pid still names the
 * container's process), act (kill(2) on the host pid). Nothing to persist: the status is derived.
 */
final class ContainerKill {
    private ContainerKill() { }

    static void run(LinuxContainer c, int signal) throws ContainerException {
        Status now = c.state().status();
        if (now != Status.CREATED && now != Status.RUNNING && now != Status.PAUSED) {
            throw new ContainerException(ContainerException.Kind.INCORRECT_STATUS,
                    "container " + c.id() + " is not running (" + now + ")");
        }
        try {
            c.options().syscalls().because("signal the workload, pid 1 of its namespace")
                    .kill((int) c.initPid(), signal);
        } catch (SyscallException e) {
            if (e.errno() != SyscallException.ESRCH) { // gone since the refresh: as if it had died after the signal
                throw new ContainerException("kill " + c.id() + ": " + e.getMessage(), e);
            }
        }
    }
}
