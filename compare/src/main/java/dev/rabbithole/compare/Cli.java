package dev.rabbithole.compare;

import java.io.File;
import java.io.IOException;
import java.lang.ProcessBuilder.Redirect;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** Runs commands (the docker CLI, strace, umount) and waits for them; small helpers over processes and files. */
public final class Cli {
    private Cli() { }

    /**
     * What a command did.
     *
     * @param exit its exit status (-1 when it could not start or timed out)
     * @param out  its standard output and error, merged
     */
    public record Result(int exit, String out) {
        /** @return true for exit status 0 */
        public boolean ok() {
            return exit == 0;
        }
    }

    /**
     * Runs a command with no input and waits up to {@code timeoutSeconds} for it.
     *
     * @param timeoutSeconds the longest wait, seconds; the command is killed then
     * @param cmd            the command and its arguments
     * @return its exit status and output
     */
    public static Result run(long timeoutSeconds, List<String> cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectInput(Redirect.from(new File("/dev/null"))).start();
            StringBuilder out = new StringBuilder();
            Thread reader = new Thread(() -> {
                try {
                    out.append(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
                } catch (IOException ignored) {
                    // the process is gone
                }
            });
            reader.start();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                reader.join(2000);
                return new Result(-1, "timed out after " + timeoutSeconds + " s: " + String.join(" ", cmd));
            }
            reader.join();
            return new Result(p.exitValue(), out.toString());
        } catch (IOException e) {
            return new Result(-1, e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(-1, "interrupted");
        }
    }

    /**
     * @param cmd the command
     * @return its output
     * @throws IllegalStateException when it exits non-zero, with its output
     */
    public static String output(List<String> cmd) {
        Result r = run(120, cmd);
        if (!r.ok()) {
            throw new IllegalStateException(String.join(" ", cmd) + " exited " + r.exit() + ": " + r.out().trim());
        }
        return r.out();
    }

    /**
     * The docker CLI against a host.
     *
     * @param docker the CLI
     * @param host   its {@code -H} value
     * @param args   the command's arguments
     * @return the command line
     */
    public static List<String> docker(String docker, String host, String... args) {
        List<String> cmd = new ArrayList<>(List.of(docker, "-H", host));
        cmd.addAll(List.of(args));
        return cmd;
    }

    /**
     * {@code GET path} on the Engine API's unix socket (HTTP/1.0: the server closes after the answer).
     *
     * @param socket the socket
     * @param path   the request path, e.g. {@code /containers/ID/explain}
     * @return the status code and the body
     * @throws IOException when the socket does not answer
     */
    public static Result get(Path socket, String path) throws IOException {
        try (java.nio.channels.SocketChannel ch = java.nio.channels.SocketChannel.open(
                java.net.StandardProtocolFamily.UNIX)) {
            ch.connect(java.net.UnixDomainSocketAddress.of(socket));
            ch.write(java.nio.ByteBuffer.wrap(("GET " + path + " HTTP/1.0\r\nHost: docker\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII)));
            java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
            java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(8192);
            while (ch.read(buf) > 0) {
                all.write(buf.array(), 0, buf.position());
                buf.clear();
            }
            String text = all.toString(StandardCharsets.UTF_8);
            int body = text.indexOf("\r\n\r\n");
            String[] status = text.split(" ", 3);
            int code = status.length > 1 && status[1].matches("[0-9]{3}") ? Integer.parseInt(status[1]) : -1;
            return new Result(code == 200 ? 0 : code, body < 0 ? "" : text.substring(body + 4));
        }
    }

    /**
     * @param pid a process
     * @return true when it exists and is not a zombie ({@code /proc/PID/stat} state other than Z or X)
     */
    public static boolean alive(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            char state = stat.charAt(stat.lastIndexOf(')') + 2);
            return state != 'Z' && state != 'X';
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /**
     * @param root a directory
     * @return the mount points at or below it ({@code /proc/self/mountinfo}, field 5), deepest first
     */
    public static List<String> mountsUnder(Path root) {
        try {
            String r = root.toString();
            return Files.readAllLines(Path.of("/proc/self/mountinfo")).stream().map(l -> l.split(" ")[4])
                    .filter(m -> m.equals(r) || m.startsWith(r + "/")).sorted(Comparator.reverseOrder()).toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    /**
     * @param roots directories
     * @return the pids (not this JVM's) whose command line names one of them
     */
    public static List<Long> processesNaming(List<Path> roots) {
        List<Long> out = new ArrayList<>();
        long self = ProcessHandle.current().pid();
        try (Stream<Path> s = Files.list(Path.of("/proc"))) {
            for (Path p : s.filter(p -> p.getFileName().toString().matches("[0-9]+")).toList()) {
                long pid = Long.parseLong(p.getFileName().toString());
                String args = String.join(" ", ProcessTree.cmdline(pid));
                if (pid != self && roots.stream().anyMatch(r -> args.contains(r.toString())) && alive(pid)) {
                    out.add(pid);
                }
            }
        } catch (IOException e) {
            // no /proc: nothing found
        }
        return out;
    }

    /**
     * Unmounts what is mounted below the directories, then removes them.
     *
     * @param roots directories this program created
     */
    public static void removeTrees(List<Path> roots) {
        for (Path root : roots) {
            for (String m : mountsUnder(root)) {
                run(30, List.of("umount", "-l", m));
            }
            if (!Files.exists(root)) {
                continue;
            }
            try (Stream<Path> walk = Files.walk(root)) {
                for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            } catch (IOException | RuntimeException e) {
                System.err.println("compare: could not remove " + root + ": " + e.getMessage());
            }
        }
    }
}
