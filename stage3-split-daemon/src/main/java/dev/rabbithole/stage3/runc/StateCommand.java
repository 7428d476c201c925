package dev.rabbithole.stage3.runc;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

import java.util.concurrent.Callable;

/**
 * {@code runc state ID} (runc-state(8)): the container's runtime-spec state (runtime.md, "State") as JSON with a
 * two-space indent, as runc prints it ({@link RuncState#json}).
 */
@Command(name = "state", description = "output the state of a container")
final class StateCommand implements Callable<Integer> {
    @ParentCommand
    RuncMain runc;

    @Parameters(index = "0", paramLabel = "ID")
    String id;

    @Override
    public Integer call() throws Exception {
        System.out.print(GoJson.indent(RuncState.json(runc.load(id)), "  ")); // no newline, as runc
        System.out.flush();
        return 0;
    }
}
