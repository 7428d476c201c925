package dev.rabbithole.stage1.execdriver;

import dev.rabbithole.stage1.errdefs.InvalidParameterException;
import dev.rabbithole.stage1.errdefs.SystemException;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Set;

/**
 * Paths of the container looked up on the host before it starts, as the container will see them: symlinks are
 * followed inside the rootfs only (an absolute target starts again at the rootfs, {@code ..} stops at its root),
 * the way runc's {@code securejoin} resolves them, so an image's {@code /bin -> /host/bin} never reaches the host.
 * Exec drivers call {@link #createWorkingDir} and {@link #checkExecutable} before they start a container.
 */
public final class RootfsPaths {
    private RootfsPaths() { }

    /** Docker's default PATH, used to look up a program when the environment has none. */
    static final String DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    /** Symlinks followed at most while resolving one path (Linux's limit, path_resolution(7)). */
    static final int MAX_LINKS = 40;

    /**
     * Resolves a container path to the host path it names inside the rootfs. Components need not exist.
     *
     * @param rootfs the container's root filesystem on the host
     * @param path   a path inside the container; relative paths are taken from {@code /}
     * @return a host path at or below {@code rootfs}, free of symlinks from {@code rootfs} down
     * @throws InvalidParameterException more than {@value #MAX_LINKS} symlinks
     *         ({@code too many levels of symbolic links})
     */
    public static Path resolve(Path rootfs, String path) {
        Path root = rootfs.toAbsolutePath().normalize();
        Deque<String> todo = new ArrayDeque<>(List.of(path.split("/")));
        List<String> done = new ArrayList<>();
        int links = 0;
        while (!todo.isEmpty()) {
            String part = todo.pollFirst();
            if (part.isEmpty() || part.equals(".")) {
                continue;
            }
            if (part.equals("..")) {
                if (!done.isEmpty()) {
                    done.remove(done.size() - 1);
                }
                continue;
            }
            Path current = join(root, done).resolve(part);
            if (Files.isSymbolicLink(current)) {
                if (++links > MAX_LINKS) {
                    throw new InvalidParameterException(path + ": too many levels of symbolic links");
                }
                String target;
                try {
                    target = Files.readSymbolicLink(current).toString();
                } catch (IOException e) {
                    throw new SystemException("reading symlink " + current + ": " + e.getMessage(), e);
                }
                if (target.startsWith("/")) {
                    done.clear();
                }
                List<String> parts = List.of(target.split("/"));
                for (int i = parts.size() - 1; i >= 0; i--) {
                    todo.addFirst(parts.get(i));
                }
                continue;
            }
            done.add(part);
        }
        return join(root, done);
    }

    private static Path join(Path root, List<String> parts) {
        Path p = root;
        for (String s : parts) {
            p = p.resolve(s);
        }
        return p;
    }

    /**
     * Creates the working directory if it is missing, as dockerd does before it starts a container (moby
     * {@code container.SetupWorkingDirectory}): mode 0755, owned by root, inside the rootfs.
     *
     * @param c the command; its {@code workingDir} (default {@code /}) and {@code rootfs} are read
     * @throws InvalidParameterException a relative working directory, or a path whose existing part is not a
     *         directory ({@code Cannot mkdir: /etc/passwd is not a directory}, Docker's wording)
     * @throws SystemException the directory cannot be created for another reason
     */
    public static void createWorkingDir(Command c) {
        String cwd = c.workingDir() == null || c.workingDir().isEmpty() ? "/" : c.workingDir();
        if (!cwd.startsWith("/")) {
            throw new InvalidParameterException("the working directory '" + cwd
                    + "' is invalid, it needs to be an absolute path");
        }
        Path dir = resolve(c.rootfs(), cwd);
        if (Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        if (Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            throw notADirectory(cwd);
        }
        try {
            Files.createDirectories(dir);     // no symlinks left from the rootfs down: resolve followed them
        } catch (IOException e) {
            // a component that exists and is not a directory: ENOTDIR, or EEXIST for the component itself
            if (e instanceof FileAlreadyExistsException || String.valueOf(e.getMessage()).contains("Not a directory")) {
                throw notADirectory(cwd);
            }
            throw new SystemException("creating the working directory " + cwd + ": " + e.getMessage(), e);
        }
    }

    private static InvalidParameterException notADirectory(String cwd) {
        return new InvalidParameterException("Cannot mkdir: " + cwd + " is not a directory");
    }

    /**
     * Docker's checks before it runs the program (runc's {@code exec.LookPath} and execve(2)): a program with a
     * slash must exist (from the working directory when relative) and be a file with an execute bit; a bare name
     * is looked up in the environment's {@code PATH} (Docker's default PATH if unset), skipping directories and
     * files without an execute bit.
     *
     * @param c the command: {@code args[0]}, {@code env}, {@code workingDir}, {@code rootfs}
     * @throws InvalidParameterException {@code exec: "P": stat P: no such file or directory} and
     *         {@code exec: "P": executable file not found in $PATH} (docker run exits 127), or
     *         {@code exec: "P": permission denied} for a directory or a file without an execute bit (126)
     */
    public static void checkExecutable(Command c) {
        String program = c.args().get(0);
        if (program.contains("/")) {
            String cwd = c.workingDir() == null || c.workingDir().isEmpty() ? "/" : c.workingDir();
            Path p = resolve(c.rootfs(), program.startsWith("/") ? program : cwd + "/" + program);
            if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
                throw new InvalidParameterException("exec: \"" + program + "\": stat " + program
                        + ": no such file or directory");
            }
            if (!Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS) || !hasExecuteBit(p)) {
                throw new InvalidParameterException("exec: \"" + program + "\": permission denied");
            }
            return;
        }
        String path = DEFAULT_PATH;
        for (String e : c.env() == null ? List.<String>of() : c.env()) {
            if (e.startsWith("PATH=")) {
                path = e.substring(5);
            }
        }
        for (String dir : path.split(":")) {
            if (dir.isEmpty()) {
                continue;
            }
            Path p = resolve(c.rootfs(), dir + "/" + program);
            if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS) && hasExecuteBit(p)) {
                return;
            }
        }
        throw new InvalidParameterException("exec: \"" + program + "\": executable file not found in $PATH");
    }

    private static boolean hasExecuteBit(Path p) {
        try {
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS);
            return perms.contains(PosixFilePermission.OWNER_EXECUTE) || perms.contains(PosixFilePermission.GROUP_EXECUTE)
                    || perms.contains(PosixFilePermission.OTHERS_EXECUTE);
        } catch (IOException e) {
            return false;
        }
    }
}
