package dev.rabbithole.stage2.libcontainer.container;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Derives a container's {@link Status} from what the kernel and the state directory say now, not from what
 * {@code state.json} last said, as runc's {@code refreshState}: the init's pid names the container only while
 * that pid's start time (field 22 of {@code /proc/PID/stat}, proc(5)) is the recorded one and it is not a
 * zombie; a live init is {@link Status#CREATED} while the start gate (the exec FIFO) exists,
 * {@link Status#PAUSED} while its cgroup is frozen, else {@link Status#RUNNING}.
 */
public final class ContainerStatus {
    private ContainerStatus() { }

    /**
     * @param recorded      the status last written ({@link Status#CREATING} until the init waits at the gate)
     * @param pid           the init's pid, 0 before it was spawned
     * @param initStartTime its recorded start time, clock ticks after boot
     * @param stateDir      the container's state directory (holds the exec FIFO until start)
     * @param cgroupPaths   controller to cgroup directory ({@code freezer} on v1, {@code unified} on v2)
     * @return the status now
     */
    public static Status derive(Status recorded, long pid, long initStartTime, Path stateDir,
                                Map<String, String> cgroupPaths) {
        if (recorded == Status.DESTROYED) {
            return Status.DESTROYED;
        }
        if (pid <= 0) {
            return recorded == Status.STOPPED ? Status.STOPPED : Status.CREATING;
        }
        if (!alive(pid, initStartTime)) {
            return Status.STOPPED;
        }
        if (recorded == Status.CREATING) {
            return Status.CREATING;
        }
        if (Files.exists(stateDir.resolve(LinuxContainer.EXEC_FIFO))) {
            return Status.CREATED;
        }
        return frozen(cgroupPaths) ? Status.PAUSED : Status.RUNNING;
    }

    /**
     * @param pid       a pid in the host's pid namespace
     * @param startTime the start time it had, clock ticks after boot
     * @return whether that process still runs: same start time, not a zombie
     */
    public static boolean alive(long pid, long startTime) {
        if (pid <= 0) {
            return false;
        }
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return !f[0].equals("Z") && !f[0].equals("X") && Long.parseLong(f[19]) == startTime;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /**
     * The process state letter of field 3 of {@code /proc/PID/stat} ({@code R}, {@code S}, {@code Z}, ...) when
     * the pid still has the recorded start time, else 0 (gone or another process). A thread other than the
     * leader that calls execve(2) waits for the leader to become a zombie and then takes its place: for that
     * moment a live init shows {@code Z}.
     *
     * @param pid       a pid in the host's pid namespace
     * @param startTime the start time it had, clock ticks after boot
     * @return the state letter, or 0
     */
    public static char processState(long pid, long startTime) {
        if (pid <= 0) {
            return 0;
        }
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(f[19]) == startTime ? f[0].charAt(0) : 0;
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    /** v1: {@code freezer.state} is FROZEN; v2: {@code cgroup.events} says {@code frozen 1}. */
    static boolean frozen(Map<String, String> cgroupPaths) {
        if (cgroupPaths == null) {
            return false;
        }
        try {
            String v1 = cgroupPaths.get("freezer");
            if (v1 != null && Files.exists(Path.of(v1, "freezer.state"))) {
                return Files.readString(Path.of(v1, "freezer.state")).trim().equals("FROZEN");
            }
            String v2 = cgroupPaths.get("unified");
            if (v2 != null && Files.exists(Path.of(v2, "cgroup.events"))) {
                return Files.readAllLines(Path.of(v2, "cgroup.events")).contains("frozen 1");
            }
        } catch (IOException e) {
            return false;
        }
        return false;
    }
}
