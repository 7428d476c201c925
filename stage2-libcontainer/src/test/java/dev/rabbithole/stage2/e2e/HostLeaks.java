package dev.rabbithole.stage2.e2e;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** What a container may leave on the host: mounts, cgroup directories, processes and state files naming its ID. */
final class HostLeaks {
    private HostLeaks() { }

    /** Lines of /proc/self/mountinfo that mention the container ID. */
    static List<String> mounts(String id) throws IOException {
        return Files.readAllLines(Path.of("/proc/self/mountinfo")).stream().filter(l -> l.contains(id)).toList();
    }

    /**
     * cgroup directories (any v1 hierarchy or the v2 tree, 5 levels deep) whose name contains the ID. Other
     * daemons on the host (other tests) make and remove cgroups meanwhile: a walk that meets one vanishing is
     * tried again.
     */
    static List<Path> cgroups(String id) throws IOException {
        for (int attempt = 1; ; attempt++) {
            List<Path> found = new ArrayList<>();
            try (Stream<Path> s = Files.find(Path.of("/sys/fs/cgroup"), 5,
                    (p, a) -> a.isDirectory() && p.getFileName() != null && p.getFileName().toString().contains(id))) {
                s.forEach(found::add);
                return found;
            } catch (java.io.UncheckedIOException e) {
                if (!(e.getCause() instanceof java.nio.file.NoSuchFileException) || attempt >= 20) {
                    throw e;
                }
            }
        }
    }

    /** Host processes whose command line mentions the ID. */
    static List<String> processes(String id) throws IOException {
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
     * Files and directories below {@code root} whose path contains the ID. Another container's teardown may remove
     * a directory (an emptied cgroup parent) while this walks: what vanished is not a leftover.
     */
    static List<Path> files(Path root, String id) throws IOException {
        List<Path> found = new ArrayList<>();
        if (!Files.exists(root)) {
            return found;
        }
        Files.walkFileTree(root, new java.nio.file.SimpleFileVisitor<>() {
            @Override
            public java.nio.file.FileVisitResult preVisitDirectory(Path dir, java.nio.file.attribute.BasicFileAttributes a) {
                if (dir.toString().contains(id)) found.add(dir);
                return java.nio.file.FileVisitResult.CONTINUE;
            }

            @Override
            public java.nio.file.FileVisitResult visitFile(Path file, java.nio.file.attribute.BasicFileAttributes a) {
                if (file.toString().contains(id)) found.add(file);
                return java.nio.file.FileVisitResult.CONTINUE;
            }

            @Override
            public java.nio.file.FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
                if (e instanceof java.nio.file.NoSuchFileException) return java.nio.file.FileVisitResult.CONTINUE;
                throw e;
            }

            @Override
            public java.nio.file.FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
                if (e == null || e instanceof java.nio.file.NoSuchFileException) return java.nio.file.FileVisitResult.CONTINUE;
                throw e;
            }
        });
        return found;
    }

    /** The host cgroup v1 file of a container of the native driver, e.g. memory's {@code memory.limit_in_bytes}. */
    static Path nativeCgroupFile(String controller, String id, String file) {
        return Path.of("/sys/fs/cgroup", controller, "rabbithole", id, file);
    }
}
