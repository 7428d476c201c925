package dev.rabbithole.stage3.dockerd;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rabbithole.stage1.client.EngineClient;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * {@code rabbithole stage3 tree CONTAINER [-H unix:///PATH]}: the process tree of a running container, each line
 * a pid, what the process is and its command line, read from {@code /proc} (proc(5): {@code /proc/PID/stat} for
 * the parent pid, {@code /proc/PID/cmdline}, {@code /proc/net/unix} and {@code /proc/PID/fd} for who listens on a
 * socket). The container's pid comes from the Engine API ({@code GET /containers/{id}/json}, State.Pid).
 *
 * <pre>
 * dockerd     4100  (listens on the Engine API socket)
 * containerd  4130  (parent 1: its own session)
 * shim        4170  (parent 1)
 *   workload  4190  sh -c ...   (pid 1 in the container)
 *     4201   sleep 1
 * runc        -     not running: it exited after create and start
 * </pre>
 *
 * Exit status: 0, 1 when the container is not running or the daemon does not answer, 2 for a usage error.
 */
public final class TreeMain {
    private TreeMain() { }

    /**
     * Prints the tree.
     *
     * @param args {@code CONTAINER [-H|--host unix:///PATH]}
     * @param out  where the tree goes
     * @param err  where errors go
     * @return the exit status
     */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        return run(args, out, err, "stage3", DockerdMain.DEFAULT_HOST);
    }

    /**
     * Prints the tree of a container of another stage's dockerd.
     *
     * @param args        {@code CONTAINER [-H|--host unix:///PATH]}
     * @param out         where the tree goes
     * @param err         where errors go
     * @param stage       the launcher's program group the usage names, e.g. {@code stage4}
     * @param defaultHost the Engine API socket without {@code -H}, e.g. {@code unix:///run/rabbithole/stage4/docker.sock}
     * @return the exit status: 0, 1 when the container is not found or not running, 2 for a usage error
     */
    public static int run(String[] args, PrintStream out, PrintStream err, String stage, String defaultHost) {
        String usage = "Usage: rabbithole " + stage + " tree CONTAINER [-H unix:///PATH] (default " + defaultHost + ")";
        String host = defaultHost;
        String container = null;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--help") || a.equals("-h")) {
                out.println(usage);
                out.println("Prints the process tree of a running container: dockerd, containerd, the shim, the "
                        + "workload and its children, with pids (from /proc).");
                return 0;
            } else if (a.equals("-H") || a.equals("--host")) {
                if (i + 1 >= args.length) {
                    err.println("tree: " + a + " needs a value");
                    return 2;
                }
                host = args[++i];
            } else if (a.startsWith("--host=")) {
                host = a.substring("--host=".length());
            } else if (container == null && !a.startsWith("-")) {
                container = a;
            } else {
                err.println("tree: unexpected argument: " + a);
                return 2;
            }
        }
        if (container == null) {
            err.println("tree: which container? " + usage);
            return 2;
        }
        long pid;
        String id;
        try {
            JsonNode c = new EngineClient(host).get("/containers/" + container + "/json");
            pid = c.path("State").path("Pid").asLong();
            id = c.path("Id").asText();
            if (!c.path("State").path("Running").asBoolean() || pid <= 0) {
                err.println("tree: container " + container + " is not running");
                return 1;
            }
        } catch (RuntimeException e) {
            err.println("tree: " + e.getMessage());
            return 1;
        }
        for (String line : lines(EngineClient.socketPath(host), id, pid)) {
            out.println(line);
        }
        return 0;
    }

    /**
     * The tree's lines.
     *
     * @param apiSocket the Engine API socket dockerd listens on
     * @param id        the container's ID (a runc of this container names it on its command line)
     * @param workload  the container's pid 1, as the host sees it
     * @return the lines, as printed
     */
    static List<String> lines(Path apiSocket, String id, long workload) {
        List<String> out = new ArrayList<>();
        Optional<Long> dockerd = listener(apiSocket);
        out.add(row("dockerd", dockerd, "(listens on " + apiSocket + ")"));
        long shim = ppid(workload);
        Optional<Long> containerd = argAfter(cmdline(shim), "-address").map(Path::of).flatMap(TreeMain::listener);
        out.add(row("containerd", containerd, containerd.map(p -> "(parent " + ppid(p) + ")").orElse("")));
        out.add(row("shim", Optional.of(shim), "(parent " + ppid(shim) + ") " + shorten(cmdline(shim))));
        String what = cmdline(workload).startsWith("/sbin/docker-init") ? "init" : "workload";
        out.add("  " + row(what, Optional.of(workload), cmdline(workload) + "  (pid 1 in the container)"));
        children(workload, "    ", out);
        boolean runc = allPids().stream().anyMatch(p -> {
            String cmd = cmdline(p);
            return (cmd.startsWith("runc ") || cmd.contains("/runc ") || cmd.contains("rabbithole-runc "))
                    && cmd.contains(id);
        });
        out.add(String.format("%-11s %-7s %s", "runc", "-", runc ? "running (a create, start or exec is under way)"
                : "not running: it exited after create and start"));
        return out;
    }

    private static String row(String what, Optional<Long> pid, String text) {
        return String.format("%-11s %-7s %s", what, pid.map(String::valueOf).orElse("?"), text);
    }

    private static void children(long parent, String indent, List<String> out) {
        for (long p : allPids()) {
            if (ppid(p) == parent) {
                out.add(indent + String.format("%-9s %-7d %s", "", p, cmdline(p)));
                children(p, indent + "  ", out);
            }
        }
    }

    /** @return the pid of the process that has a listening unix socket bound to this path */
    static Optional<Long> listener(Path socket) {
        Set<String> inodes = new HashSet<>();
        try {
            for (String line : Files.readAllLines(Path.of("/proc/net/unix"))) {
                String[] f = line.trim().split("\\s+");
                // Num RefCount Protocol Flags Type St Inode Path; __SO_ACCEPTCON (0x10000) marks a listener
                if (f.length >= 8 && f[7].equals(socket.toString())
                        && (Long.parseLong(f[3], 16) & 0x10000) != 0) {
                    inodes.add("socket:[" + f[6] + "]");
                }
            }
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
        for (long pid : allPids()) {
            try (Stream<Path> fds = Files.list(Path.of("/proc", String.valueOf(pid), "fd"))) {
                for (Path fd : fds.toList()) {
                    try {
                        if (inodes.contains(Files.readSymbolicLink(fd).toString())) {
                            return Optional.of(pid);
                        }
                    } catch (IOException e) {
                        // closed meanwhile
                    }
                }
            } catch (IOException e) {
                // gone meanwhile
            }
        }
        return Optional.empty();
    }

    static List<Long> allPids() {
        List<Long> pids = new ArrayList<>();
        try (Stream<Path> proc = Files.list(Path.of("/proc"))) {
            proc.map(p -> p.getFileName().toString()).filter(n -> n.matches("[0-9]+"))
                    .forEach(n -> pids.add(Long.parseLong(n)));
        } catch (IOException e) {
            // no /proc: nothing to show
        }
        pids.sort(null);
        return pids;
    }

    /** @return the parent pid from {@code /proc/PID/stat} (the field after the state), or -1 */
    static long ppid(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", String.valueOf(pid), "stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(f[1]);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** @return the command line, arguments separated by spaces, or empty */
    static String cmdline(long pid) {
        try {
            byte[] b = Files.readAllBytes(Path.of("/proc", String.valueOf(pid), "cmdline"));
            return new String(b, StandardCharsets.UTF_8).replace('\0', ' ').trim();
        } catch (IOException e) {
            return "";
        }
    }

    /**
     * A command line without a JVM's options ({@code -X...}, {@code -D...}, {@code -XX:...}): {@code java -jar
     * rabbithole-stage3.jar shim -namespace moby ...} rather than a screenful of tuning flags.
     */
    static String shorten(String cmdline) {
        String[] w = cmdline.split(" ");
        if (w.length == 0 || !w[0].endsWith("/java") && !w[0].equals("java")) {
            return cmdline;
        }
        StringBuilder b = new StringBuilder("java");
        for (int i = 1; i < w.length; i++) {
            if (w[i].startsWith("-X") || w[i].startsWith("-D")) {
                continue;
            }
            b.append(' ').append(w[i]);
        }
        return b.toString();
    }

    private static Optional<String> argAfter(String cmdline, String flag) {
        String[] w = cmdline.split(" ");
        for (int i = 0; i + 1 < w.length; i++) {
            if (w[i].equals(flag)) {
                return Optional.of(w[i + 1].replaceFirst("^unix://", ""));
            }
        }
        return Optional.empty();
    }
}
