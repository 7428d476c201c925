package dev.rabbithole.stage2.libcontainer.cgroups;

/**
 * A cgroup's usage counters, as {@code docker stats} shows them.
 *
 * @param memoryUsageBytes memory charged to the cgroup, bytes (v1 memory.usage_in_bytes, v2 memory.current)
 * @param memoryLimitBytes memory limit, bytes (v1 memory.limit_in_bytes, whose "unlimited" is
 *                         9223372036854771712 = LONG_MAX rounded down to a page; v2 memory.max, "max" reported
 *                         as {@link Long#MAX_VALUE})
 * @param cpuUsageNanos    CPU time used, nanoseconds (v1 cpuacct.usage, v2 cpu.stat usage_usec * 1000)
 * @param pidsCurrent      tasks in the cgroup (pids.current)
 */
public record CgroupStats(long memoryUsageBytes, long memoryLimitBytes, long cpuUsageNanos, long pidsCurrent) {
}
