package dev.rabbithole.stage1.daemon.fakes;

import dev.rabbithole.stage1.errdefs.SystemException;
import dev.rabbithole.stage1.execdriver.Command;
import dev.rabbithole.stage1.execdriver.ContainerProcess;
import dev.rabbithole.stage1.execdriver.ExecDriver;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * An exec driver that "runs" containers with scripted output. The built-in script reads the command:
 * {@code echo WORDS} prints them and exits 0, {@code fail N MESSAGE} prints MESSAGE on stderr and exits N,
 * {@code stubborn} ignores SIGTERM, anything else runs until signalled. {@link #failNextStart} makes a start throw.
 */
public final class ScriptedExecDriver implements ExecDriver {
    public final List<Command> started = new CopyOnWriteArrayList<>();
    public final List<FakeProcess> processes = new CopyOnWriteArrayList<>();
    public final List<String> cleanedUp = new CopyOnWriteArrayList<>();
    public volatile String failNextStart;

    @Override public String name() { return "scripted"; }

    @Override
    public ContainerProcess start(Command command) {
        String failure = failNextStart;
        if (failure != null) {
            failNextStart = null;
            throw new SystemException(failure);
        }
        started.add(command);
        FakeProcess p = new FakeProcess();
        processes.add(p);
        script(command.args()).accept(p);
        return p;
    }

    private static Consumer<FakeProcess> script(List<String> args) {
        switch (args.get(0)) {
            case "echo":
                return p -> {
                    p.stdout(String.join(" ", args.subList(1, args.size())) + "\n");
                    p.exit(0);
                };
            case "fail":
                return p -> {
                    p.stdout("about to fail\n");
                    p.stderr(String.join(" ", args.subList(2, args.size())) + "\n");
                    p.exit(Integer.parseInt(args.get(1)));
                };
            case "stubborn":
                return p -> p.ignoreTerm = true;
            default:
                return p -> { };
        }
    }

    /** @return the last process started */
    public FakeProcess last() { return processes.get(processes.size() - 1); }

    @Override
    public void cleanup(String containerId, java.nio.file.Path stateDir) {
        cleanedUp.add(containerId);
    }
}
