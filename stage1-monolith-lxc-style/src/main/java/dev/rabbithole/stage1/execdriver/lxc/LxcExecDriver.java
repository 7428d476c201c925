package dev.rabbithole.stage1.execdriver.lxc;

import dev.rabbithole.stage1.execdriver.Command;
import dev.rabbithole.stage1.execdriver.ContainerProcess;
import dev.rabbithole.stage1.execdriver.ExecDriver;

/** The LXC exec driver. Stub: the LXC helper fills it in. */
public class LxcExecDriver implements ExecDriver {
    public LxcExecDriver() { }
    @Override public String name() { return "lxc"; }
    @Override public ContainerProcess start(Command command) { throw new UnsupportedOperationException("TODO"); }
    @Override public void cleanup(Command command) { }
}
