package dev.rabbithole.stage1.daemon.fakes;

import dev.rabbithole.stage1.errdefs.SystemException;
import dev.rabbithole.stage1.execdriver.Command;
import dev.rabbithole.stage1.execdriver.ContainerProcess;
import dev.rabbithole.stage1.execdriver.ExecDriver;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * An exec driver that runs the command on the host with ProcessBuilder (no isolation at all): for tests of
 * real output and exit codes through the daemon and the API, e.g. the docker CLI's {@code run}.
 */
public final class HostExecDriver implements ExecDriver {
    public final List<Command> started = new CopyOnWriteArrayList<>();

    @Override public String name() { return "host-test"; }

    @Override
    public ContainerProcess start(Command command) {
        started.add(command);
        Process p;
        try {
            p = new ProcessBuilder(command.args()).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .start();
        } catch (IOException e) {
            throw new SystemException("exec: " + e.getMessage(), e);
        }
        return new ContainerProcess() {
            @Override public long pid() { return p.pid(); }
            @Override public InputStream stdout() { return p.getInputStream(); }
            @Override public InputStream stderr() { return p.getErrorStream(); }

            @Override
            public void signal(int signal) {
                try {
                    new ProcessBuilder("kill", "-" + signal, Long.toString(p.pid())).start().waitFor();
                } catch (IOException e) {
                    throw new SystemException("kill: " + e.getMessage(), e);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }

            @Override
            public int waitFor() throws InterruptedException { return p.waitFor(); }
        };
    }

    @Override
    public void cleanup(String containerId, java.nio.file.Path stateDir) { }
}
