package dev.rabbithole.stage3.runc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rabbithole.stage2.libcontainer.cgroups.CgroupException;
import dev.rabbithole.stage2.libcontainer.configs.Cgroup;
import dev.rabbithole.stage2.libcontainer.container.LinuxContainer;
import dev.rabbithole.stage2.libcontainer.container.Status;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code runc update [--resources FILE|-] [--memory N] [--memory-swap N] [--cpu-shares N] [--cpu-quota N]
 * [--cpu-period N] [--cpuset-cpus LIST] [--cpuset-mems LIST] [--pids-limit N] ID} (runc-update(8)): changes a
 * running container's cgroup limits; {@code --resources} takes the runtime-spec's {@code linux.resources}
 * object (config-linux.md), which containerd's shim writes to stdin ({@code -}) for {@code docker update}. The
 * options override it; only what is given is written (blkio and the other fields {@link SpecConverter} refuses
 * are refused here too). Sizes take the suffixes k, m, g (powers of 1024), as runc's. The limits are written to
 * the cgroup; {@code state.json} keeps the ones the container was created with.
 */
@Command(name = "update", description = "update a container's resource limits")
final class UpdateCommand implements Callable<Integer> {
    @ParentCommand
    RuncMain runc;

    @Option(names = {"--resources", "-r"}, description = "a linux.resources JSON file, or - for stdin")
    String resources;

    @Option(names = {"--memory", "-m"}, description = "memory limit (bytes, or with k, m, g)")
    String memory;

    @Option(names = "--memory-swap", description = "memory plus swap limit (bytes, or with k, m, g; -1 unlimited)")
    String memorySwap;

    @Option(names = "--cpu-shares", description = "CPU shares (relative weight)")
    Long cpuShares;

    @Option(names = "--cpu-quota", description = "CFS quota per period, microseconds")
    Long cpuQuota;

    @Option(names = "--cpu-period", description = "CFS period, microseconds")
    Long cpuPeriod;

    @Option(names = "--cpuset-cpus", description = "CPUs allowed, e.g. 0-1,3")
    String cpusetCpus;

    @Option(names = "--cpuset-mems", description = "memory nodes allowed")
    String cpusetMems;

    @Option(names = "--pids-limit", description = "maximum number of tasks")
    Long pidsLimit;

    @Parameters(index = "0", paramLabel = "ID")
    String id;

    @Override
    public Integer call() throws Exception {
        LinuxContainer c = runc.load(id);
        Status s = c.state().status();
        if (s == Status.STOPPED || s == Status.DESTROYED) {
            throw new RuncException("container not running");
        }
        ObjectMapper json = new ObjectMapper();
        JsonNode given = resources == null ? json.createObjectNode()
                : resources.equals("-") ? json.readTree(System.in) : json.readTree(Path.of(resources).toFile());
        if (given == null || !given.isObject()) {
            throw new RuncException("--resources: not a JSON object");
        }
        ObjectNode r = (ObjectNode) given;
        if (memory != null) {
            r.withObjectProperty("memory").put("limit", bytes(memory, "--memory"));
        }
        if (memorySwap != null) {
            r.withObjectProperty("memory").put("swap", bytes(memorySwap, "--memory-swap"));
        }
        if (cpuShares != null) {
            r.withObjectProperty("cpu").put("shares", cpuShares);
        }
        if (cpuQuota != null) {
            r.withObjectProperty("cpu").put("quota", cpuQuota);
        }
        if (cpuPeriod != null) {
            r.withObjectProperty("cpu").put("period", cpuPeriod);
        }
        if (cpusetCpus != null) {
            r.withObjectProperty("cpu").put("cpus", cpusetCpus);
        }
        if (cpusetMems != null) {
            r.withObjectProperty("cpu").put("mems", cpusetMems);
        }
        if (pidsLimit != null) {
            r.withObjectProperty("pids").put("limit", pidsLimit);
        }
        ObjectNode linux = json.createObjectNode();
        linux.set("resources", r);
        Cgroup.Resources converted = SpecConverter.cgroup(id, linux, "/", List.of()).resources();
        if (!r.has("devices")) { // leave the device rules as they are
            converted = new Cgroup.Resources(converted.memoryBytes(), converted.memorySwapBytes(),
                    converted.cpuShares(), converted.cpuQuotaMicros(), converted.cpuPeriodMicros(),
                    converted.cpusetCpus(), converted.cpusetMems(), converted.pidsLimit(), null);
        }
        if (c.cgroup() == null) {
            throw new RuncException("the container has no cgroup");
        }
        try {
            c.cgroup().set(converted);
        } catch (CgroupException | IllegalArgumentException e) {
            throw new RuncException("update " + id + ": " + e.getMessage());
        }
        return 0;
    }

    /**
     * @param s bytes, or with a suffix k, m, g (KiB, MiB, GiB; case-insensitive, an optional b); -1 for unlimited
     * @return bytes
     */
    static long bytes(String s, String option) throws RuncException {
        String t = s.trim().toLowerCase(Locale.ROOT).replaceFirst("b$", "");
        try {
            if (t.equals("-1")) {
                return -1;
            }
            long unit = switch (t.isEmpty() ? ' ' : t.charAt(t.length() - 1)) {
                case 'k' -> 1L << 10;
                case 'm' -> 1L << 20;
                case 'g' -> 1L << 30;
                default -> 1;
            };
            String digits = unit == 1 ? t : t.substring(0, t.length() - 1);
            return Math.multiplyExact(Long.parseLong(digits), unit);
        } catch (NumberFormatException | ArithmeticException e) {
            throw new RuncException(option + ": invalid size: " + s);
        }
    }
}
