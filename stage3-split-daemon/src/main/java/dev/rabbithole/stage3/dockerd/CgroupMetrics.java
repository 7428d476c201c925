package dev.rabbithole.stage3.dockerd;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.Any;
import com.google.protobuf.Descriptors;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.rabbithole.stage1.cgroups.ResourceStats;
import dev.rabbithole.stage1.cgroups.ResourceUpdate;
import dev.rabbithole.stage1.errdefs.SystemException;
import dev.rabbithole.stage3.api.cgroups.BlkIOEntry;
import dev.rabbithole.stage3.api.cgroups.MemoryStat;
import dev.rabbithole.stage3.api.cgroups.Metrics;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * dockerd's side of {@code docker stats} and {@code docker update} on containerd: the {@code Any} of
 * {@code Tasks.Metrics} ({@code io.containerd.cgroups.v1.Metrics}, what containerd 1.6's runc shim and ours answer on a
 * cgroup v1 host) as the daemon's {@link ResourceStats}, and a {@link ResourceUpdate} as the {@code Any} of
 * {@code Tasks.Update} (the runtime-spec's {@code LinuxResources} as JSON, containerd's type URL for it).
 */
final class CgroupMetrics {

    /** The type URL containerd gives the runtime-spec's LinuxResources (JSON-encoded). */
    static final String LINUX_RESOURCES = "types.containerd.io/opencontainers/runtime-spec/1/LinuxResources";

    private CgroupMetrics() { }

    // tag::metrics-to-stats[]
    /**
     * @param data the {@code data} of one {@code containerd.types.Metric}
     * @return the counters, {@code memory.stat} keys as the kernel names them ({@code pgfault}, {@code total_rss}, ...)
     * @throws SystemException another metrics type (cgroup v2's {@code io.containerd.cgroups.v2.Metrics} is not read
     *                         yet) or bytes that do not parse
     */
    static ResourceStats stats(Any data) {
        if (!data.getTypeUrl().endsWith("io.containerd.cgroups.v1.Metrics")) {
            throw new SystemException("stats: metrics of type " + data.getTypeUrl() + " are not supported");
        }
        Metrics m;
        try {
            m = Metrics.parseFrom(data.getValue());
        } catch (InvalidProtocolBufferException e) {
            throw new SystemException("stats: unreadable metrics: " + e.getMessage(), e);
        }
        Map<String, Long> raw = new LinkedHashMap<>();
        MemoryStat ms = m.getMemory();
        for (Descriptors.FieldDescriptor f : MemoryStat.getDescriptor().getFields()) {
            if (f.getJavaType() == Descriptors.FieldDescriptor.JavaType.LONG) {
                raw.put(statKey(f.getName()), (Long) ms.getField(f));
            }
        }
        var cpu = m.getCpu();
        return new ResourceStats(
                new ResourceStats.Cpu(cpu.getUsage().getTotal(), List.copyOf(cpu.getUsage().getPerCpuList()),
                        cpu.getUsage().getKernel(), cpu.getUsage().getUser(), cpu.getThrottling().getPeriods(),
                        cpu.getThrottling().getThrottledPeriods(), cpu.getThrottling().getThrottledTime()),
                new ResourceStats.Memory(ms.getUsage().getUsage(), ms.getUsage().getMax(), ms.getUsage().getLimit(),
                        ms.getUsage().getFailcnt(), raw),
                new ResourceStats.Pids(m.getPids().getCurrent(), m.getPids().getLimit()),
                new ResourceStats.Blkio(entries(m.getBlkio().getIoServiceBytesRecursiveList()),
                        entries(m.getBlkio().getIoServicedRecursiveList())));
    }
    // end::metrics-to-stats[]

    /** The {@code memory.stat} key of a {@code MemoryStat} field ({@code pg_pg_in} is {@code pgpgin}, ...). */
    static String statKey(String field) {
        return field.replace("pg_pg_", "pgpg").replace("pg_maj_fault", "pgmajfault").replace("pg_fault", "pgfault")
                .replace("hierarchical_swap_limit", "hierarchical_memsw_limit");
    }

    private static List<ResourceStats.BlkioEntry> entries(List<BlkIOEntry> in) {
        List<ResourceStats.BlkioEntry> out = new ArrayList<>();
        for (BlkIOEntry e : in) {
            out.add(new ResourceStats.BlkioEntry(e.getMajor(), e.getMinor(), e.getOp(), e.getValue()));
        }
        return out;
    }

    /**
     * The runtime-spec's {@code linux.resources} for an update: only the fields that change ({@code memory.limit},
     * {@code memory.swap}, {@code cpu.shares}, {@code cpu.quota}, {@code cpu.period}, {@code pids.limit}).
     */
    static Any resources(ResourceUpdate u) {
        ObjectMapper json = new ObjectMapper();
        ObjectNode r = json.createObjectNode();
        if (u.memoryBytes() != 0 || u.memorySwapBytes() != 0) {
            ObjectNode mem = r.putObject("memory");
            if (u.memoryBytes() != 0) {
                mem.put("limit", u.memoryBytes());
            }
            if (u.memorySwapBytes() != 0) {
                mem.put("swap", u.memorySwapBytes());
            }
        }
        if (u.cpuShares() != 0 || u.cpuQuotaMicros() != 0 || u.cpuPeriodMicros() != 0) {
            ObjectNode cpu = r.putObject("cpu");
            if (u.cpuShares() != 0) {
                cpu.put("shares", u.cpuShares());
            }
            if (u.cpuQuotaMicros() != 0) {
                cpu.put("quota", u.cpuQuotaMicros());
            }
            if (u.cpuPeriodMicros() != 0) {
                cpu.put("period", u.cpuPeriodMicros());
            }
        }
        if (u.pidsLimit() != 0) {
            r.putObject("pids").put("limit", u.pidsLimit());
        }
        return Any.newBuilder().setTypeUrl(LINUX_RESOURCES)
                .setValue(com.google.protobuf.ByteString.copyFrom(r.toString(), StandardCharsets.UTF_8)).build();
    }
}
