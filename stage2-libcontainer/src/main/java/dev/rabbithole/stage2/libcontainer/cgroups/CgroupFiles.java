package dev.rabbithole.stage2.libcontainer.cgroups;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** Reads and writes cgroupfs control files with errors that name the file and the value. */
final class CgroupFiles {
    private CgroupFiles() { }

    /** Writes {@code value} to {@code dir/file} in one write(2), without creating the file (the kernel does). */
    static void write(Path dir, String file, String value) {
        Path p = dir.resolve(file);
        try (OutputStream out = Files.newOutputStream(p, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            out.write(value.getBytes(StandardCharsets.US_ASCII));
        } catch (IOException e) {
            throw new CgroupException("cannot set " + file + " to " + value + ": " + reason(e) + " (in " + dir + ")", e);
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
