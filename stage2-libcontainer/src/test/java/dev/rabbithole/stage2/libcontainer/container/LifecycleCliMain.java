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
 * A stand-in for a runc-like CLI, one lifecycle operation per run, for {@link CrossProcessLifecycleRootTest}:
 * {@code create ROOT ROOTFS ID} (a {@code sleep 300} as uid 65534 with a pids limit, no parent-death signal;
 * prints {@code created PID} and then waits to be killed), {@code start ROOT ID}, {@code delete ROOT ID},
 * {@code state ROOT ID} (each prints the status after it). A failure prints {@code error KIND message} and
 * exits 1.
 */
public final class LifecycleCliMain {
    private LifecycleCliMain() { }

    /** @param args the operation and its arguments @throws Exception when the JVM is interrupted */
    public static void main(String[] args) throws Exception {
        Redirect none = Redirect.to(new File("/dev/null"));
        LinuxContainer.Options options = LinuxContainer.Options.host(
                new LinuxContainer.Stdio(Redirect.from(new File("/dev/null")), none, none));
        Path root = Path.of(args[1]);
        try {
            switch (args[0]) {
                case "create" -> {
                    ContainerConfig c = TestConfigs.withResources(TestConfigs.config(args[3], Path.of(args[2]),
                            new ProcessConfig(List.of("sleep", "300"), List.of("PATH=/bin"), "/", 65534, 65534,
                                    List.of(), 0)),
                            new Cgroup.Resources(0, 0, 0, 0, 0, null, null, 50));
                    LinuxContainer container = LinuxFactory.create(root, args[3], c, options);
                    System.out.println("created " + container.pid());
                    System.out.flush();
                    Thread.sleep(Long.MAX_VALUE);
                }
                case "start" -> {
                    LinuxContainer container = LinuxFactory.load(root, args[2], options);
                    container.start();
                    System.out.println(container.state().status());
                }
                case "delete" -> {
                    LinuxContainer container;
                    try {
                        container = LinuxFactory.load(root, args[2], options);
                    } catch (ContainerException e) {
                        if (e.kind() != ContainerException.Kind.NOT_EXIST) {
                            throw e;
                        }
                        System.out.println("DESTROYED"); // as runc delete --force: a missing container is success
                        return;
                    }
                    container.destroy();
                    System.out.println(container.state().status());
                }
                case "state" -> System.out.println(LinuxFactory.load(root, args[2], options).state().status());
                default -> throw new IllegalArgumentException("unknown operation " + args[0]);
            }
        } catch (ContainerException e) {
            System.out.println("error " + e.kind() + " " + e.getMessage());
            System.exit(1);
        }
    }
}
