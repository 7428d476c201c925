package dev.rabbithole.stage3.runc;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rabbithole.stage1.cgroups.CgroupFs;
import dev.rabbithole.stage1.cgroups.ResourceStats;
import dev.rabbithole.stage2.libcontainer.container.LinuxContainer;
import dev.rabbithole.stage2.libcontainer.container.Status;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code runc events [--stats] [--interval 5s] ID} (runc-events(8)): the container's cgroup counters as runc's
 * {@code {"type":"stats","id":ID,"data":{...}}} JSON lines (runc's {@code types.Stats}: {@code cpu.usage.total},
 * {@code percpu}, {@code kernel}, {@code user} in nanoseconds; {@code memory.usage} {@code limit}/{@code usage}/
 * {@code max}/{@code failcnt} in bytes and {@code memory.raw} with the lines of {@code memory.stat};
 * {@code pids.current}/{@code limit}; {@code blkio.ioServiceBytesRecursive}). With {@code --stats} one line, else
 * one line per interval while the container runs. What containerd's shim runs for {@code Task.Stats}
 * ({@code docker stats}).
 */
@Command(name = "events", description = "display container events such as OOM notifications and cgroup stats")
final class EventsCommand implements Callable<Integer> {
    @ParentCommand
    RuncMain runc;

    @Option(names = "--stats", description = "display the container's stats then exit")
    boolean stats;

    @Option(names = "--interval", defaultValue = "5s", description = "the stats collection interval (e.g. 5s, 500ms)")
    String interval;

    @Parameters(index = "0", paramLabel = "ID")
    String id;

    @Override
    public Integer call() throws Exception {
        LinuxContainer c = runc.load(id);
        ObjectMapper json = new ObjectMapper();
        Duration every = parse(interval);
        while (true) {
            Status s = c.state().status();
            if (s == Status.STOPPED || s == Status.DESTROYED) {
                throw new RuncException("container with id " + id + " is not running");
            }
            if (c.cgroup() == null) {
                throw new RuncException("container " + id + " has no cgroup");
            }
            ObjectNode event = json.createObjectNode().put("type", "stats").put("id", id);
            event.set("data", data(json, CgroupFs.stats(c.cgroup().paths())));
            System.out.println(json.writeValueAsString(event));
            System.out.flush();
            if (stats) {
                return 0;
            }
            Thread.sleep(every.toMillis());
        }
    }

    // tag::runc-events-stats[]
    /** runc's {@code types.Stats} JSON for one sample. */
    static ObjectNode data(ObjectMapper json, ResourceStats r) {
        ObjectNode data = json.createObjectNode();
        ObjectNode cpu = data.putObject("cpu");
        ObjectNode usage = cpu.putObject("usage").put("total", r.cpu().totalNanos());
        if (!r.cpu().perCpuNanos().isEmpty()) {
            r.cpu().perCpuNanos().forEach(usage.putArray("percpu")::add);
        }
        usage.put("kernel", r.cpu().kernelNanos()).put("user", r.cpu().userNanos());
        cpu.putObject("throttling").put("periods", r.cpu().periods())
                .put("throttledPeriods", r.cpu().throttledPeriods()).put("throttledTime", r.cpu().throttledNanos());
        ObjectNode memory = data.putObject("memory");
        memory.put("cache", r.memory().stats().getOrDefault("cache", 0L));
        memory.putObject("usage").put("limit", r.memory().limitBytes()).put("usage", r.memory().usageBytes())
                .put("max", r.memory().maxUsageBytes()).put("failcnt", r.memory().failcnt());
        memory.putObject("swap").put("limit", 0).put("failcnt", 0);
        memory.putObject("kernel").put("limit", 0).put("failcnt", 0);
        memory.putObject("kernelTCP").put("limit", 0).put("failcnt", 0);
        ObjectNode raw = memory.putObject("raw");
        r.memory().stats().forEach(raw::put);
        data.putObject("pids").put("current", r.pids().current()).put("limit", r.pids().limit());
        ObjectNode blkio = data.putObject("blkio");
        entries(blkio.putArray("ioServiceBytesRecursive"), r.blkio().serviceBytes());
        entries(blkio.putArray("ioServicedRecursive"), r.blkio().serviced());
        data.putObject("hugetlb");
        data.putObject("intel_rdt");
        data.putNull("network_interfaces");
        return data;
    }
    // end::runc-events-stats[]

    private static void entries(ArrayNode out, List<ResourceStats.BlkioEntry> entries) {
        for (ResourceStats.BlkioEntry e : entries) {
            out.addObject().put("major", e.major()).put("minor", e.minor()).put("op", e.op()).put("value", e.value());
        }
    }

    private static Duration parse(String s) throws RuncException {
        try {
            if (s.endsWith("ms")) {
                return Duration.ofMillis(Long.parseLong(s.substring(0, s.length() - 2)));
            }
            if (s.endsWith("s")) {
                return Duration.ofMillis((long) (Double.parseDouble(s.substring(0, s.length() - 1)) * 1000));
            }
            return Duration.ofSeconds(Long.parseLong(s));
        } catch (NumberFormatException e) {
            throw new RuncException("invalid interval " + s);
        }
    }
}
