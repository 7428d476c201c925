package dev.rabbithole.testsupport;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** Cleaning up after a daemon: unmounting what it left below its roots, removing a tree without following links. */
public final class HostFiles {
    private HostFiles() { }

    /**
     * Removes {@code root} and everything below it; symbolic links are removed, never followed (an image's busybox
     * applets are absolute links). A missing root, or entries vanishing meanwhile, are no error.
     *
     * @throws IOException an entry that cannot be removed (a mount point still mounted, say)
     */
    public static void deleteRecursively(Path root) throws IOException {
        if (!Files.exists(root, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes a) throws IOException {
                Files.deleteIfExists(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
                if (e instanceof NoSuchFileException) return FileVisitResult.CONTINUE;
                throw e;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
                if (e != null && !(e instanceof NoSuchFileException)) throw e;
                Files.deleteIfExists(dir);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    /**
     * Unmounts every mount point at or below {@code root}, deepest first, as listed in {@code /proc/self/mountinfo}
     * (proc(5)); {@code umount -l} where a plain {@code umount} fails.
     *
     * @throws IOException mountinfo unreadable
     */
    public static void unmountUnder(Path root) throws IOException, InterruptedException {
        String prefix = root.toString();
        List<String> points = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
            String[] f = line.split(" ");
            if (f.length < 5) continue;
            String point = unescape(f[4]);
            if (point.equals(prefix) || point.startsWith(prefix + "/")) points.add(point);
        }
        points.sort(Comparator.comparing(String::length).reversed());
        for (String p : points) {
            if (JarDaemon.exec(List.of("umount", p)).exit() != 0) {
                JarDaemon.exec(List.of("umount", "-l", p));
            }
        }
    }

    /** mountinfo escapes blank, tab, newline and backslash as {@code \ooo}. */
    private static String unescape(String s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 3 < s.length()) {
                b.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }
}
