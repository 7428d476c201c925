package dev.rabbithole.stage2.libcontainer.container;

import java.io.IOException;

/**
 * The runtime-spec's {@code create} after the state directory exists ({@link LinuxContainer#createInit}):
 * refresh, guard (only a container whose init was never spawned), act (spawn the init, the handshake up to
 * the start gate), persist ({@link Status#CREATED}, with the init's pid, start time and namespaces).
 */
final class ContainerCreate {
    private ContainerCreate() { }

    static void run(LinuxContainer c, InitPool pool) throws ContainerException {
        if (c.status() != Status.CREATING || c.initPid() != 0) {
            throw new ContainerException(ContainerException.Kind.INCORRECT_STATUS,
                    "container " + c.id() + " cannot be created again: it is " + c.status());
        }
        try {
            InitProcess init = c.prepareInit();
            c.spawned(init.spawn(pool)); // persisted: from here a crash leaves what cleanup finds
            c.makeNetwork(); // the veth, while the init waits for its config
            c.makeGate();
            c.parentCalls().addAll(init.awaitCreated(c.execFifo(), () -> {
                c.lowerMemoryBeforeExec();
                c.lowerPidsBeforeExec();
            }));
            c.reached(Status.CREATED);
        } catch (ContainerException e) {
            c.failed();
            throw e;
        } catch (IOException | RuntimeException e) {
            c.failed();
            throw new ContainerException("create " + c.id() + ": " + e.getMessage(), e);
        }
    }
}
