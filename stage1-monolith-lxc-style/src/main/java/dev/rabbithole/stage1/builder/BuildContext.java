package dev.rabbithole.stage1.builder;

import dev.rabbithole.stage1.errdefs.InvalidParameterException;
import dev.rabbithole.stage1.errdefs.SystemException;
import dev.rabbithole.stage1.execdriver.RootfsPaths;
import dev.rabbithole.stage1.image.LayerUnpacker;
import dev.rabbithole.stage1.storage.FileTrees;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The build context: the tar the client sent ({@code POST /build}'s body), unpacked into a temporary directory with
 * the image store's safe unpacker (no entry leaves it), and what its {@code .dockerignore} excludes removed. COPY
 * and ADD sources are looked up here: a path that leaves the context lexically ({@code ../x}) is refused with
 * Docker's {@code forbidden path outside the build context}, and symlinks are followed inside the context only
 * (an absolute target starts again at the context root), so a link out of it finds nothing.
 */
public final class BuildContext implements AutoCloseable {

    private final Path root;
    private final DockerIgnore ignore;

    private BuildContext(Path root, DockerIgnore ignore) {
        this.root = root;
        this.ignore = ignore;
    }

    /**
     * Unpacks a context tar (plain, or gzip-compressed as {@code docker build - < ctx.tar.gz} may send it); a body
     * that is no tar is a Dockerfile alone ({@code docker build - < Dockerfile}), with an empty context.
     *
     * @param tar  the request body; not closed
     * @param work a directory for the unpacked context; it is created and deleted by {@link #close}
     * @throws InvalidParameterException a malformed tar or an entry that leaves the context
     * @throws SystemException           the host failed
     */
    public static BuildContext unpack(InputStream tar, Path work) {
        try {
            Files.createDirectories(work);
            InputStream in = new BufferedInputStream(tar);
            in.mark(2);
            int b1 = in.read();
            int b2 = in.read();
            in.reset();
            if (b1 == 0x1f && b2 == 0x8b) {
                in = new BufferedInputStream(new org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream(in, true));
            }
            in.mark(512);
            byte[] head = in.readNBytes(512);
            in.reset();
            boolean isTar = head.length >= 262 && new String(head, 257, 5, StandardCharsets.US_ASCII).equals("ustar");
            if (!isTar && head.length > 0 && !allZero(head)) {
                // docker build - < Dockerfile: the body is the Dockerfile itself, the context is empty
                Files.write(work.resolve("Dockerfile"), in.readAllBytes());
            } else if (b1 >= 0) {
                new LayerUnpacker(work).unpack(in);
            }
            Path di = work.resolve(".dockerignore");
            DockerIgnore ignore = Files.isRegularFile(di, LinkOption.NOFOLLOW_LINKS)
                    ? DockerIgnore.parse(Files.readString(di, StandardCharsets.UTF_8)) : DockerIgnore.NONE;
            BuildContext ctx = new BuildContext(work, ignore);
            ctx.removeIgnored();
            return ctx;
        } catch (IOException e) {
            throw new SystemException("cannot unpack the build context: " + e.getMessage(), e);
        }
    }

    private static boolean allZero(byte[] b) {
        for (byte x : b) {
            if (x != 0) {
                return false;
            }
        }
        return true;
    }

    /** @return the unpacked context's directory on the host */
    public Path root() {
        return root;
    }

    private void removeIgnored() throws IOException {
        List<Path> doomed = new ArrayList<>();
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                if (!dir.equals(root) && ignore.excluded(rel(dir)) && !ignore.hasExclusions()) {
                    doomed.add(dir);
                    return FileVisitResult.SKIP_SUBTREE;
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                String r = rel(file);
                // the client needs the Dockerfile and .dockerignore even when they exclude themselves
                if (ignore.excluded(r) && !r.equals(".dockerignore") && !r.equals("Dockerfile")) {
                    doomed.add(file);
                }
                return FileVisitResult.CONTINUE;
            }
        });
        for (Path p : doomed) {
            FileTrees.deleteRecursively(p);
        }
    }

    private String rel(Path p) {
        return root.relativize(p).toString();
    }

    /**
     * Reads the Dockerfile from the context.
     *
     * @param name {@code dockerfile} query parameter; null or empty means {@code Dockerfile}
     * @throws InvalidParameterException there is none (Docker's {@code Cannot locate specified Dockerfile: NAME})
     */
    public String dockerfile(String name) {
        String n = name == null || name.isEmpty() ? "Dockerfile" : name;
        Path p = RootfsPaths.resolve(root, n);
        try {
            if (!Files.isRegularFile(p) && (name == null || name.isEmpty())) {
                n = "dockerfile";
                p = RootfsPaths.resolve(root, n);
            }
            if (!Files.isRegularFile(p)) {
                throw new InvalidParameterException("Cannot locate specified Dockerfile: "
                        + (name == null || name.isEmpty() ? "Dockerfile" : name));
            }
            String text = Files.readString(p, StandardCharsets.UTF_8);
            // read, the Dockerfile and .dockerignore leave the context when .dockerignore excludes them (dockerd)
            if (ignore.excluded(n)) {
                Files.deleteIfExists(p);
            }
            if (ignore.excluded(".dockerignore")) {
                Files.deleteIfExists(root.resolve(".dockerignore"));
            }
            return text;
        } catch (IOException e) {
            throw new SystemException("cannot read the Dockerfile: " + e.getMessage(), e);
        }
    }

    /**
     * The host paths a COPY/ADD source names: one path, or the matches of a wildcard ({@code *}, {@code ?},
     * {@code [...]}), sorted.
     *
     * @param src the source as written (after substitution), relative to the context root
     * @param op  {@code COPY} or {@code ADD}, for the messages
     * @throws InvalidParameterException {@code COPY failed: forbidden path outside the build context: ../x ()},
     *         {@code COPY failed: file not found in build context or excluded by .dockerignore: stat x: file does not exist},
     *         {@code COPY failed: no source files were specified}
     */
    public List<Path> sources(String src, String op) {
        return sources(root, src, op, true);
    }

    /**
     * As {@link #sources(String, String)} in another tree (an earlier stage's rootfs for {@code COPY --from}).
     *
     * @param inContext whether the tree is the build context (its messages say so)
     */
    static List<Path> sources(Path tree, String src, String op, boolean inContext) {
        String cleaned = cleanKeepingDots(src);
        if (inContext && (cleaned.equals("..") || cleaned.startsWith("../"))) {
            throw new InvalidParameterException(op + " failed: forbidden path outside the build context: " + src + " ()");
        }
        if (hasWildcard(cleaned)) {
            Pattern p = Pattern.compile(DockerIgnore.globToRegex(DockerIgnore.clean(cleaned)));
            List<Path> out = new ArrayList<>();
            try (Stream<Path> s = Files.walk(tree)) {
                s.filter(x -> !x.equals(tree) && p.matcher(tree.relativize(x).toString()).matches())
                        .sorted(Comparator.comparing(Path::toString)).forEach(out::add);
            } catch (IOException e) {
                throw new SystemException("cannot list " + src + ": " + e.getMessage(), e);
            }
            if (out.isEmpty()) {
                throw new InvalidParameterException(op + " failed: no source files were specified");
            }
            return out;
        }
        Path p = RootfsPaths.resolve(tree, cleaned);
        if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
            String shown = DockerIgnore.clean(cleaned);
            throw new InvalidParameterException(op + " failed: "
                    + (inContext ? "file not found in build context or excluded by .dockerignore: " : "")
                    + "stat " + (shown.isEmpty() ? "." : shown) + ": file does not exist");
        }
        return List.of(p);
    }

    private static boolean hasWildcard(String s) {
        return s.indexOf('*') >= 0 || s.indexOf('?') >= 0 || s.indexOf('[') >= 0;
    }

    /** Cleans {@code a/./b//c} but keeps leading {@code ..} so an escape can be seen. */
    private static String cleanKeepingDots(String path) {
        List<String> out = new ArrayList<>();
        for (String part : path.split("/")) {
            if (part.isEmpty() || part.equals(".")) {
                continue;
            }
            if (part.equals("..") && !out.isEmpty() && !out.get(out.size() - 1).equals("..")) {
                out.remove(out.size() - 1);
                continue;
            }
            out.add(part);
        }
        return String.join("/", out);
    }

    /** Deletes the unpacked context; idempotent. */
    @Override
    public void close() {
        try {
            FileTrees.deleteRecursively(root);
        } catch (IOException e) {
            // a temporary directory that stays behind is only disk space; the daemon's tmp is emptied on start
        }
    }
}
