package dev.rabbithole.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * What a container may leave on the host after {@code docker rm}: mounts, cgroup directories, processes and state
 * files naming its ID. Other daemons on the host (other tests) make and remove cgroups, processes and directories
 * meanwhile: what vanishes during a look is not a leftover, and a walk that meets it goes on.
 */
public final class HostLeaks {
    private HostLeaks() { }

    /**
     * @param id a container ID (or any string)
     * @return the lines of {@code /proc/self/mountinfo} (proc(5)) that contain it
     * @throws IOException mountinfo unreadable
     */
    public static List<String> mounts(String id) throws IOException {
        return Files.readAllLines(Path.of("/proc/self/mountinfo")).stream().filter(l -> l.contains(id)).toList();
    }

    /**
     * @param id a container ID
     * @return cgroup directories (any v1 hierarchy or the v2 tree, at most 5 levels below {@code /sys/fs/cgroup})
     *         whose name contains it; a walk that meets a directory vanishing is tried again (20 times at most)
     * @throws IOException the walk failed otherwise
     */
    public static List<Path> cgroups(String id) throws IOException {
        for (int attempt = 1; ; attempt++) {
            List<Path> found = new ArrayList<>();
            try (Stream<Path> s = Files.find(Path.of("/sys/fs/cgroup"), 5,
                    (p, a) -> a.isDirectory() && p.getFileName() != null && p.getFileName().toString().contains(id))) {
                s.forEach(found::add);
                return found;
            } catch (UncheckedIOException e) {
                if (!(e.getCause() instanceof NoSuchFileException) || attempt >= 20) {
                    throw e;
                }
            }
        }
    }

    /**
     * @param id a container ID
     * @return host processes whose command line ({@code /proc/PID/cmdline}) contains it, as {@code "PID: cmdline"};
     *         the test's own JVM and processes that exit while looked at are left out
     * @throws IOException /proc unreadable
     */
    public static List<String> processes(String id) throws IOException {
        List<String> found = new ArrayList<>();
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path p : procs.filter(p -> p.getFileName().toString().matches("\\d+")).toList()) {
                try {
                    String cmdline = new String(Files.readAllBytes(p.resolve("cmdline")), StandardCharsets.UTF_8)
                            .replace('\0', ' ');
                    if (cmdline.contains(id) && !cmdline.contains("HostLeaks")) {
                        found.add(p.getFileName() + ": " + cmdline);
                    }
                } catch (IOException gone) {
                    // exited while we looked: not a leak
                }
            }
        }
        return found;
    }

    /**
     * @param root a directory (a data root, an exec root); none is no leftover
     * @param id   a container ID
     * @return files and directories below {@code root} whose path contains the ID; another container's teardown
     *         may remove a directory (an emptied cgroup parent) while this walks: what vanished is not a leftover
     * @throws IOException the walk failed otherwise
     */
    public static List<Path> files(Path root, String id) throws IOException {
        List<Path> found = new ArrayList<>();
        if (!Files.exists(root)) {
            return found;
        }
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes a) {
                if (dir.toString().contains(id)) found.add(dir);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes a) {
                if (file.toString().contains(id)) found.add(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
                if (e instanceof NoSuchFileException) return FileVisitResult.CONTINUE;
                throw e;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
                if (e == null || e instanceof NoSuchFileException) return FileVisitResult.CONTINUE;
                throw e;
            }
        });
        return found;
    }
}
