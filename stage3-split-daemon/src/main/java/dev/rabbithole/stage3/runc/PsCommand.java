package dev.rabbithole.stage3.runc;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rabbithole.stage2.libcontainer.cgroups.CgroupManager;
import dev.rabbithole.stage2.libcontainer.container.LinuxContainer;
import dev.rabbithole.stage2.libcontainer.container.Status;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

/**
 * {@code runc ps [--format table|json] ID [PS_OPTIONS...]} (runc-ps(8)): the container's processes, the host pids
 * in its cgroup (and the cgroups below it). {@code json} prints them as a JSON array, what containerd's shim
 * reads for {@code Pids}; {@code table} runs {@code ps} (default options {@code -ef}) and keeps its header and
 * the container's lines.
 */
@Command(name = "ps", description = "list the processes of a container")
final class PsCommand implements Callable<Integer> {
    @ParentCommand
    RuncMain runc;

    @Option(names = {"--format", "-f"}, defaultValue = "table", description = "table or json")
    String format;

    @Parameters(index = "0", paramLabel = "ID")
    String id;

    @Parameters(index = "1..*", paramLabel = "PS_OPTIONS")
    List<String> psOptions;

    @Override
    public Integer call() throws Exception {
        LinuxContainer c = runc.load(id);
        Status s = c.state().status();
        if (s == Status.STOPPED || s == Status.DESTROYED) {
            throw new RuncException("container not running");
        }
        List<Long> pids = pids(c);
        if ("json".equals(format)) {
            System.out.println(new ObjectMapper().writeValueAsString(pids));
            return 0;
        }
        if (!"table".equals(format)) {
            throw new RuncException("invalid format option");
        }
        List<String> cmd = new ArrayList<>(List.of("ps"));
        cmd.addAll(psOptions == null || psOptions.isEmpty() ? List.of("-ef") : psOptions);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String[] lines = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).split("\n");
        if (p.waitFor() != 0 || lines.length == 0) {
            throw new RuncException(String.join(" ", cmd) + " failed: " + String.join("\n", lines));
        }
        int pidColumn = List.of(lines[0].trim().split("\\s+")).indexOf("PID");
        if (pidColumn < 0) {
            throw new RuncException("couldn't find PID field in ps output");
        }
        System.out.println(lines[0]);
        for (int i = 1; i < lines.length; i++) {
            String[] f = lines[i].trim().split("\\s+");
            if (f.length > pidColumn && f[pidColumn].matches("[0-9]+") && pids.contains(Long.parseLong(f[pidColumn]))) {
                System.out.println(lines[i]);
            }
        }
        return 0;
    }

    /**
     * @param c a container
     * @return the host pids in its cgroup and below, sorted; the init's alone when it has no cgroup
     */
    static List<Long> pids(LinuxContainer c) throws IOException {
        CgroupManager m = c.cgroup();
        Map<String, Path> paths = m == null ? Map.of() : m.paths();
        Path dir = paths.getOrDefault("pids", paths.getOrDefault("memory", paths.getOrDefault("unified",
                paths.values().stream().findFirst().orElse(null))));
        TreeSet<Long> pids = new TreeSet<>();
        if (dir == null || !Files.isDirectory(dir)) {
            if (c.pid() > 0) {
                pids.add(c.pid());
            }
            return new ArrayList<>(pids);
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path procs : (Iterable<Path>) walk.filter(p -> p.getFileName().toString().equals("cgroup.procs"))::iterator) {
                for (String line : Files.readAllLines(procs)) {
                    if (!line.isBlank()) {
                        pids.add(Long.parseLong(line.trim()));
                    }
                }
            }
        }
        return new ArrayList<>(pids);
    }
}
