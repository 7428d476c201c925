package dev.rabbithole.stage1.execdriver.lxc;

import dev.rabbithole.stage1.execdriver.Command;
import dev.rabbithole.stage1.security.Capabilities;
import dev.rabbithole.stage1.security.SeccompProfiles;

import java.nio.file.Path;
import java.util.List;

/** A JVM that starts one container and waits to be killed: args rootfs, stateDir, id, user. */
public final class DaemonStandIn {
    public static void main(String[] args) throws Exception {
        Command c = new Command(args[2], Path.of(args[0]), Path.of(args[1]), List.of("sleep", "100"),
                List.of("PATH=/bin"), "/", args[3], "standin", Command.Resources.NONE,
                Capabilities.resolve(null, null, false), false, SeccompProfiles.defaultProfile());
        var p = (LxcExecDriver.LxcProcess) new LxcExecDriver().start(c);
        System.out.println(p.workloadPid());
        System.out.flush();
        Thread.sleep(600_000);
    }
}
