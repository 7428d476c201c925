package dev.rabbithole.stage1.cgroups;

/**
 * New limits for a running container's cgroup ({@code docker update}, Engine API 1.41
 * {@code POST /containers/{id}/update}). A field that is 0 is left as it is.
 *
 * @param memoryBytes     {@code --memory}, bytes; -1 for unlimited
 * @param memorySwapBytes {@code --memory-swap}: memory plus swap, bytes; -1 for unlimited
 * @param cpuShares       {@code --cpu-shares}, a relative weight (1024 is the default)
 * @param cpuQuotaMicros  {@code --cpu-quota} (or {@code --cpus} x period), microseconds per period; -1 for none
 * @param cpuPeriodMicros {@code --cpu-period}, microseconds
 * @param pidsLimit       {@code --pids-limit}, tasks; -1 for unlimited
 */
public record ResourceUpdate(long memoryBytes, long memorySwapBytes, long cpuShares, long cpuQuotaMicros,
                             long cpuPeriodMicros, long pidsLimit) {

    /** @return true when nothing is to be changed */
    public boolean isEmpty() {
        return memoryBytes == 0 && memorySwapBytes == 0 && cpuShares == 0 && cpuQuotaMicros == 0
                && cpuPeriodMicros == 0 && pidsLimit == 0;
    }
}
