package dev.rabbithole.stage2.libcontainer.cgroups;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;

import dev.rabbithole.stage2.libcontainer.system.SyscallException;
import dev.rabbithole.stage2.libcontainer.system.Syscalls;

/** Reads and writes cgroupfs control files with errors that name the file and the value. */
final class CgroupFiles {
    private CgroupFiles() { }

    private static final Map<String, String> REASONS = Map.ofEntries(
            Map.entry("cgroup.procs", "move the init into the container's cgroup"),
            Map.entry("cgroup.subtree_control", "hand the controllers down to the children"),
            Map.entry("cpuset.cpus", "CPUs the container may use"),
            Map.entry("cpuset.mems", "memory nodes the container may use"),
            Map.entry("memory.limit_in_bytes", "memory limit, bytes"),
            Map.entry("memory.memsw.limit_in_bytes", "memory+swap limit, bytes"),
            Map.entry("memory.max", "memory limit, bytes"),
            Map.entry("memory.swap.max", "swap limit, bytes"),
            Map.entry("cpu.shares", "relative CPU weight"),
            Map.entry("cpu.weight", "relative CPU weight"),
            Map.entry("cpu.cfs_period_us", "CFS period, microseconds"),
            Map.entry("cpu.cfs_quota_us", "CPU time per period, microseconds"),
            Map.entry("cpu.max", "CPU quota and period, microseconds"),
            Map.entry("pids.max", "at most this many tasks"));

    /**
     * Writes {@code value} to {@code dir/file} in one write(2) through {@code sys}, without creating the file
     * (the kernel does).
     *
     * @throws CgroupException naming the file, the value and the kernel's reason
     */
    static void write(Syscalls sys, Path dir, String file, String value) {
        Path p = dir.resolve(file);
        try {
            sys.because(REASONS.getOrDefault(file, file)).writeFile(p.toString(), value);
        } catch (SyscallException e) {
            throw new CgroupException("cannot set " + file + " to " + value + ": " + e.strerror() + " (in " + dir + ")", e);
        }
    }

    /** Fills an empty cpuset file from the parent's value. */
    static void copyFromParent(Syscalls sys, Path dir, String file, String value) {
        try {
            sys.because("a new cpuset starts empty: the parent's value").writeFile(dir.resolve(file).toString(), value);
        } catch (SyscallException e) {
            throw new CgroupException("cannot set " + file + " to " + value + ": " + e.strerror() + " (in " + dir + ")", e);
        }
    }

    /** The file's text, trimmed; read as a stream because cgroupfs and procfs report sizes that are not the content's. */
    static String read(Path dir, String file) {
        Path p = dir.resolve(file);
        try (InputStream in = Files.newInputStream(p)) {
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII).strip();
        } catch (IOException e) {
            throw new CgroupException("cannot read " + file + ": " + reason(e) + " (in " + dir + ")", e);
        }
    }

    /** The file's text, or empty when it does not exist. */
    static String readIfExists(Path dir, String file) {
        return Files.exists(dir.resolve(file)) ? read(dir, file) : "";
    }

    /**
     * The value of one {@code KEY VALUE} line of a flat-keyed file ({@code memory.events}, {@code memory.oom_control}),
     * or 0 when the file or the key is missing.
     */
    static long readKey(Path dir, String file, String key) {
        for (String line : readIfExists(dir, file).split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length == 2 && f[0].equals(key)) {
                try {
                    return Long.parseLong(f[1]);
                } catch (NumberFormatException e) {
                    throw new CgroupException("cannot parse " + key + " in " + file + " (in " + dir + "): " + f[1], e);
                }
            }
        }
        return 0;
    }

    /** A number from a file; {@code max} reads as {@link Long#MAX_VALUE}. */
    static long readLong(Path dir, String file) {
        String s = read(dir, file);
        if (s.equals("max")) {
            return Long.MAX_VALUE;
        }
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            throw new CgroupException("cannot parse " + file + " (in " + dir + "): " + s, e);
        }
    }

    /**
     * Removes a cgroup directory, retrying briefly on EBUSY (a task that was just killed may still be leaving).
     * A directory that does not exist is success.
     */
    static void rmdir(Path dir) {
        for (int attempt = 0; ; attempt++) {
            try {
                Files.deleteIfExists(dir);
                return;
            } catch (IOException e) {
                boolean busy = reason(e).contains("busy");
                if (!busy || attempt >= 10) {
                    String tasks = readIfExists(dir, "cgroup.procs").replace('\n', ' ');
                    throw new CgroupException("cannot remove cgroup " + dir + ": " + reason(e)
                            + (tasks.isEmpty() ? "" : " (processes still in it: " + tasks + ")"), e);
                }
                try {
                    Thread.sleep(10L * (attempt + 1));
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new CgroupException("interrupted while removing " + dir, ie);
                }
            }
        }
    }

    /**
     * Removes the parents of a removed cgroup that are left empty, up to (not including) the hierarchy's mount
     * point: {@code rabbithole/} once its last container is gone, as runc removes what it created. A parent
     * another container still uses is not empty; that is not an error, and the walk stops there.
     *
     * @param leaf  the removed cgroup directory
     * @param mount the hierarchy's mount point, an ancestor of {@code leaf}
     */
    static void removeEmptyParents(Path leaf, Path mount) {
        for (Path p = leaf.getParent(); p != null && !p.equals(mount) && p.startsWith(mount); p = p.getParent()) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException stillUsed) {
                return; // not empty or busy: another container's cgroup is below it
            }
        }
    }

    /** The kernel's reason (strerror text) of an I/O error. */
    static String reason(IOException e) {
        if (e instanceof NoSuchFileException) {
            return "No such file or directory";
        }
        if (e instanceof FileSystemException fse && fse.getReason() != null) {
            return fse.getReason();
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }
}
