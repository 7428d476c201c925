package dev.rabbithole.stage2.execdriver;

import dev.rabbithole.stage2.libcontainer.cgroups.CgroupException;
import dev.rabbithole.stage2.libcontainer.cgroups.CgroupManager;
import dev.rabbithole.stage2.libcontainer.cgroups.Cgroups;
import dev.rabbithole.stage2.libcontainer.configs.Cgroup;
import dev.rabbithole.stage2.libcontainer.container.CgroupApplier;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The host's cgroups behind libcontainer's {@link CgroupApplier} seam: the manager {@link Cgroups#detect} picks
 * (v1 here, v2 on most machines) creates the cgroup, moves the init in and writes the limits; destroying
 * first kills whatever is still inside (SIGKILL to every pid in {@code cgroup.procs}, as runc's
 * {@code signalAllProcesses}) and then removes the directories.
 *
 * <p>TODO(merge): when libcontainer ships its own CgroupApplier over V1Manager/V2Manager, use that one and keep
 * only {@link #killAll} here (the driver's cleanup of a container whose daemon died).
 */
public final class HostCgroups implements CgroupApplier {

    /** How long {@link #destroy} waits for the processes of a cgroup to die, milliseconds. */
    static final long KILL_TIMEOUT_MS = 10_000;

    /**
     * Creates the cgroup, moves {@code pid} into it and writes the limits.
     *
     * @throws IOException a directory cannot be made or a limit written (the kernel's message)
     */
    @Override
    public void apply(Cgroup cgroup, long pid) throws IOException {
        try {
            CgroupManager m = Cgroups.detect(cgroup);
            m.apply(pid);
            m.set(cgroup.resources());
        } catch (CgroupException | IllegalArgumentException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    /**
     * Kills what is left in the cgroup and removes it; a cgroup that does not exist is success.
     *
     * @throws IOException processes survive SIGKILL for {@value #KILL_TIMEOUT_MS} ms, or rmdir fails
     */
    @Override
    public void destroy(Cgroup cgroup) throws IOException {
        try {
            CgroupManager m = Cgroups.detect(cgroup);
            killAll(List.copyOf(new LinkedHashSet<>(m.paths().values())));
            m.destroy();
        } catch (CgroupException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    /**
     * Sends SIGKILL to every process listed in the {@code cgroup.procs} of the directories until they are empty.
     *
     * @param dirs cgroup directories; missing ones are skipped
     * @throws IOException processes remain after {@value #KILL_TIMEOUT_MS} ms
     */
    static void killAll(List<Path> dirs) throws IOException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(KILL_TIMEOUT_MS);
        while (true) {
            List<Long> pids = new ArrayList<>();
            for (Path dir : dirs) {
                pids.addAll(procs(dir));
            }
            if (pids.isEmpty()) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new IOException("processes " + pids + " of " + dirs + " survived SIGKILL");
            }
            // a process that is already gone is success
            pids.forEach(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while killing the processes of " + dirs, e);
            }
        }
    }

    private static List<Long> procs(Path dir) throws IOException {
        try {
            return Files.readAllLines(dir.resolve("cgroup.procs")).stream().filter(l -> !l.isBlank())
                    .map(l -> Long.parseLong(l.trim())).toList();
        } catch (NoSuchFileException e) {
            return List.of();
        }
    }
}
