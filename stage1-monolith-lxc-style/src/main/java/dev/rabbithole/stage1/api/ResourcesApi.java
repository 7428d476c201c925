package dev.rabbithole.stage1.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rabbithole.stage1.cgroups.ResourceStats;
import dev.rabbithole.stage1.daemon.Container;
import dev.rabbithole.stage1.daemon.ContainerState;
import dev.rabbithole.stage1.daemon.Daemon;
import dev.rabbithole.stage1.daemon.HostConfig;
import dev.rabbithole.stage1.errdefs.InvalidParameterException;
import dev.rabbithole.stage1.errdefs.NotFoundException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The Engine API 1.41 routes of the commands on a container's cgroup:
 *
 * <pre>
 * POST /containers/{id}/pause          POST /containers/{id}/unpause        (204)
 * POST /containers/{id}/update         {"Memory", "MemorySwap", "NanoCpus", "CpuQuota", "CpuPeriod", "CpuShares",
 *                                       "PidsLimit", "RestartPolicy"} -&gt; {"Warnings": []}
 * GET  /containers/{id}/stats?stream=&amp;one-shot=   dockerd's stats JSON, once or one object a second
 * GET  /containers/{id}/top?ps_args=   {"Titles": [...], "Processes": [[...], ...]}
 * </pre>
 */
final class ResourcesApi {

    private static final long NANOS_PER_TICK = 1_000_000_000L / 100;   // USER_HZ of /proc/stat

    private final Daemon daemon;
    private final ObjectMapper json;

    ResourcesApi(Daemon daemon, ObjectMapper json) {
        this.daemon = daemon;
        this.json = json;
    }

    /** @return false when the action is not one of these routes */
    boolean route(Exchange ex, String id, String action, boolean get, boolean post) throws IOException {
        switch (action) {
            case "pause" -> {
                if (!post) return false;
                daemon.pause(id);
                ex.empty(204);
            }
            case "unpause" -> {
                if (!post) return false;
                daemon.unpause(id);
                ex.empty(204);
            }
            case "update" -> {
                if (!post) return false;
                update(ex, id);
            }
            case "stats" -> {
                if (!get) return false;
                stats(ex, id);
            }
            case "top" -> {
                if (!get) return false;
                List<List<String>> rows = daemon.top(id, ex.param("ps_args"));
                ObjectNode n = json.createObjectNode();
                ArrayNode processes = n.putArray("Processes");
                rows.subList(1, rows.size()).forEach(r -> r.forEach(processes.addArray()::add));
                rows.get(0).forEach(n.putArray("Titles")::add);
                ex.json(200, n);
            }
            default -> {
                return false;
            }
        }
        return true;
    }

    private void update(Exchange ex, String id) throws IOException {
        JsonNode body = ex.body() == null || ex.body().length == 0 ? json.createObjectNode() : json.readTree(ex.body());
        HostConfig.RestartPolicy restart = null;
        JsonNode rp = body.path("RestartPolicy");
        if (rp.isObject() && !rp.path("Name").asText("").isEmpty()) {
            restart = new HostConfig.RestartPolicy(rp.path("Name").asText(), rp.path("MaximumRetryCount").asInt(0));
        }
        JsonNode pids = body.get("PidsLimit");
        List<String> warnings = daemon.update(id, body.path("Memory").asLong(0), body.path("MemorySwap").asLong(0),
                body.path("NanoCpus").asLong(0), body.path("CpuQuota").asLong(0), body.path("CpuPeriod").asLong(0),
                body.path("CpuShares").asLong(0), pids == null || pids.isNull() ? null : pids.asLong(), restart);
        ObjectNode n = json.createObjectNode();
        warnings.forEach(n.putArray("Warnings")::add);
        ex.json(200, n);
    }

    // tag::stats-api[]
    /**
     * {@code GET /containers/{id}/stats}: with {@code stream=false} one object whose {@code precpu_stats} is a
     * sample taken a second before ({@code one-shot=true}: no first sample), else one object a second, each with
     * the previous one's CPU figures as {@code precpu_stats}, until the client goes away or the container is removed.
     */
    private void stats(Exchange ex, String id) {
        String streamParam = ex.param("stream");
        boolean stream = streamParam == null || streamParam.isEmpty() || ex.flag("stream");
        Sample first = sample(id);
        if (!stream) {
            Sample pre = null;
            if (!ex.flag("one-shot") && first.s().read() != null) {
                waitASecond();
                pre = first;
                first = sample(id);
            }
            ex.json(200, view(first, pre));
            return;
        }
        Exchange.Chunked out = ex.chunked(200, "application/json");
        AtomicBoolean gone = new AtomicBoolean();
        ex.onClose(() -> gone.set(true));
        Sample pre = null;
        Sample now = first;
        try {
            while (!gone.get()) {
                out.writeJson(view(now, pre));
                waitASecond();
                pre = now;
                now = sample(id);
            }
        } catch (NotFoundException removed) {
            // the container is gone: the stream ends
        } finally {
            out.end();
        }
    }

    /** A sample and the host's CPU time and CPU count read with it ({@link #systemCpu}). */
    private record Sample(Daemon.StatsSample s, long[] system) {
        Container container() { return s.container(); }
        ResourceStats stats() { return s.stats(); }
        Instant read() { return s.read(); }
    }

    private Sample sample(String id) {
        Daemon.StatsSample s = daemon.stats(id);
        return new Sample(s, systemCpu());
    }

    /** One stats object as dockerd 20.10 writes it on cgroup v1 and v2 hosts. */
    private ObjectNode view(Sample s, Sample pre) {
        Container c = s.container();
        ResourceStats r = s.stats();
        boolean running = s.read() != null;
        ObjectNode n = json.createObjectNode();
        n.put("read", running ? s.read().toString() : ContainerState.ZERO_TIME);
        n.put("preread", pre != null && pre.read() != null ? pre.read().toString() : ContainerState.ZERO_TIME);
        ObjectNode pids = n.putObject("pids_stats");
        if (running) {
            pids.put("current", r.pids().current());
            if (r.pids().limit() > 0) {
                pids.put("limit", r.pids().limit());
            }
        }
        ObjectNode blkio = n.putObject("blkio_stats");
        blkio(blkio, "io_service_bytes_recursive", running ? r.blkio().serviceBytes() : null);
        blkio(blkio, "io_serviced_recursive", running ? r.blkio().serviced() : null);
        for (String k : List.of("io_queue_recursive", "io_service_time_recursive", "io_wait_time_recursive",
                "io_merged_recursive", "io_time_recursive", "sectors_recursive")) {
            blkio(blkio, k, running ? List.of() : null);
        }
        n.put("num_procs", 0);
        n.putObject("storage_stats");
        cpu(n.putObject("cpu_stats"), running ? s : null);
        cpu(n.putObject("precpu_stats"), pre != null && pre.read() != null ? pre : null);
        ObjectNode mem = n.putObject("memory_stats");
        if (running) {
            mem.put("usage", r.memory().usageBytes());
            if (r.memory().maxUsageBytes() > 0) {
                mem.put("max_usage", r.memory().maxUsageBytes());
            }
            ObjectNode st = mem.putObject("stats");
            r.memory().stats().forEach(st::put);
            if (r.memory().failcnt() > 0) {
                mem.put("failcnt", r.memory().failcnt());
            }
            long machine = machineMemory();
            long limit = r.memory().limitBytes();
            mem.put("limit", machine > 0 && limit > machine ? machine : limit);   // dockerd caps "unlimited" so
        }
        n.put("name", c.name());
        n.put("id", c.id());
        if (running) {
            networks(n, c.state().pid());
        }
        return n;
    }

    private void blkio(ObjectNode blkio, String key, List<ResourceStats.BlkioEntry> entries) {
        if (entries == null) {
            blkio.putNull(key);
            return;
        }
        ArrayNode a = blkio.putArray(key);
        for (ResourceStats.BlkioEntry e : entries) {
            a.addObject().put("major", e.major()).put("minor", e.minor()).put("op", e.op()).put("value", e.value());
        }
    }

    private void cpu(ObjectNode cpu, Sample s) {
        ObjectNode usage = cpu.putObject("cpu_usage");
        ResourceStats.Cpu c = s == null ? null : s.stats().cpu();
        usage.put("total_usage", c == null ? 0 : c.totalNanos());
        if (c != null && !c.perCpuNanos().isEmpty()) {
            c.perCpuNanos().forEach(usage.putArray("percpu_usage")::add);
        }
        usage.put("usage_in_kernelmode", c == null ? 0 : c.kernelNanos());
        usage.put("usage_in_usermode", c == null ? 0 : c.userNanos());
        if (c != null) {
            cpu.put("system_cpu_usage", s.system()[0]);
            cpu.put("online_cpus", s.system()[1]);
        }
        cpu.putObject("throttling_data").put("periods", c == null ? 0 : c.periods())
                .put("throttled_periods", c == null ? 0 : c.throttledPeriods())
                .put("throttled_time", c == null ? 0 : c.throttledNanos());
    }
    // end::stats-api[]

    /**
     * The host's CPU time since boot in nanoseconds (the first line of /proc/stat: user, nice, system, idle, iowait,
     * irq, softirq, steal, in USER_HZ ticks) and the number of CPUs it lists, what dockerd reports as
     * {@code system_cpu_usage} and {@code online_cpus}; the docker CLI divides the container's CPU time delta by
     * the system's to get CPU %.
     */
    static long[] systemCpu() {
        try {
            long total = 0;
            long cpus = 0;
            for (String line : Files.readAllLines(Path.of("/proc/stat"))) {
                if (line.startsWith("cpu ")) {
                    String[] f = line.trim().split("\\s+");
                    for (int i = 1; i < f.length && i <= 8; i++) {
                        total += Long.parseLong(f[i]);
                    }
                } else if (line.startsWith("cpu")) {
                    cpus++;
                }
            }
            return new long[] {total * NANOS_PER_TICK, cpus};
        } catch (IOException | NumberFormatException e) {
            return new long[] {0, Runtime.getRuntime().availableProcessors()};
        }
    }

    /** MemTotal of /proc/meminfo in bytes, or 0. */
    static long machineMemory() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemTotal:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            // no figure
        }
        return 0;
    }

    /**
     * {@code networks}: each interface of the container's network namespace but {@code lo}, from
     * {@code /proc/PID/net/dev}; left out when the container shares the host's namespace or has no interface.
     */
    private void networks(ObjectNode n, long pid) {
        if (pid <= 0) {
            return;
        }
        try {
            Path ns = Path.of("/proc", Long.toString(pid), "ns", "net");
            if (Files.readSymbolicLink(ns).equals(Files.readSymbolicLink(Path.of("/proc/self/ns/net")))) {
                return;
            }
            ObjectNode nets = null;
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "net", "dev"))) {
                int colon = line.indexOf(':');
                if (colon < 0) {
                    continue;
                }
                String name = line.substring(0, colon).trim();
                String[] f = line.substring(colon + 1).trim().split("\\s+");
                if (name.equals("lo") || f.length < 12) {
                    continue;
                }
                if (nets == null) {
                    nets = n.putObject("networks");
                }
                nets.putObject(name).put("rx_bytes", Long.parseLong(f[0])).put("rx_packets", Long.parseLong(f[1]))
                        .put("rx_errors", Long.parseLong(f[2])).put("rx_dropped", Long.parseLong(f[3]))
                        .put("tx_bytes", Long.parseLong(f[8])).put("tx_packets", Long.parseLong(f[9]))
                        .put("tx_errors", Long.parseLong(f[10])).put("tx_dropped", Long.parseLong(f[11]));
            }
        } catch (IOException | NumberFormatException | UnsupportedOperationException e) {
            // the process is gone or the namespace cannot be read: no networks
        }
    }

    private static void waitASecond() {
        try {
            Thread.sleep(1000);      // dockerd's collector samples once a second: the CLI's CPU % is over that second
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InvalidParameterException("interrupted");
        }
    }
}
