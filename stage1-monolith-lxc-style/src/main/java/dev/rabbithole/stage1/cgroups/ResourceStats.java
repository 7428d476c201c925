package dev.rabbithole.stage1.cgroups;

import java.util.List;
import java.util.Map;

/**
 * One sample of a container's cgroup counters, what {@code GET /containers/{id}/stats} (Engine API 1.41) is made
 * of: the figures runc's {@code events --stats} and containerd's {@code io.containerd.cgroups.v1.Metrics} carry.
 * Sources: the kernel's Documentation/admin-guide/cgroup-v1/{cpuacct,memory,pids,blkio-controller}.rst and
 * cgroup-v2.rst.
 *
 * @param cpu    CPU time; never null
 * @param memory memory use and limit; never null
 * @param pids   tasks; never null
 * @param blkio  block I/O per device and operation; empty where the stage has no blkio/io controller
 */
public record ResourceStats(Cpu cpu, Memory memory, Pids pids, Blkio blkio) {

    /** A sample with every counter 0 (a container that does not run). */
    public static final ResourceStats EMPTY = new ResourceStats(new Cpu(0, List.of(), 0, 0, 0, 0, 0),
            new Memory(0, 0, 0, 0, Map.of()), new Pids(0, 0), new Blkio(List.of(), List.of()));

    /**
     * @param totalNanos       CPU time of every task, nanoseconds (v1 {@code cpuacct.usage}, v2 {@code usage_usec} x 1000)
     * @param perCpuNanos      the same per CPU, nanoseconds (v1 {@code cpuacct.usage_percpu}); empty on v2
     * @param kernelNanos      in kernel mode, nanoseconds (v1 {@code cpuacct.stat} system ticks x 10^9/USER_HZ)
     * @param userNanos        in user mode, nanoseconds
     * @param periods          CFS enforcement periods elapsed ({@code cpu.stat nr_periods})
     * @param throttledPeriods periods in which the quota was used up ({@code nr_throttled})
     * @param throttledNanos   time throttled, nanoseconds ({@code throttled_time}, v2 {@code throttled_usec} x 1000)
     */
    public record Cpu(long totalNanos, List<Long> perCpuNanos, long kernelNanos, long userNanos, long periods,
                      long throttledPeriods, long throttledNanos) { }

    /**
     * @param usageBytes    charged now, bytes (v1 {@code memory.usage_in_bytes}, v2 {@code memory.current})
     * @param maxUsageBytes the high-water mark, bytes (v1 {@code memory.max_usage_in_bytes}, v2 {@code memory.peak}
     *                      when the kernel has it), else 0
     * @param limitBytes    the limit, bytes; {@link Long#MAX_VALUE} or v1's page-rounded maximum when unlimited
     * @param failcnt       how often the limit was hit (v1 {@code memory.failcnt}), else 0
     * @param stats         {@code memory.stat}, key to value (bytes or counts as the kernel writes them)
     */
    public record Memory(long usageBytes, long maxUsageBytes, long limitBytes, long failcnt, Map<String, Long> stats) { }

    /**
     * @param current tasks now ({@code pids.current})
     * @param limit   {@code pids.max}; 0 when unlimited ({@code max})
     */
    public record Pids(long current, long limit) { }

    /**
     * @param serviceBytes bytes per device and operation ({@code Read}, {@code Write}, {@code Sync}, {@code Async},
     *                     {@code Discard}, {@code Total}; v1 {@code blkio.throttle.io_service_bytes}, v2
     *                     {@code io.stat} rbytes/wbytes)
     * @param serviced     operations per device and operation (v1 {@code blkio.throttle.io_serviced}, v2 rios/wios)
     */
    public record Blkio(List<BlkioEntry> serviceBytes, List<BlkioEntry> serviced) { }

    /**
     * @param major the device's major number
     * @param minor its minor number
     * @param op    {@code Read}, {@code Write}, ...
     * @param value bytes or operations
     */
    public record BlkioEntry(long major, long minor, String op, long value) { }
}
