package dev.rabbithole.stage2.libcontainer.process;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The runtime-spec hooks that run inside the container (config.md, "POSIX-platform Hooks"), run by the
 * container's init JVM as its children: {@code createContainer} in the container's namespaces once its mounts
 * are made and before pivot_root (the hook's path resolves in the host's filesystem, which the init still sees),
 * {@code startContainer} after the start gate opened and before the workload's execve (in the container's root,
 * as the workload's user with its capabilities: the calling thread's credentials are the child's).
 *
 * <p>The runtime leaves them in the state directory, next to the start gate: the file {@value #FILE} (this
 * class's own binary form, so the init needs no JSON library), and, when there are startContainer hooks, the
 * FIFO {@value #RESULT_FIFO}, through which the init tells {@code start} their outcome: one line, {@code ok} or
 * the error. The init opens both before pivot_root; the FIFO is close-on-exec.
 *
 * <p>Each hook gets the state (runtime.md, "State") on stdin, with {@code pid} the init's pid as it sees itself
 * (as runc 1.1 does), its {@code args} after the first (argv[0] is its path: the JDK cannot set it), its
 * {@code env} (the init's environment when null), and is killed (SIGKILL) after {@code timeout} seconds.
 *
 * @param createContainer the createContainer hooks, in order
 * @param startContainer  the startContainer hooks, in order
 * @param state           the state JSON with {@value #PID_SLOT} where the pid goes and {@value #STATUS_SLOT}
 *                        where the status goes
 */
public record InnerHooks(List<Hook> createContainer, List<Hook> startContainer, String state) {
    /** The file the runtime writes into the state directory. */
    public static final String FILE = "inner-hooks";
    /** The FIFO of the startContainer hooks' outcome in the state directory. */
    public static final String RESULT_FIFO = "hooks.fifo";
    /** The placeholder of the pid in {@link #state}. */
    public static final String PID_SLOT = "\"@PID@\"";
    /** The placeholder of the status (a JSON string) in {@link #state}. */
    public static final String STATUS_SLOT = "\"@STATUS@\"";

    /**
     * One hook (config.md, "POSIX-platform Hooks").
     *
     * @param path    absolute path of the program
     * @param args    its argv, {@code args[0]} included; empty for {@code [path]}
     * @param env     {@code KEY=VALUE}; null for the init's environment
     * @param timeout seconds, 0 for none
     */
    public record Hook(String path, List<String> args, List<String> env, int timeout) {
    }

    /** @return whether there is no hook at all */
    public boolean isEmpty() {
        return createContainer.isEmpty() && startContainer.isEmpty();
    }

    /**
     * Writes the hooks into a state directory (and their outcome FIFO when there are startContainer hooks).
     *
     * @param stateDir the container's state directory
     * @throws IOException the file or FIFO cannot be made
     */
    public void write(Path stateDir) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeUTF(state);
            for (List<Hook> list : List.of(createContainer, startContainer)) {
                out.writeInt(list.size());
                for (Hook h : list) {
                    out.writeUTF(h.path());
                    writeStrings(out, h.args());
                    writeStrings(out, h.env());
                    out.writeInt(h.timeout());
                }
            }
        }
        Files.write(stateDir.resolve(FILE), bytes.toByteArray());
        if (!startContainer.isEmpty()) {
            Process p = new ProcessBuilder("mkfifo", "-m", "0600", stateDir.resolve(RESULT_FIFO).toString())
                    .redirectErrorStream(true).start();
            try {
                if (p.waitFor() != 0) {
                    throw new IOException("mkfifo " + stateDir.resolve(RESULT_FIFO) + ": "
                            + new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("mkfifo: interrupted");
            }
        }
    }

    /**
     * @param stateDir the container's state directory
     * @return the hooks left there, or null when there is none
     * @throws IOException a malformed file
     */
    public static InnerHooks read(Path stateDir) throws IOException {
        byte[] data;
        try {
            data = Files.readAllBytes(stateDir.resolve(FILE));
        } catch (NoSuchFileException e) {
            return null;
        }
        try (DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(data))) {
            String state = in.readUTF();
            List<List<Hook>> lists = new ArrayList<>();
            for (int k = 0; k < 2; k++) {
                int n = in.readInt();
                List<Hook> list = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    list.add(new Hook(in.readUTF(), readStrings(in), readStrings(in), in.readInt()));
                }
                lists.add(List.copyOf(list));
            }
            return new InnerHooks(lists.get(0), lists.get(1), state);
        }
    }

    private static void writeStrings(DataOutputStream out, List<String> s) throws IOException {
        out.writeInt(s == null ? -1 : s.size());
        if (s != null) {
            for (String x : s) {
                out.writeUTF(x);
            }
        }
    }

    private static List<String> readStrings(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n < 0) {
            return null;
        }
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(in.readUTF());
        }
        return out;
    }

    /**
     * The state a hook reads.
     *
     * @param status the runtime-spec status ({@code creating}, {@code created})
     * @param pid    the pid to report
     * @return the state JSON
     */
    public String stateFor(String status, long pid) {
        return state.replace(PID_SLOT, Long.toString(pid)).replace(STATUS_SLOT, "\"" + status + "\"");
    }

    /**
     * Runs hooks in order, each to its end, as children of this process (the JDK's VFORK launch mechanism: its
     * default helper program is a host path that pivot_root hides; set {@code jdk.lang.Process.launchMechanism}
     * before the first process of this JVM).
     *
     * @param hooks the hooks
     * @param kind  their kind, for messages ({@code createContainer})
     * @param state the state JSON for their stdin
     * @throws IllegalStateException the first that fails: {@code error running KIND hook #N: exit status S,
     *                               output: ...}, or a timeout, or a program that cannot be started
     */
    public static void run(List<Hook> hooks, String kind, String state) {
        for (int i = 0; i < hooks.size(); i++) {
            Hook h = hooks.get(i);
            List<String> cmd = new ArrayList<>();
            cmd.add(h.path());
            if (h.args() != null && h.args().size() > 1) {
                cmd.addAll(h.args().subList(1, h.args().size()));
            }
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
            if (h.env() != null) {
                Map<String, String> env = pb.environment();
                env.clear();
                for (String e : h.env()) {
                    int eq = e.indexOf('=');
                    if (eq > 0) {
                        env.put(e.substring(0, eq), e.substring(eq + 1));
                    }
                }
            }
            String what = "error running " + kind + " hook #" + i + ": ";
            try {
                Process p = pb.start();
                ByteArrayOutputStream output = new ByteArrayOutputStream();
                Thread drain = new Thread(() -> copy(p.getInputStream(), output), "hook-output");
                drain.setDaemon(true);
                drain.start();
                try (OutputStream stdin = p.getOutputStream()) {
                    stdin.write(state.getBytes(StandardCharsets.UTF_8));
                } catch (IOException e) {
                    // a hook that does not read its stdin
                }
                boolean done = h.timeout() > 0 ? p.waitFor(h.timeout(), TimeUnit.SECONDS) : p.waitFor() >= 0;
                if (!done) {
                    p.destroyForcibly();
                    p.waitFor();
                    throw new IllegalStateException(what + "timeout after " + h.timeout() + " seconds");
                }
                drain.join(1000);
                if (p.exitValue() != 0) {
                    String out;
                    synchronized (output) {
                        out = output.toString(StandardCharsets.UTF_8).trim();
                    }
                    throw new IllegalStateException(what + "exit status " + p.exitValue() + ", output: " + out);
                }
            } catch (IOException e) {
                throw new IllegalStateException(what + e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(what + "interrupted");
            }
        }
    }

    private static void copy(InputStream in, ByteArrayOutputStream out) {
        byte[] buf = new byte[4096];
        try {
            for (int n; (n = in.read(buf)) > 0; ) {
                synchronized (out) {
                    if (out.size() < 65536) {
                        out.write(buf, 0, n);
                    }
                }
            }
        } catch (IOException e) {
            // the hook is gone
        }
    }
}
