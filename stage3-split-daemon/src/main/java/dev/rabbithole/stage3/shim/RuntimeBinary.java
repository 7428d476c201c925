package dev.rabbithole.stage3.shim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The runtime binary (runc's command line: runc, Debian's or ours) as the shim runs it, every time through the
 * {@link Reaper} (posix_spawn, status from the one reaping loop). Global options: {@code --root ROOT --log
 * BUNDLE/log.json --log-format json} (plus {@code --systemd-cgroup} when asked); a failing command's error is the
 * message of the last {@code "level":"error"} line runc wrote to that log (runc's own words), else its output.
 * Source: runc's man pages runc(8), runc-create(8), runc-exec(8), runc-kill(8), runc-delete(8), runc-ps(8).
 */
final class RuntimeBinary {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** No runc command the shim runs takes longer; a hung one is reported, not waited for forever. */
    private static final long TIMEOUT_SECONDS = 120;

    final String binary;
    final String root;
    final boolean systemdCgroup;
    private final Reaper reaper;

    /**
     * @param binary the runtime binary: a name looked up on PATH (and the sbin directories) or a path
     * @param root the runtime's state directory ({@code --root})
     */
    RuntimeBinary(Reaper reaper, String binary, String root, boolean systemdCgroup) {
        this.reaper = reaper;
        this.binary = binary;
        this.root = root;
        this.systemdCgroup = systemdCgroup;
    }

    /** @return the binary's path: as given when it has a slash, else the first executable on PATH, sbin dirs */
    static String resolve(String binary) throws IOException {
        if (binary.contains("/")) {
            if (!Files.isExecutable(Path.of(binary))) {
                throw new IOException("runtime binary " + binary + " is not an executable file");
            }
            return binary;
        }
        String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin") + ":/usr/local/sbin:/usr/sbin:/sbin";
        for (String dir : path.split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, binary))) {
                return Path.of(dir, binary).toString();
            }
        }
        throw new IOException("runtime binary " + binary + " not found in PATH (" + path + ")");
    }

    private List<String> argv(Path log, List<String> args) {
        List<String> argv = new ArrayList<>(List.of(binary, "--root", root));
        if (log != null) {
            argv.addAll(List.of("--log", log.toString(), "--log-format", "json"));
        }
        if (systemdCgroup) {
            argv.add("--systemd-cgroup");
        }
        argv.addAll(args);
        return argv;
    }

    static List<String> environment() {
        List<String> env = new ArrayList<>();
        for (Map.Entry<String, String> e : System.getenv().entrySet()) {
            env.add(e.getKey() + "=" + e.getValue());
        }
        return env;
    }

    /**
     * Runs a command whose stdio are given (create and exec: runc hands them to the container process).
     *
     * @param log the {@code --log} file (read back for the error), null for none
     * @param stdio descriptors for runc's 0, 1, 2 (-1: /dev/null)
     * @throws IOException with the runtime's message when it exits non-zero
     */
    void runWithStdio(Path log, List<String> args, int[] stdio, String cwd) throws IOException {
        String path = resolve(binary);
        List<String> argv = argv(log, args);
        Reaper.Child c = reaper.spawn(path, argv, environment(), stdio, cwd);
        int status = await(c, argv);
        if (status != 0) {
            throw new IOException(failure(log, status, ""));
        }
    }

    /**
     * Runs a command and returns its standard output (stderr goes to the same pipe).
     *
     * @throws IOException with the runtime's message when it exits non-zero
     */
    String run(Path log, List<String> args) throws IOException {
        String path = resolve(binary);
        List<String> argv = argv(log, args);
        int[] pipe = Libc.pipe();
        Reaper.Child c;
        try {
            c = reaper.spawn(path, argv, environment(), new int[] {-1, pipe[1], pipe[1]}, null);
        } catch (IOException e) {
            Libc.closeQuietly(pipe[0]);
            Libc.closeQuietly(pipe[1]);
            throw e;
        }
        Libc.closeQuietly(pipe[1]);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            byte[] buf = new byte[8192];
            for (int n; (n = Libc.readSome(pipe[0], buf)) > 0; ) {
                out.write(buf, 0, n);
            }
        } finally {
            Libc.closeQuietly(pipe[0]);
        }
        int status = await(c, argv);
        String text = out.toString(StandardCharsets.UTF_8);
        if (status != 0) {
            throw new IOException(failure(log, status, text));
        }
        return text;
    }

    private static int await(Reaper.Child c, List<String> argv) throws IOException {
        try {
            return c.exit().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            try {
                Libc.kill(c.pid(), 9);
            } catch (RuntimeException ignored) {
                // gone meanwhile
            }
            throw new IOException(String.join(" ", argv) + ": no answer in " + TIMEOUT_SECONDS + " s (killed)");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for " + argv.get(0));
        } catch (ExecutionException e) {
            throw new IOException(e.getCause());
        }
    }

    private String failure(Path log, int status, String output) {
        String msg = lastError(log);
        if (msg == null) {
            msg = output.trim();
        }
        if (msg.isEmpty()) {
            msg = Path.of(binary).getFileName() + " exited with status " + status;
        }
        return msg;
    }

    /** @return the message of the last error line of a runc JSON log, null when there is none */
    static String lastError(Path log) {
        if (log == null || !Files.isRegularFile(log)) {
            return null;
        }
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            for (int i = lines.size() - 1; i >= 0; i--) {
                String line = lines.get(i).trim();
                if (line.isEmpty()) {
                    continue;
                }
                try {
                    JsonNode n = JSON.readTree(line);
                    if ("error".equals(n.path("level").asText()) || "fatal".equals(n.path("level").asText())) {
                        return n.path("msg").asText();
                    }
                } catch (IOException e) {
                    return line; // not JSON: runc wrote plain text
                }
            }
        } catch (IOException e) {
            return null;
        }
        return null;
    }
}
