package dev.rabbithole.stage2.libcontainer.container;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rabbithole.stage2.libcontainer.cgroups.CgroupManager;
import dev.rabbithole.stage2.libcontainer.configs.ContainerConfig;
import dev.rabbithole.stage2.libcontainer.system.SyscallException;
import dev.rabbithole.stage2.libcontainer.system.Syscalls;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The runtime-spec's {@code delete} (with runc's {@code --force}): refresh, no guard (any status; a container
 * already destroyed is success), act (SIGKILL to the init, then to anything left in its cgroup; the cgroup
 * and the state directory removed), mark it destroyed. The init is this process's child when it created the
 * container (wait for it), else it is found by pid and start time ({@link LinuxContainer#cleanup}).
 */
final class ContainerDelete {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ContainerDelete() { }

    static void run(LinuxContainer c) throws ContainerException {
        if (c.status() == Status.DESTROYED) {
            return; // deleted already: success
        }
        c.closeInit();
        if (c.ownsInit()) {
            c.killOwnInit();
        }
        sweep(c.id(), c.stateDir().getParent(), c.options().cgroups(), c.options().syscalls());
        c.destroyed();
    }

    /**
     * What {@link LinuxContainer#cleanup(String, Path, CgroupApplier, Syscalls)} does: SIGKILL to the init
     * when its pid still names it (same start time), then to what is left in its cgroup; the cgroup and the
     * state directory removed. A container already gone is success.
     */
    static void sweep(String id, Path stateRoot, CgroupApplier cgroups, Syscalls sys) throws ContainerException {
        Path dir = stateRoot.resolve(id);
        if (!id.matches("[A-Za-z0-9][A-Za-z0-9_.-]{0,127}") || !Files.isDirectory(dir)) {
            return; // nothing left: success
        }
        try {
            Path pidFile = dir.resolve(LinuxContainer.PID_FILE);
            if (Files.exists(pidFile)) {
                String[] f = Files.readString(pidFile).trim().split(" ");
                long pid = Long.parseLong(f[0]);
                if (LinuxContainer.startTime(pid) == Long.parseLong(f[1])) {
                    killQuietly(sys, pid);
                    awaitGone(pid);
                }
            }
            Path configFile = dir.resolve(LinuxContainer.CONFIG_FILE);
            if (Files.exists(configFile)) {
                ContainerConfig cfg = JSON.readValue(configFile.toFile(), ContainerConfig.class);
                if (cfg.cgroup() != null) {
                    CgroupManager m = cgroups.manager(cfg.cgroup(), sys);
                    for (Path cg : new java.util.LinkedHashSet<>(m.paths().values())) {
                        Path procs = cg.resolve("cgroup.procs");
                        if (Files.exists(procs)) {
                            for (String line : Files.readAllLines(procs)) {
                                if (!line.isBlank()) {
                                    killQuietly(sys, Long.parseLong(line.trim()));
                                    awaitGone(Long.parseLong(line.trim()));
                                }
                            }
                        }
                    }
                    m.destroy();
                }
                if (cfg.network() != null) { // the kernel deletes it with the namespace, but not at once
                    dev.rabbithole.stage2.libcontainer.network.VethStrategy.deleteQuietly(cfg.network().hostInterface());
                }
            }
            deleteRecursively(dir);
        } catch (IOException | RuntimeException e) {
            throw new ContainerException("cleanup " + id + ": " + e.getMessage(), e);
        }
    }

    private static void killQuietly(Syscalls sys, long pid) {
        try {
            sys.because("delete: SIGKILL to the init, found by pid and start time, and to what its cgroup holds").kill((int) pid, Syscalls.SIGKILL);
        } catch (SyscallException e) {
            // ESRCH: a process that is already gone is success
            if (e.errno() != SyscallException.ESRCH) {
                throw e;
            }
        }
    }

    private static void awaitGone(long pid) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (Files.exists(Path.of("/proc", Long.toString(pid))) && System.nanoTime() < deadline) {
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) paths.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        }
    }
}
