package dev.rabbithole.stage1.daemon;

import dev.rabbithole.stage1.cgroups.ResourceStats;
import dev.rabbithole.stage1.cgroups.ResourceUpdate;
import dev.rabbithole.stage1.errdefs.ConflictException;
import dev.rabbithole.stage1.errdefs.InvalidParameterException;
import dev.rabbithole.stage1.errdefs.SystemException;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * The commands that act on a running container's cgroup, as moby's {@code daemon/pause.go}, {@code unpause.go},
 * {@code update.go}, {@code stats.go} and {@code top_unix.go} do them, each through the {@link ContainerRuntime}:
 * pause and unpause (the freezer), update (new limits, stored in HostConfig), stats (the cgroup's counters) and
 * top ({@code ps} on the host, filtered to the container's pids).
 */
final class ContainerResources {

    /** Docker's minimum for {@code --memory}: 6 MiB, in bytes. */
    private static final long MIN_MEMORY = 6L * 1024 * 1024;
    /** The CFS period Docker uses for {@code --cpus}: 100 ms, in microseconds. */
    private static final long CFS_PERIOD_US = 100_000;

    private final ContainerStore store;
    private final ContainerRuntime runtime;
    private final Events events;

    ContainerResources(ContainerStore store, ContainerRuntime runtime, Events events) {
        this.store = store;
        this.runtime = runtime;
        this.events = events;
    }

    // tag::pause[]
    /**
     * {@code POST /containers/{id}/pause}: freezes every process of the container (cgroup freezer); its status
     * becomes {@code paused} (State.Running and State.Paused both true).
     *
     * @throws dev.rabbithole.stage1.errdefs.NotFoundException no such container
     * @throws ConflictException {@code Container ID is not running} or {@code ... is already paused} (dockerd's)
     */
    void pause(String ref) {
        LiveContainer l = store.get(ref);
        synchronized (l) {
            Container c = l.c;
            if (!c.state().running()) {
                throw new ConflictException("Container " + c.id() + " is not running");
            }
            if (c.state().paused()) {
                throw new ConflictException("Container " + c.id() + " is already paused");
            }
            runtime.pause(c.id());
            l.c = c.withState(c.state().withPaused(true));
            store.persist(l.c);
            events.container(l.c, "pause", Map.of());
        }
    }
    // end::pause[]

    /**
     * {@code POST /containers/{id}/unpause}: thaws the container; its status is {@code running} again.
     *
     * @throws ConflictException {@code Container ID is not paused} (dockerd's)
     */
    void unpause(String ref) {
        LiveContainer l = store.get(ref);
        synchronized (l) {
            resume(l);
        }
    }

    /** Thaws a paused container (caller holds l); 409 {@code Container ID is not paused} for one that is not. */
    private void resume(LiveContainer l) {
        Container c = l.c;
        if (!c.state().paused()) {
            throw new ConflictException("Container " + c.id() + " is not paused");
        }
        runtime.resume(c.id());
        l.c = c.withState(c.state().withPaused(false));
        store.persist(l.c);
        events.container(l.c, "unpause", Map.of());
    }

    /**
     * After a signal to a paused container (kill, stop): thaws it so that the signal is delivered, as dockerd's
     * {@code killWithSignal} does for SIGKILL, for the stop signal and for any signal of a container without a
     * configured stop signal. Caller holds l.
     *
     * @param signal the signal just sent ({@code kill(2)} number)
     */
    void afterSignal(LiveContainer l, int signal) {
        Container c = l.c;
        if (!c.state().paused()) {
            return;
        }
        String stopSignal = c.config().stopSignal();
        boolean unpause = signal == Signals.SIGKILL || stopSignal == null || stopSignal.isEmpty()
                || Signals.parse(stopSignal) == signal;
        if (unpause) {
            try {
                resume(l);
            } catch (RuntimeException e) {
                EngineLog.warn("cannot unpause container " + c.shortId() + ": " + e.getMessage());
            }
        }
    }

    /** The new resources of {@code POST /containers/{id}/update}, as the body carries them (0 or null: unchanged). */
    record Update(long memory, long memorySwap, long nanoCpus, long cpuQuota, long cpuPeriod, long cpuShares,
                  Long pidsLimit, HostConfig.RestartPolicy restartPolicy) { }

    // tag::update[]
    /**
     * {@code POST /containers/{id}/update}: checks the new limits as dockerd does, stores them in the container's
     * HostConfig (inspect shows them, the next start applies them) and, when the container runs, writes them to
     * its cgroup through the runtime.
     *
     * @return the warnings (none)
     * @throws InvalidParameterException a memory limit under 6 MB, memory+swap under memory, {@code --cpus} with
     *                                   {@code --cpu-quota} or {@code --cpu-period}
     * @throws ConflictException         {@code Cannot update container ID: ...}: a limit that conflicts with what is
     *                                   set (dockerd's messages), or the runtime refused it
     */
    List<String> update(String ref, Update u) {
        if (u.memory() != 0 && u.memory() < MIN_MEMORY) {
            throw new InvalidParameterException("Minimum memory limit allowed is 6MB");
        }
        if (u.memory() > 0 && u.memorySwap() > 0 && u.memorySwap() < u.memory()) {
            throw new InvalidParameterException("Minimum memoryswap limit should be larger than memory limit, see usage");
        }
        if (u.nanoCpus() > 0 && u.cpuPeriod() > 0) {
            throw new InvalidParameterException("Conflicting options: Nano CPUs and CPU Period cannot both be set");
        }
        if (u.nanoCpus() > 0 && u.cpuQuota() > 0) {
            throw new InvalidParameterException("Conflicting options: Nano CPUs and CPU Quota cannot both be set");
        }
        LiveContainer l = store.get(ref);
        synchronized (l) {
            Container c = l.c;
            HostConfig hc = c.hostConfig();
            String conflict = conflict(hc, u);
            if (conflict != null) {
                throw new ConflictException("Cannot update container " + c.id() + ": " + conflict);
            }
            Long pids = u.pidsLimit() == null ? hc.pidsLimit() : u.pidsLimit() <= 0 ? null : u.pidsLimit();
            HostConfig next = hc.withResources(u.memory() != 0 ? u.memory() : hc.memory(),
                    u.memorySwap() != 0 ? u.memorySwap() : hc.memory() == 0 || u.memory() == 0 ? hc.memorySwap()
                            : effectiveSwap(hc),
                    u.nanoCpus() != 0 ? u.nanoCpus() : hc.nanoCpus(),
                    u.cpuQuota() != 0 ? u.cpuQuota() : hc.cpuQuota(),
                    u.cpuPeriod() != 0 ? u.cpuPeriod() : hc.cpuPeriod(),
                    u.cpuShares() != 0 ? u.cpuShares() : hc.cpuShares(), pids,
                    u.restartPolicy() != null ? u.restartPolicy() : hc.restartPolicy());
            if (c.state().running()) {
                long quota = u.cpuQuota();
                long period = u.cpuPeriod();
                if (u.nanoCpus() > 0) {
                    quota = u.nanoCpus() * CFS_PERIOD_US / 1_000_000_000L;
                    period = CFS_PERIOD_US;
                }
                ResourceUpdate r = new ResourceUpdate(u.memory(), u.memorySwap(), u.cpuShares(), quota, period,
                        u.pidsLimit() == null ? 0 : u.pidsLimit() <= 0 ? -1 : u.pidsLimit());
                if (!r.isEmpty()) {
                    try {
                        runtime.update(c.id(), r);
                    } catch (RuntimeException e) {
                        throw new ConflictException("Cannot update container " + c.id() + ": " + e.getMessage());
                    }
                }
            }
            l.c = new Container(c.id(), c.name(), c.created(), c.path(), c.args(), c.config(), next, c.imageId(),
                    c.driver(), c.state(), c.logPath());
            store.persist(l.c);
            events.container(l.c, "update", Map.of());
        }
        return List.of();
    }
    // end::update[]

    /** dockerd's checks against what is set ({@code container.UpdateContainer}), or null when there is no conflict. */
    private static String conflict(HostConfig hc, Update u) {
        if (u.nanoCpus() > 0 && hc.cpuPeriod() > 0) {
            return "Conflicting options: Nano CPUs cannot be updated as CPU Period has already been set";
        }
        if (u.nanoCpus() > 0 && hc.cpuQuota() > 0) {
            return "Conflicting options: Nano CPUs cannot be updated as CPU Quota has already been set";
        }
        if (u.cpuPeriod() > 0 && hc.nanoCpus() > 0) {
            return "Conflicting options: CPU Period cannot be updated as NanoCPUs has already been set";
        }
        if (u.cpuQuota() > 0 && hc.nanoCpus() > 0) {
            return "Conflicting options: CPU Quota cannot be updated as NanoCPUs has already been set";
        }
        if (u.memory() != 0 && u.memorySwap() == 0 && effectiveSwap(hc) != -1 && u.memory() > effectiveSwap(hc)) {
            return "Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time";
        }
        return null;
    }

    /** The memory+swap limit dockerd would hold: as set, else twice the memory limit (its default), else 0. */
    private static long effectiveSwap(HostConfig hc) {
        return hc.memorySwap() != 0 ? hc.memorySwap() : hc.memory() > 0 ? 2 * hc.memory() : 0;
    }

    /** One sample for {@code GET /containers/{id}/stats}: the container and its cgroup's counters (zeros when it does not run). */
    record Sample(Container container, ResourceStats stats, Instant read, boolean running) { }

    /**
     * {@code GET /containers/{id}/stats}: the cgroup's counters through the runtime.
     *
     * @throws dev.rabbithole.stage1.errdefs.NotFoundException no such container
     */
    Sample stats(String ref) {
        Container c = store.get(ref).c;
        if (!c.state().running()) {
            return new Sample(c, ResourceStats.EMPTY, null, false);
        }
        try {
            return new Sample(c, runtime.stats(c.id()), Instant.now(), true);
        } catch (RuntimeException e) {
            Container now = store.get(ref).c;
            if (!now.state().running()) {                     // it exited while we read
                return new Sample(now, ResourceStats.EMPTY, null, false);
            }
            throw e;
        }
    }

    /** The answer of {@code GET /containers/{id}/top}: ps's column titles and one row per process. */
    record Top(List<String> titles, List<List<String>> processes) { }

    // tag::top[]
    /**
     * {@code GET /containers/{id}/top?ps_args=}: runs {@code ps ARGS -q PIDS} on the host (plain {@code ps ARGS} when
     * ps refuses the two together) and keeps the rows whose PID column is one of the container's pids, as the
     * runtime lists them from its cgroup (dockerd's {@code top_unix.go}).
     *
     * @param psArgs ps(1) options, split at spaces; empty means {@code -ef}
     * @throws ConflictException    {@code Container ID is not running} (a paused container is listed)
     * @throws SystemException      ps failed ({@code ps: } and the first line of its error) or printed no PID column
     */
    Top top(String ref, String psArgs) {
        Container c = store.get(ref).c;
        if (!c.state().running()) {
            throw new ConflictException("Container " + c.id() + " is not running");
        }
        List<Long> pids = runtime.pids(c.id());
        List<String> args = new ArrayList<>(List.of((psArgs == null || psArgs.isEmpty() ? "-ef" : psArgs).split(" ")));
        String out;
        try {
            List<String> withPids = new ArrayList<>(args);
            withPids.add("-q");
            withPids.add(pids.stream().map(String::valueOf).collect(Collectors.joining(",")));
            out = ps(withPids);
        } catch (SystemException first) {
            out = ps(args);                   // some options (f) cannot go with -q
        }
        return parse(out, new HashSet<>(pids));
    }

    static Top parse(String out, Set<Long> pids) {
        String[] lines = out.split("\n");
        List<String> titles = List.of(lines[0].trim().split("\\s+"));
        int pidColumn = titles.indexOf("PID");
        if (pidColumn < 0) {
            throw new SystemException("Couldn't find PID field in ps output");
        }
        List<List<String>> rows = new ArrayList<>();
        for (int i = 1; i < lines.length; i++) {
            if (lines[i].isBlank()) {
                continue;
            }
            String[] f = lines[i].trim().split("\\s+");
            if (f.length <= pidColumn) {
                continue;
            }
            long pid;
            try {
                pid = Long.parseLong(f[pidColumn]);
            } catch (NumberFormatException e) {
                continue;
            }
            if (!pids.contains(pid)) {
                continue;
            }
            List<String> row = new ArrayList<>();
            for (int k = 0; k < titles.size() - 1 && k < f.length; k++) {
                row.add(f[k]);
            }
            if (f.length >= titles.size()) {                 // the last column takes the rest (CMD with arguments)
                row.add(String.join(" ", java.util.Arrays.copyOfRange(f, titles.size() - 1, f.length)));
            }
            rows.add(row);
        }
        return new Top(titles, rows);
    }
    // end::top[]

    private static String ps(List<String> args) {
        List<String> cmd = new ArrayList<>();
        cmd.add("ps");
        cmd.addAll(args);
        try {
            Process p = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .start();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            Thread t = new Thread(() -> copy(p.getErrorStream(), err));
            t.start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new SystemException("ps: did not finish in 30 s");
            }
            t.join();
            if (p.exitValue() != 0) {
                String e = err.toString(StandardCharsets.UTF_8).trim();
                throw new SystemException("ps: " + (e.isEmpty() ? "exit status " + p.exitValue() : e.split("\n")[0]));
            }
            return out;
        } catch (IOException e) {
            throw new SystemException("ps: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SystemException("ps: interrupted");
        }
    }

    private static void copy(InputStream in, ByteArrayOutputStream out) {
        try {
            in.transferTo(out);
        } catch (IOException e) {
            // ps ended
        }
    }
}
