package dev.rabbithole.stage2.libcontainer.container;

import dev.rabbithole.stage2.libcontainer.TestConfigs;
import dev.rabbithole.stage2.libcontainer.configs.Cgroup;
import dev.rabbithole.stage2.libcontainer.configs.ContainerConfig;
import dev.rabbithole.stage2.libcontainer.configs.ProcessConfig;

import java.io.File;
import java.lang.ProcessBuilder.Redirect;
import java.nio.file.Path;
import java.util.List;

/**
 * A stand-in daemon for {@link DaemonDeathRootTest}: starts one container ({@code sleep 300} as uid 65534,
 * with a pids limit so it has a cgroup), prints {@code started PID}, and waits to be killed.
 * Arguments: STATE_ROOT ROOTFS ID.
 */
public final class ContainerHolderMain {
    private ContainerHolderMain() { }

    /** @param args state root, rootfs, container ID @throws Exception when the container cannot start */
    public static void main(String[] args) throws Exception {
        ContainerConfig c = TestConfigs.withResources(TestConfigs.config(args[2], Path.of(args[1]),
                new ProcessConfig(List.of("sleep", "300"), List.of("PATH=/bin"), "/", 65534, 65534, List.of())),
                new Cgroup.Resources(0, 0, 0, 0, 0, null, null, 50));
        Redirect none = Redirect.to(new File("/dev/null"));
        LinuxContainer container = LinuxContainer.create(c, Path.of(args[0]),
                LinuxContainer.Options.host(new LinuxContainer.Stdio(Redirect.from(new File("/dev/null")), none, none)));
        container.start();
        System.out.println("started " + container.process().pid());
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }
}
