package dev.rabbithole.stage3.shim;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.Descriptors;
import dev.rabbithole.stage3.api.cgroups.BlkIOEntry;
import dev.rabbithole.stage3.api.cgroups.BlkIOStat;
import dev.rabbithole.stage3.api.cgroups.CPUStat;
import dev.rabbithole.stage3.api.cgroups.CPUUsage;
import dev.rabbithole.stage3.api.cgroups.MemoryEntry;
import dev.rabbithole.stage3.api.cgroups.MemoryStat;
import dev.rabbithole.stage3.api.cgroups.Metrics;
import dev.rabbithole.stage3.api.cgroups.PidsStat;
import dev.rabbithole.stage3.api.cgroups.Throttle;

/**
 * The {@code data} of {@code runc events --stats} (runc's {@code types.Stats} JSON: {@code cpu.usage.total} in
 * nanoseconds, {@code memory.usage}, {@code memory.raw} with the lines of {@code memory.stat}, {@code pids},
 * {@code blkio.ioServiceBytesRecursive}) as the {@code io.containerd.cgroups.v1.Metrics} message containerd's shim
 * answers {@code Task.Stats} with.
 */
final class RuncStats {

    /** The type URL of the Any that carries the metrics, as containerd's typeurl names the message. */
    static final String METRICS_V1 = "io.containerd.cgroups.v1.Metrics";

    private RuncStats() { }

    // tag::runc-stats-to-metrics[]
    /**
     * @param data the {@code data} object of one {@code {"type":"stats","id":...,"data":{...}}} line
     * @return the metrics; absent figures are 0
     */
    static Metrics metrics(JsonNode data) {
        Metrics.Builder m = Metrics.newBuilder();
        JsonNode cpu = data.path("cpu");
        CPUUsage.Builder usage = CPUUsage.newBuilder().setTotal(cpu.path("usage").path("total").asLong())
                .setKernel(cpu.path("usage").path("kernel").asLong()).setUser(cpu.path("usage").path("user").asLong());
        cpu.path("usage").path("percpu").forEach(n -> usage.addPerCpu(n.asLong()));
        JsonNode th = cpu.path("throttling");
        m.setCpu(CPUStat.newBuilder().setUsage(usage).setThrottling(Throttle.newBuilder()
                .setPeriods(th.path("periods").asLong()).setThrottledPeriods(th.path("throttledPeriods").asLong())
                .setThrottledTime(th.path("throttledTime").asLong())));
        JsonNode mem = data.path("memory");
        MemoryStat.Builder ms = MemoryStat.newBuilder().setUsage(entry(mem.path("usage"))).setSwap(entry(mem.path("swap")))
                .setKernel(entry(mem.path("kernel"))).setKernelTcp(entry(mem.path("kernelTCP")));
        JsonNode raw = mem.path("raw");
        for (Descriptors.FieldDescriptor f : MemoryStat.getDescriptor().getFields()) {
            if (f.getJavaType() == Descriptors.FieldDescriptor.JavaType.LONG && raw.has(statKey(f.getName()))) {
                ms.setField(f, raw.get(statKey(f.getName())).asLong());
            }
        }
        m.setMemory(ms);
        m.setPids(PidsStat.newBuilder().setCurrent(data.path("pids").path("current").asLong())
                .setLimit(data.path("pids").path("limit").asLong()));
        JsonNode blkio = data.path("blkio");
        BlkIOStat.Builder b = BlkIOStat.newBuilder();
        blkio.path("ioServiceBytesRecursive").forEach(e -> b.addIoServiceBytesRecursive(blkioEntry(e)));
        blkio.path("ioServicedRecursive").forEach(e -> b.addIoServicedRecursive(blkioEntry(e)));
        m.setBlkio(b);
        return m.build();
    }
    // end::runc-stats-to-metrics[]

    /**
     * The {@code memory.stat} key of a {@code MemoryStat} field: the same name but for the page counters
     * ({@code pg_pg_in} is {@code pgpgin}, {@code pg_fault} is {@code pgfault}, ...) and the swap limit
     * ({@code hierarchical_swap_limit} is {@code hierarchical_memsw_limit}).
     */
    static String statKey(String field) {
        return field.replace("pg_pg_", "pgpg").replace("pg_maj_fault", "pgmajfault").replace("pg_fault", "pgfault")
                .replace("hierarchical_swap_limit", "hierarchical_memsw_limit");
    }

    private static MemoryEntry entry(JsonNode e) {
        return MemoryEntry.newBuilder().setLimit(e.path("limit").asLong()).setUsage(e.path("usage").asLong())
                .setMax(e.path("max").asLong()).setFailcnt(e.path("failcnt").asLong()).build();
    }

    private static BlkIOEntry blkioEntry(JsonNode e) {
        return BlkIOEntry.newBuilder().setMajor(e.path("major").asLong()).setMinor(e.path("minor").asLong())
                .setOp(e.path("op").asText("")).setValue(e.path("value").asLong()).build();
    }
}
