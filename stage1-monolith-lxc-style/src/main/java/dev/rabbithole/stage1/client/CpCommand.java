package dev.rabbithole.stage1.client;

import dev.rabbithole.stage1.archive.PathStat;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Map;

/**
 * {@code cp}: the docker CLI's {@code docker cp} (docker/cli {@code cli/command/container/cp.go} and moby's
 * {@code pkg/archive/copy.go} rules), over {@code HEAD|GET|PUT /containers/{id}/archive}:
 *
 * <pre>
 * cp [-a] [-L] CONTAINER:SRC_PATH DEST_PATH|-      a tar of SRC_PATH, extracted at DEST_PATH (or written to stdout)
 * cp [-a] [-L] SRC_PATH|- CONTAINER:DEST_PATH      SRC_PATH tarred here (or a tar read from stdin), extracted there
 * </pre>
 *
 * Path rules as Docker's: an existing directory receives the source under its own name; {@code SRC/.} copies a
 * directory's content; a destination that does not exist is created with the source's content under that name, and
 * a trailing {@code /} says it must be an existing directory ({@code no such directory}); a directory never
 * replaces a file ({@code cannot copy directory}). {@code -L} follows a symlink given as the source; {@code -a}
 * asks the daemon to give the files the container user's owner. Extraction on this side refuses entries that
 * leave the destination ({@link #components}) and never writes through a symlink.
 */
@Command(name = "cp", description = "Copy files/folders between a container and the local filesystem.")
public final class CpCommand extends ClientCommand {
    @Option(names = "--help", usageHelp = true, description = "Show this help.") boolean help;
    @Option(names = {"-a", "--archive"}, description = "Archive mode (copy all uid/gid information).") boolean archive;
    @Option(names = {"-L", "--follow-link"}, description = "Always follow symbol link in SRC_PATH.") boolean followLink;
    @Parameters(index = "0", paramLabel = "SRC") String source;
    @Parameters(index = "1", paramLabel = "DEST") String destination;

    /**
     * docker's {@code splitCpArg}: an absolute path, or one whose part before {@code :} starts with {@code .}, is local.
     *
     * @return {container, path}; container null for a local path
     */
    static String[] split(String arg) {
        if (arg.startsWith("/")) return new String[] {null, arg};
        int colon = arg.indexOf(':');
        if (colon < 0 || arg.substring(0, colon).startsWith(".")) return new String[] {null, arg};
        return new String[] {arg.substring(0, colon), arg.substring(colon + 1)};
    }

    @Override
    protected int execute(EngineClient client) {
        String[] src = split(source);
        String[] dst = split(destination);
        if (src[0] != null && dst[0] != null) {
            context.err().println("copying between containers is not supported");
            return 1;
        }
        if (src[0] == null && dst[0] == null) {
            context.err().println("must specify at least one container source");
            return 1;
        }
        try {
            return src[0] != null ? fromContainer(client, src[0], src[1], dst[1]) : toContainer(client, src[1], dst[0], dst[1]);
        } catch (IOException e) {
            context.err().println(e.getMessage());
            return 1;
        }
    }

    private static String query(String path) {
        return "path=" + URLEncoder.encode(path, StandardCharsets.UTF_8);
    }

    private static PathStat stat(EngineClient client, String container, String path) {
        String uri = "/containers/" + container + "/archive?" + query(path);
        EngineResponse r = EngineClient.await(client.send("HEAD", uri, null));
        if (r.status() >= 400) {
            // a HEAD answer has no body: the same GET says why (and fails the same way)
            EngineClient.checked(EngineClient.await(client.send("GET", uri, null)));
            EngineClient.checked(r);
        }
        String h = r.headers().get(PathStat.HEADER.toLowerCase(java.util.Locale.ROOT));
        if (h == null) throw new IllegalStateException("the daemon sent no " + PathStat.HEADER + " header");
        return PathStat.parse(EngineClient.JSON, h);
    }

    /** As pkg/archive's SplitPathDirEntry: the last element, {@code .} for {@code dir/.}. */
    static String base(String path) {
        String p = path;
        while (p.length() > 1 && p.endsWith("/")) p = p.substring(0, p.length() - 1);
        if (p.equals("/")) return "/";
        return p.substring(p.lastIndexOf('/') + 1);
    }

    private static boolean assertsDirectory(String path) {
        return path.endsWith("/") || path.endsWith("/.") || path.equals(".");
    }

    // ------------------------------------------------------------------ container -> here

    private int fromContainer(EngineClient client, String container, String srcPath, String dstPath) throws IOException {
        String path = srcPath;
        String rebase = null;
        if (followLink) {
            PathStat s = stat(client, container, path);
            if (s.isSymlink()) {
                String target = s.linkTarget();
                if (!target.startsWith("/")) target = path.substring(0, path.lastIndexOf('/') + 1) + target;
                rebase = base(path);
                path = target;
            }
        }
        PathStat stat = stat(client, container, path);
        String get = "/containers/" + container + "/archive?" + query(path);
        if (dstPath.equals("-")) {
            EngineClient.await(client.download(get, context.out()).finished());
            context.out().flush();
            return 0;
        }
        Path dst = Path.of(dstPath);
        boolean exists = Files.exists(dst);
        boolean isDir = Files.isDirectory(dst);
        Path parent = dst.toAbsolutePath().getParent();
        if (!exists) {
            if (parent != null && !Files.isDirectory(parent)) {
                throw new IOException("invalid output path: directory \"" + (dst.getParent() == null ? parent : dst.getParent())
                        + "\" does not exist");
            }
            if (assertsDirectory(dstPath) && !stat.isDir()) throw new IOException("no such directory");
        } else if (!isDir && stat.isDir()) {
            throw new IOException("cannot copy directory");
        }
        // the tar's entries start with the source's name (or the -L link's name)
        String srcBase = stat.name();
        String newBase = rebase;
        Path into;
        if (exists && isDir) {
            into = dst;
        } else {
            into = parent;
            newBase = dst.getFileName().toString();
        }
        Path tmp = Files.createTempFile("rabbithole-cp-", ".tar");
        try {
            try (OutputStream out = Files.newOutputStream(tmp)) {
                EngineClient.await(client.download(get, out).finished());
            }
            try (InputStream in = Files.newInputStream(tmp)) {
                extractHere(in, into, srcBase, newBase);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
        return 0;
    }

    /** Extracts a tar under {@code dir}, renaming the leading {@code oldBase} to {@code newBase} (when not null). */
    private static void extractHere(InputStream tarStream, Path dir, String oldBase, String newBase) throws IOException {
        TarArchiveInputStream tar = new TarArchiveInputStream(tarStream);
        TarArchiveEntry e;
        java.util.List<Runnable> dirTimes = new java.util.ArrayList<>();
        while ((e = tar.getNextEntry()) != null) {
            String name = rebase(e.getName(), oldBase, newBase);
            List<String> parts = components(name);
            if (parts == null) throw new IOException("refusing \"" + e.getName() + "\": it leaves " + dir);
            Path target = dir;
            for (int i = 0; i < parts.size(); i++) {
                target = target.resolve(parts.get(i));
                if (i < parts.size() - 1 && Files.isSymbolicLink(target)) {
                    throw new IOException("refusing \"" + e.getName() + "\": its parent " + target + " is a symlink");
                }
            }
            if (parts.isEmpty()) continue;
            Files.createDirectories(target.getParent());
            FileTime mtime = e.getLastModifiedTime();
            if (e.isDirectory()) {
                if (Files.exists(target, LinkOption.NOFOLLOW_LINKS) && !Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
                    throw new IOException("cannot overwrite non-directory \"" + target + "\" with directory");
                }
                if (!Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) Files.createDirectory(target);
                Path t = target;
                int mode = e.getMode();
                dirTimes.add(() -> {
                    try {
                        Files.setAttribute(t, "unix:mode", mode & 07777, LinkOption.NOFOLLOW_LINKS);
                        Files.setLastModifiedTime(t, mtime);
                    } catch (IOException ignored) {
                        // metadata only
                    }
                });
                continue;
            }
            if (Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
                throw new IOException("cannot overwrite directory \"" + target + "\" with non-directory");
            }
            Files.deleteIfExists(target);
            if (e.isSymbolicLink()) {
                Files.createSymbolicLink(target, Path.of(e.getLinkName()));
                continue;
            } else if (e.isLink()) {
                Path existing = dir;
                List<String> link = components(rebase(e.getLinkName(), oldBase, newBase));
                if (link == null || link.isEmpty()) throw new IOException("refusing hard link \"" + e.getName() + "\"");
                for (String c : link) existing = existing.resolve(c);
                Files.createLink(target, existing);
                continue;
            } else if (!e.isFile()) {
                continue;                                      // devices and FIFOs stay in the container
            }
            try (OutputStream out = Files.newOutputStream(target, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                    LinkOption.NOFOLLOW_LINKS)) {
                tar.transferTo(out);
            }
            Files.setAttribute(target, "unix:mode", e.getMode() & 07777, LinkOption.NOFOLLOW_LINKS);
            Files.setLastModifiedTime(target, mtime);
        }
        for (int i = dirTimes.size() - 1; i >= 0; i--) dirTimes.get(i).run();
    }

    /**
     * A tar name normalized lexically under the destination (the client may not use the daemon's image code, see
     * Stage1ArchitectureTest): empty and {@code .} elements dropped, {@code ..} removes the previous one.
     *
     * @return the elements, or null when a {@code ..} would leave the destination
     */
    static List<String> components(String name) {
        java.util.ArrayDeque<String> parts = new java.util.ArrayDeque<>();
        for (String c : name.split("/")) {
            if (c.isEmpty() || c.equals(".")) continue;
            if (c.equals("..")) {
                if (parts.isEmpty()) return null;
                parts.removeLast();
            } else {
                parts.addLast(c);
            }
        }
        return new java.util.ArrayList<>(parts);
    }

    /** pkg/archive's rebase: a name that is {@code oldBase} or starts with {@code oldBase/} gets {@code newBase} instead. */
    static String rebase(String name, String oldBase, String newBase) {
        if (newBase == null || oldBase == null) return name;
        String old = oldBase.equals("/") ? "" : oldBase;
        if (name.equals(old) || name.equals(old + "/")) return newBase + name.substring(old.length());
        if (name.startsWith(old + "/")) return newBase + name.substring(old.length());
        return name;
    }

    // ------------------------------------------------------------------ here -> container

    private int toContainer(EngineClient client, String srcPath, String container, String dstPath) throws IOException {
        PathStat dstStat = null;
        String dst = dstPath;
        try {
            dstStat = stat(client, container, dst);
            if (dstStat.isSymlink()) {
                String target = dstStat.linkTarget();
                if (!target.startsWith("/")) target = dst.substring(0, dst.lastIndexOf('/') + 1) + target;
                dst = target;
                dstStat = stat(client, container, dst);
            }
        } catch (EngineApiException e) {
            dstStat = null;    // as docker: assume the parent exists; the daemon says so when it does not
        }
        String put = "/containers/" + container + "/archive?noOverwriteDirNonDir=true" + (archive ? "&copyUIDGID=true" : "");
        if (srcPath.equals("-")) {
            if (dstStat == null || !dstStat.isDir()) {
                throw new IOException("destination \"" + container + ":" + dstPath + "\" must be a directory");
            }
            client.upload("PUT", put + "&" + query(dst), context.in(), "application/x-tar");
            return 0;
        }
        Path src = Path.of(srcPath);
        if (!Files.exists(src, LinkOption.NOFOLLOW_LINKS)) {
            throw new IOException("lstat " + srcPath + ": no such file or directory");
        }
        boolean srcIsDir = followLink ? Files.isDirectory(src) : Files.isDirectory(src, LinkOption.NOFOLLOW_LINKS);
        String srcBase = srcPath.endsWith("/.") || srcPath.equals(".") ? "." : base(srcPath);
        String into;
        String newBase;
        if (dstStat != null && dstStat.isDir()) {
            into = dst;
            newBase = srcBase;
        } else if (dstStat != null) {
            if (srcIsDir) throw new IOException("cannot copy directory");
            into = parentOf(dst);
            newBase = base(dst);
        } else {
            // a directory is copied under the new name; a file only where no directory is asked for
            if (!srcIsDir && assertsDirectory(dst)) throw new IOException("no such directory");
            into = parentOf(dst);
            newBase = base(dst);
        }
        Path tmp = Files.createTempFile("rabbithole-cp-", ".tar");
        try {
            try (OutputStream out = Files.newOutputStream(tmp)) {
                tarHere(src, newBase, out);
            }
            try (InputStream in = Files.newInputStream(tmp)) {
                client.upload("PUT", put + "&" + query(into), in, "application/x-tar");
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
        return 0;
    }

    private static String parentOf(String containerPath) {
        String p = containerPath;
        while (p.length() > 1 && p.endsWith("/")) p = p.substring(0, p.length() - 1);
        int slash = p.lastIndexOf('/');
        return slash <= 0 ? "/" : p.substring(0, slash);
    }

    /** Tars a local file or tree with its entries named {@code name}, {@code name/...}; symlinks stay symlinks. */
    private void tarHere(Path src, String name, OutputStream out) throws IOException {
        TarArchiveOutputStream tar = new TarArchiveOutputStream(out);
        tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
        tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
        Path root = followLink ? src.toRealPath() : src;
        Files.walkFileTree(root, java.util.EnumSet.noneOf(java.nio.file.FileVisitOption.class), Integer.MAX_VALUE,
                new SimpleFileVisitor<>() {
                    @Override
                    public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes a) throws IOException {
                        add(tar, d, entryName(root, d, name) + "/", a);
                        return FileVisitResult.CONTINUE;
                    }

                    @Override
                    public FileVisitResult visitFile(Path f, BasicFileAttributes a) throws IOException {
                        add(tar, f, entryName(root, f, name), a);
                        return FileVisitResult.CONTINUE;
                    }
                });
        tar.finish();
    }

    private static String entryName(Path root, Path p, String name) {
        String rel = root.relativize(p).toString();
        if (rel.isEmpty()) return name;
        return (name.endsWith("/") ? name : name + "/") + rel;
    }

    private static void add(TarArchiveOutputStream tar, Path p, String name, BasicFileAttributes a) throws IOException {
        Map<String, Object> unix = Files.readAttributes(p, "unix:mode,uid,gid", LinkOption.NOFOLLOW_LINKS);
        TarArchiveEntry e;
        if (a.isSymbolicLink()) {
            e = new TarArchiveEntry(name, TarConstants.LF_SYMLINK);
            e.setLinkName(Files.readSymbolicLink(p).toString());
        } else if (a.isDirectory()) {
            e = new TarArchiveEntry(name.endsWith("/") ? name : name + "/", TarConstants.LF_DIR);
        } else if (a.isRegularFile()) {
            e = new TarArchiveEntry(name, TarConstants.LF_NORMAL);
            e.setSize(a.size());
        } else {
            return;                                            // sockets, devices, FIFOs: not copied from here
        }
        e.setMode((Integer) unix.get("mode") & 07777);
        e.setUserId((Integer) unix.get("uid"));
        e.setGroupId((Integer) unix.get("gid"));
        e.setLastModifiedTime(a.lastModifiedTime());
        tar.putArchiveEntry(e);
        if (a.isRegularFile()) {
            try (InputStream in = Files.newInputStream(p, LinkOption.NOFOLLOW_LINKS)) {
                in.transferTo(tar);
            }
        }
        tar.closeArchiveEntry();
    }
}
