package dev.rabbithole.stage2.libcontainer.container;

import dev.rabbithole.stage2.libcontainer.TestConfigs;
import dev.rabbithole.stage2.libcontainer.configs.ContainerConfig;
import dev.rabbithole.stage2.libcontainer.configs.ProcessConfig;
import dev.rabbithole.stage2.libcontainer.system.JnaSyscalls;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Shared set-up of the root tests that run real containers with the host's cgroups: a busybox rootfs in a
 * temporary directory, a state root beside it, every container destroyed afterwards.
 */
abstract class RootContainerTests {
    /** The cgroup parent of test containers ({@link TestConfigs#config}). */
    static final String CGROUP_PARENT = "rabbithole-test";

    /**
     * How long a start waits for the init JVM: 30 s, or the system property {@code rabbithole.test.initTimeoutSeconds}
     * (the cgroup v2 lane's VM emulates the CPU: a JVM starts there about 20 times slower).
     */
    static final Duration INIT_TIMEOUT = Duration.ofSeconds(Long.getLong("rabbithole.test.initTimeoutSeconds", 30));

    @TempDir
    Path tmp;
    Path rootfs;
    Path stateRoot;
    final List<LinuxContainer> created = new ArrayList<>();

    @BeforeEach
    void needRootAndBusybox() throws IOException {
        assumeTrue(TestConfigs.isRoot(), "needs root: unshare, mount, pivot_root, cgroups");
        assumeTrue(TestConfigs.haveBusybox(), "needs /bin/busybox (Debian busybox-static)");
        rootfs = TestConfigs.busyboxRootfs(tmp.resolve("rootfs"));
        stateRoot = tmp.resolve("state");
    }

    @AfterEach
    void destroyAll() throws Exception {
        for (LinuxContainer c : created) {
            c.destroy();
        }
    }

    record Result(int exitCode, String stdout, String stderr, LinuxContainer container) { }

    static String id() {
        return "t" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
    }

    LinuxContainer create(ContainerConfig config) throws ContainerException {
        LinuxContainer c = LinuxContainer.create(config, stateRoot, new LinuxContainer.Options(new JnaSyscalls(),
                CgroupApplier.HOST, InitCommand.current(), INIT_TIMEOUT, LinuxContainer.Stdio.PIPES));
        created.add(c);
        return c;
    }

    /** Runs to the end; stdout and stderr are read while it runs (a full pipe would block the workload). */
    Result run(ContainerConfig config) throws Exception {
        LinuxContainer c = create(config);
        c.start();
        CompletableFuture<String> out = drain(c.process().getInputStream());
        CompletableFuture<String> err = drain(c.process().getErrorStream());
        int code = c.waitFor();
        return new Result(code, out.get(), err.get(), c);
    }

    Result run(ProcessConfig p) throws Exception {
        return run(TestConfigs.config(id(), rootfs, p));
    }

    static CompletableFuture<String> drain(java.io.InputStream in) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                return "<" + e + ">";
            }
        });
    }

    /** @return whether this host runs the unified hierarchy alone (cgroup v2: its root files in /sys/fs/cgroup) */
    static boolean hostCgroupV2() {
        return Files.exists(Path.of("/sys/fs/cgroup/cgroup.controllers"));
    }

    /**
     * @param c          a started container
     * @param controller a v1 controller name ({@code memory}, {@code pids}, ...)
     * @return its cgroup directory for that controller on v1, the unified directory on v2
     */
    static Path cgroupDir(LinuxContainer c, String controller) {
        Map<String, Path> paths = c.cgroup().paths();
        return paths.getOrDefault(controller, paths.get("unified"));
    }

    /** The cgroup directories of test containers, in every v1 hierarchy (or v2), as paths. */
    static List<Path> testCgroups() throws IOException {
        List<Path> dirs = new ArrayList<>();
        Path mount = Path.of("/sys/fs/cgroup");
        try (Stream<Path> levels = Files.list(mount)) {
            // v1: /sys/fs/cgroup/<hierarchy>/rabbithole-test; v2: /sys/fs/cgroup/rabbithole-test
            List<Path> hierarchies = new ArrayList<>(levels.toList());
            hierarchies.add(mount);
            for (Path h : hierarchies) {
                Path parent = h.resolve(CGROUP_PARENT);
                if (Files.isDirectory(parent)) {
                    try (Stream<Path> s = Files.list(parent)) {
                        s.filter(Files::isDirectory).forEach(dirs::add);
                    }
                }
            }
        }
        return dirs;
    }

    /**
     * Host mounts under this test's temporary directory (other tests on the machine mount and unmount
     * elsewhere at the same time, so the whole table is no measure).
     */
    long mountinfoLines() throws IOException {
        return Files.readAllLines(Path.of("/proc/self/mountinfo")).stream().filter(l -> l.contains(tmp.toString()))
                .count();
    }

    /** @return cgroup directories named after any of these container IDs */
    static List<Path> cgroupsOf(java.util.Collection<String> ids) throws IOException {
        return testCgroups().stream().filter(p -> ids.contains(p.getFileName().toString())).toList();
    }

    static long children() {
        return ProcessHandle.current().children().count();
    }

    static long spawnerThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith("unshare-")).count();
    }

    long stateDirs() throws IOException {
        if (!Files.isDirectory(stateRoot)) {
            return 0;
        }
        try (Stream<Path> s = Files.list(stateRoot)) {
            return s.count();
        }
    }
}
