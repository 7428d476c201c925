package dev.rabbithole.stage2.libcontainer.container;

import dev.rabbithole.stage1.security.Capabilities;
import dev.rabbithole.stage1.security.SeccompProfiles;
import dev.rabbithole.stage2.libcontainer.TestConfigs;
import dev.rabbithole.stage2.libcontainer.configs.Cgroup;
import dev.rabbithole.stage2.libcontainer.configs.ContainerConfig;
import dev.rabbithole.stage2.execdriver.DockerProfiles;

import java.io.File;
import java.lang.ProcessBuilder.Redirect;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Prints the start time of {@code sh -c true} (create + start + wait, then destroy, not timed) with Docker's
 * defaults (14 capabilities, the default seccomp profile, a memory and a pids limit), median, min and max of
 * N runs after one warm-up, with the start-time cache (unless {@code -Dprobe.nocache=true}), and the median time of each step of the start. A program that prints figures,
 * not a test. Needs root. Arguments: [RUNS, default 10].
 */
public final class StartTimeProbe {
    private StartTimeProbe() { }

    /** @param args [runs] @throws Exception on a failed start */
    public static void main(String[] args) throws Exception {
        int runs = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        Path tmp = Files.createTempDirectory("start-probe");
        Path rootfs = TestConfigs.busyboxRootfs(tmp.resolve("rootfs"));
        Path stateRoot = tmp.resolve("state");
        Redirect none = Redirect.to(new File("/dev/null"));
        boolean cache = !Boolean.getBoolean("probe.nocache");
        LinuxContainer.Options host = LinuxContainer.Options.host(
                new LinuxContainer.Stdio(Redirect.from(new File("/dev/null")), none, none));
        LinuxContainer.Options options = new LinuxContainer.Options(host.syscalls(), host.cgroups(),
                cache ? host.init().withCache(tmp.resolve("init-cache")) : host.init(), host.startTimeout(),
                host.stdio());
        if (cache) { // the first start makes the cache in the background; wait for it as a daemon's later starts would
            LinuxContainer warm = LinuxContainer.create(TestConfigs.config("warm", rootfs, TestConfigs.sh("true")),
                    stateRoot, options);
            warm.start();
            warm.waitFor();
            warm.destroy();
            for (int i = 0; i < 200 && !hasArchive(tmp.resolve("init-cache")); i++) {
                Thread.sleep(100);
            }
            System.out.println("AppCDS archive ready: " + hasArchive(tmp.resolve("init-cache")));
        }
        List<Long> totals = new ArrayList<>();
        Map<String, List<Long>> steps = new LinkedHashMap<>();
        for (int i = -1; i < runs; i++) {
            String id = "p" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
            ContainerConfig c = TestConfigs.withResources(TestConfigs.withSecurity(
                    TestConfigs.config(id, rootfs, TestConfigs.sh("true")), TestConfigs.dockerDefaultCaps(),
                    DockerProfiles.toConfig(SeccompProfiles.defaultFor(Capabilities.DOCKER_DEFAULT))),
                    new Cgroup.Resources(64L << 20, 0, 0, 0, 0, null, null, 100));
            long t0 = System.nanoTime();
            LinuxContainer container = LinuxContainer.create(c, stateRoot, options);
            container.start();
            int code = container.waitFor();
            long micros = (System.nanoTime() - t0) / 1000;
            container.destroy();
            if (code != 0) {
                throw new IllegalStateException("sh -c true exited " + code);
            }
            if (i < 0) {
                continue; // warm-up: the first run also pays for this JVM's class loading
            }
            totals.add(micros);
            container.startTimings().forEach((k, v) -> steps.computeIfAbsent(k, x -> new ArrayList<>()).add(v));
        }
        System.out.printf("create+start+wait of sh -c true, %d runs: median %.1f ms, min %.1f, max %.1f%n", runs,
                median(totals) / 1000.0, totals.stream().mapToLong(Long::longValue).min().orElse(0) / 1000.0,
                totals.stream().mapToLong(Long::longValue).max().orElse(0) / 1000.0);
        System.out.println("median time of each step, ms since start() began:");
        steps.entrySet().stream().sorted(Map.Entry.comparingByValue((a, b) -> Long.compare(median(a), median(b))))
                .forEach(e -> System.out.printf("  %7.1f  %s%n", median(e.getValue()) / 1000.0, e.getKey()));
        try (var files = Files.walk(tmp)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    private static boolean hasArchive(Path dir) throws java.io.IOException {
        try (var s = Files.list(dir)) {
            return s.anyMatch(p -> p.toString().endsWith(".jsa"));
        }
    }

    private static long median(List<Long> values) {
        List<Long> sorted = values.stream().sorted().toList();
        return sorted.get(sorted.size() / 2);
    }
}
