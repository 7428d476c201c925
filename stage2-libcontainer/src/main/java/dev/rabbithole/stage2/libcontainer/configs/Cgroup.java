package dev.rabbithole.stage2.libcontainer.configs;

import java.util.List;

/**
 * Where the container's cgroup is and what it limits.
 *
 * @param path      cgroup path relative to each hierarchy's root, e.g. {@code rabbithole/<id>}
 * @param resources the limits
 */
public record Cgroup(String path, Resources resources) {

    /**
     * Limits; 0 (or null for strings) means not set.
     *
     * @param memoryBytes     memory limit in bytes (v1 memory.limit_in_bytes, v2 memory.max)
     * @param memorySwapBytes memory + swap limit in bytes (v1 memory.memsw.limit_in_bytes, v2 memory.swap.max = swap - memory); -1 unlimited
     * @param cpuShares       relative weight, 2..262144, 1024 default (v1 cpu.shares; v2 cpu.weight converted)
     * @param cpuQuotaMicros  CFS quota per period in microseconds (v1 cpu.cfs_quota_us; v2 cpu.max first field)
     * @param cpuPeriodMicros CFS period in microseconds, 100000 default (v1 cpu.cfs_period_us; v2 cpu.max second field)
     * @param cpusetCpus      CPUs allowed, list format {@code 0-1,3}
     * @param cpusetMems      memory nodes allowed, list format
     * @param pidsLimit       maximum number of tasks (pids.max); 0 or negative = unlimited
     * @param devices         the device rules, applied in order (v1: each to devices.allow or devices.deny; v2: an
     *                        eBPF device program); null or empty leaves the devices cgroup as it is
     */
    public record Resources(long memoryBytes, long memorySwapBytes, long cpuShares, long cpuQuotaMicros,
                            long cpuPeriodMicros, String cpusetCpus, String cpusetMems, long pidsLimit,
                            List<DeviceRule> devices) {
        public static final Resources NONE = new Resources(0, 0, 0, 0, 0, null, null, 0);

        /** Limits without device rules (the devices cgroup is left as it is). */
        public Resources(long memoryBytes, long memorySwapBytes, long cpuShares, long cpuQuotaMicros,
                         long cpuPeriodMicros, String cpusetCpus, String cpusetMems, long pidsLimit) {
            this(memoryBytes, memorySwapBytes, cpuShares, cpuQuotaMicros, cpuPeriodMicros, cpusetCpus, cpusetMems,
                    pidsLimit, null);
        }

        /** @return whether there are device rules to apply */
        public boolean hasDeviceRules() {
            return devices != null && !devices.isEmpty();
        }
    }
}
