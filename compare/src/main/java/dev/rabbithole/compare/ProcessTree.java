package dev.rabbithole.compare;

import dev.rabbithole.bench.RunBenchmark;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The processes of an engine and of one running container, read from {@code /proc} (proc(5): {@code stat},
 * {@code cmdline}, {@code exe}), with a role name for each: the stage jar's program for our JVMs ({@code daemon},
 * {@code dockerd}, {@code containerd}, {@code shim}), the executable's name otherwise.
 */
public final class ProcessTree {
    private ProcessTree() { }

    /**
     * One process of the tree.
     *
     * @param pid    its pid
     * @param parent its parent's pid
     * @param role   its role name ({@link #role})
     * @param jvm    true when it is a Java virtual machine
     * @param args   its command line, shortened to 100 characters
     */
    public record Node(long pid, long parent, String role, boolean jvm, String args) { }

    /**
     * @param pid a process
     * @return its command line's words, empty when it is gone
     */
    public static List<String> cmdline(long pid) {
        try {
            byte[] b = Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline"));
            if (b.length == 0) {
                return List.of();
            }
            return Arrays.asList(new String(b, 0, b[b.length - 1] == 0 ? b.length - 1 : b.length,
                    StandardCharsets.UTF_8).split("\0", -1));
        } catch (IOException e) {
            return List.of();
        }
    }

    /**
     * The role of a process: for a JVM running a stage jar, the program after the jar or the main class
     * ({@code dockerd}, {@code containerd}, {@code shim}),
     * or {@code init (pooled)} for stage 2's pooled inits; {@code shim} for Docker's shim; else the executable's
     * file name.
     *
     * @param pid a process
     * @return its role name, or {@code ?} when it is gone
     */
    public static String role(long pid) {
        List<String> args = cmdline(pid);
        if (args.isEmpty()) {
            return "?";
        }
        String exe = Path.of(args.get(0)).getFileName().toString();
        if (args.contains("--pooled")) {
            return "init (pooled)";
        }
        if (exe.equals("java")) {
            // java [OPTION...] (-jar JAR | MAINCLASS) PROGRAM ...: the stage jar's program
            for (int i = 1; i < args.size(); i++) {
                String a = args.get(i);
                if (a.equals("-jar")) {
                    return i + 2 < args.size() ? args.get(i + 2) : "java";
                }
                if (a.equals("-cp") || a.equals("-classpath") || a.equals("--class-path")) {
                    i++;
                } else if (!a.startsWith("-")) {
                    return i + 1 < args.size() && !args.get(i + 1).startsWith("-") ? args.get(i + 1) : "java";
                }
            }
        }
        if (exe.startsWith("containerd-shim")) {
            return "shim";
        }
        return exe.isEmpty() ? RunBenchmark.comm(pid) : exe;
    }

    /**
     * @param pid a process
     * @return true when its executable is a {@code java} launcher
     */
    public static boolean isJvm(long pid) {
        try {
            return Files.readSymbolicLink(Path.of("/proc", Long.toString(pid), "exe")).getFileName().toString()
                    .equals("java");
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /**
     * The processes between an engine and a container's workload: up from the workload to the first engine
     * process (or pid 1), the workload excluded.
     *
     * @param workload the container's first process (its pid on the host)
     * @param engine   the engine's long-lived pids
     * @param parents  pid to parent pid ({@link RunBenchmark#parents()})
     * @return the per-container processes, nearest the workload first
     */
    public static List<Long> chain(long workload, Set<Long> engine, Map<Long, Long> parents) {
        List<Long> out = new ArrayList<>();
        for (long p = parents.getOrDefault(workload, 0L); p > 1 && !engine.contains(p);
             p = parents.getOrDefault(p, 0L)) {
            out.add(p);
        }
        return out;
    }

    /**
     * The tree of one running container: the engine's processes, the per-container ones and the workload with its
     * children.
     *
     * @param engine   the engine's long-lived pids
     * @param workload the container's first process, or 0 for the engine alone
     * @return the nodes, each parent before its children where the parent is in the tree
     */
    public static List<Node> tree(Set<Long> engine, long workload) {
        Map<Long, Long> parents = RunBenchmark.parents();
        Set<Long> pids = new LinkedHashSet<>(engine);
        if (workload > 0) {
            List<Long> chain = chain(workload, engine, parents);
            for (int i = chain.size() - 1; i >= 0; i--) {
                pids.add(chain.get(i));
            }
            pids.add(workload);
            List<Long> frontier = new ArrayList<>(List.of(workload));
            while (!frontier.isEmpty()) {
                long p = frontier.remove(0);
                parents.forEach((child, parent) -> {
                    if (parent == p && pids.add(child)) {
                        frontier.add(child);
                    }
                });
            }
        }
        List<Node> nodes = new ArrayList<>();
        for (long pid : pids) {
            String args = String.join(" ", cmdline(pid));
            nodes.add(new Node(pid, parents.getOrDefault(pid, 0L), pid == workload ? "workload" : role(pid),
                    isJvm(pid), args.length() > 100 ? args.substring(0, 97) + "..." : args));
        }
        return nodes;
    }

    /**
     * The tree as text, one process a line, children indented under their parent.
     *
     * @param nodes the tree ({@link #tree})
     * @return the drawing, e.g. {@code dockerd 4211 [JVM]} then {@code   containerd 4300 [JVM]}
     */
    public static String draw(List<Node> nodes) {
        StringBuilder out = new StringBuilder();
        Set<Long> in = new LinkedHashSet<>();
        nodes.forEach(n -> in.add(n.pid()));
        for (Node n : nodes) {
            if (!in.contains(n.parent())) {
                draw(n, nodes, 0, out);
            }
        }
        return out.toString();
    }

    private static void draw(Node n, List<Node> nodes, int depth, StringBuilder out) {
        out.append("  ".repeat(depth)).append(n.role()).append(' ').append(n.pid());
        if (n.jvm()) {
            out.append(" [JVM]");
        }
        if (depth == 0 && n.parent() == 1) {
            out.append(" (parent: pid 1, re-parented)");
        }
        if (n.role().equals("workload")) {
            out.append("  ").append(n.args());
        }
        out.append('\n');
        for (Node c : nodes) {
            if (c.parent() == n.pid()) {
                draw(c, nodes, depth + 1, out);
            }
        }
    }
}
