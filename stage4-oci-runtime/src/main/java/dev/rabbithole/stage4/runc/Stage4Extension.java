package dev.rabbithole.stage4.runc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rabbithole.stage2.libcontainer.process.InnerHooks;
import dev.rabbithole.stage2.libcontainer.process.SessionKeyring;
import dev.rabbithole.stage3.runc.RuncException;
import dev.rabbithole.stage3.runc.RuncMain;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * What stage 4's runtime adds to stage 3's runc commands ({@link RuncMain.Extension}): runc 1.1's exit status and
 * words where stage 3's differ ({@link #exitStatus}, {@link #message}), and the hooks that run inside the
 * container; a session keyring of the container's own unless {@code --no-new-keyring}.
 *
 * <p>Stage 4's hooks that run inside the container (runtime-spec 1.2, config.md "POSIX-platform Hooks"), which
 * stage 3's runc refuses: {@code createContainer} (in the container's namespaces, after its mounts, before
 * pivot_root; its path resolves in the runtime's filesystem) and {@code startContainer} (in the container,
 * after {@code start} and before the user process; its path resolves in the container). {@code create} takes
 * them out of the config it hands to stage 3's converter and leaves them for the container's init JVM
 * ({@link InnerHooks}), which runs them as its children. A failing createContainer hook fails {@code create}
 * (nothing is left); a failing startContainer hook stops the container before the user process runs, and
 * {@code start} fails with the hook's error, as the spec says ("generate an error, stop the container").
 * {@code prestart}, {@code createRuntime}, {@code poststart} and {@code poststop} stay stage 3's
 * ({@code dev.rabbithole.stage3.runc.Hooks}).
 */
final class Stage4Extension implements RuncMain.Extension {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The kinds this class takes over, in the spec's order. */
    static final List<String> KINDS = List.of("createContainer", "startContainer");

    private List<InnerHooks.Hook> createContainer = List.of();
    private List<InnerHooks.Hook> startContainer = List.of();
    private JsonNode spec;
    private RandomAccessFile result;
    private final boolean newKeyring;

    /**
     * @param newKeyring whether the container joins a session keyring of its own, {@code _ses.ID} (runc's
     *                   default; false for {@code --no-new-keyring})
     */
    Stage4Extension(boolean newKeyring) {
        this(newKeyring, false);
    }

    /**
     * @param newKeyring whether the container joins a session keyring of its own
     * @param noPivot    {@code --no-pivot} was given: refused by {@code create} and {@code run}
     */
    Stage4Extension(boolean newKeyring, boolean noPivot) {
        this.newKeyring = newKeyring;
        this.noPivot = noPivot;
    }

    private final boolean noPivot;

    /**
     * Takes the createContainer and startContainer hooks out of the config.
     *
     * @param spec config.json
     * @return a copy without them (or {@code spec} when it has none)
     * @throws RuncException a malformed hook: its field named ({@code hooks.startContainer[0].path: ...}); and
     *                       {@code --no-pivot}, which runc implements with MS_MOVE and chroot(2) and this runtime
     *                       does not: refused before anything is made, rather than pivoting all the same
     */
    @Override
    public JsonNode spec(JsonNode spec) throws RuncException {
        if (noPivot) {
            throw new RuncException("--no-pivot: not supported: this runtime always enters the rootfs with "
                    + "pivot_root(2) (runc's MS_MOVE and chroot(2) are not implemented)");
        }
        this.spec = spec;
        JsonNode hooks = spec.get("hooks");
        if (hooks == null || !hooks.isObject() || KINDS.stream().noneMatch(hooks::has)) {
            return spec;
        }
        createContainer = parse(hooks.get("createContainer"), "createContainer");
        startContainer = parse(hooks.get("startContainer"), "startContainer");
        ObjectNode copy = spec.deepCopy();
        ObjectNode h = (ObjectNode) copy.get("hooks");
        KINDS.forEach(h::remove);
        return copy;
    }

    /**
     * Parses one kind's hooks.
     *
     * @param list the JSON array, or null
     * @param kind its name in {@code hooks}
     * @return the hooks
     * @throws RuncException a field that is not what the spec says
     */
    static List<InnerHooks.Hook> parse(JsonNode list, String kind) throws RuncException {
        if (list == null || list.isNull()) {
            return List.of();
        }
        if (!list.isArray()) {
            throw new RuncException("hooks." + kind + ": not an array");
        }
        List<InnerHooks.Hook> out = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            String f = "hooks." + kind + "[" + i + "]";
            JsonNode h = list.get(i);
            JsonNode path = h.get("path");
            if (path == null || !path.isTextual() || !path.asText().startsWith("/")) {
                throw new RuncException(f + ".path: " + (path == null ? "missing" : path.asText() + " is not an absolute path"));
            }
            JsonNode timeout = h.get("timeout");
            if (timeout != null && !timeout.isNull() && (!timeout.canConvertToInt() || !timeout.isIntegralNumber()
                    || timeout.asInt() <= 0)) {
                throw new RuncException(f + ".timeout: " + timeout + " is not a number of seconds greater than zero");
            }
            out.add(new InnerHooks.Hook(path.asText(), strings(h.get("args"), f + ".args"),
                    h.has("env") && !h.get("env").isNull() ? strings(h.get("env"), f + ".env") : null,
                    timeout == null || timeout.isNull() ? 0 : timeout.asInt()));
        }
        return List.copyOf(out);
    }

    private static List<String> strings(JsonNode array, String field) throws RuncException {
        if (array == null || array.isNull()) {
            return List.of();
        }
        if (!array.isArray()) {
            throw new RuncException(field + ": not an array of strings");
        }
        List<String> out = new ArrayList<>();
        for (JsonNode s : array) {
            if (!s.isTextual()) {
                throw new RuncException(field + ": not an array of strings");
            }
            out.add(s.asText());
        }
        return out;
    }

    /**
     * The state a hook reads, with the init's pid and the status filled in by the init.
     *
     * @param spec   config.json
     * @param id     the container ID
     * @param bundle the bundle directory
     * @return runtime.md's state: ociVersion, id, status, pid, bundle, annotations
     */
    static String stateTemplate(JsonNode spec, String id, Path bundle) {
        ObjectNode n = JSON.createObjectNode();
        n.put("ociVersion", spec.path("ociVersion").asText(""));
        n.put("id", id);
        n.put("status", "@STATUS@");
        n.put("pid", "@PID@");
        n.put("bundle", bundle.toString());
        JsonNode annotations = spec.get("annotations");
        if (annotations != null && annotations.isObject() && annotations.size() > 0) {
            n.set("annotations", annotations);
        }
        return n.toString();
    }

    /**
     * Leaves the hooks for the init, in the state directory, and, without {@code --no-new-keyring}, the name of
     * the session keyring it joins ({@link SessionKeyring}).
     */
    @Override
    public void beforeInit(String id, Path bundle, Path stateDir) throws IOException {
        if (newKeyring) {
            SessionKeyring.request(stateDir, "_ses." + id);
        }
        InnerHooks inner = new InnerHooks(createContainer, startContainer, stateTemplate(spec, id, bundle));
        if (!inner.isEmpty()) {
            inner.write(stateDir);
        }
    }

    /**
     * Opens the outcome FIFO of the startContainer hooks before the gate opens, so that the init's line cannot be
     * written before a reader holds it (a FIFO without any open end drops what is in it).
     */
    @Override
    public void beforeStart(Path stateDir) throws RuncException {
        Path fifo = stateDir.resolve(InnerHooks.RESULT_FIFO);
        if (Files.exists(fifo)) {
            try {
                result = new RandomAccessFile(fifo.toFile(), "rw"); // O_RDWR: does not wait for the init
            } catch (IOException e) {
                throw new RuncException("open " + fifo + ": " + e.getMessage());
            }
        }
    }

    /**
     * Waits for the startContainer hooks' outcome (the init's line), while the init lives.
     *
     * @throws RuncException a hook failed (the init exited: the container is stopped), or the init ended before
     *                       it could say
     */
    @Override
    public void started(Path stateDir, long pid) throws RuncException {
        if (result == null) {
            return;
        }
        RandomAccessFile in = result;
        CompletableFuture<String> line = CompletableFuture.supplyAsync(() -> {
            try {
                StringBuilder b = new StringBuilder();
                for (int c; (c = in.read()) >= 0 && c != '\n'; ) {
                    b.append((char) c);
                }
                return new String(b.toString().getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8);
            } catch (IOException e) {
                return "reading the startContainer hooks' outcome: " + e.getMessage();
            }
        });
        String outcome = null;
        while (outcome == null) {
            try {
                outcome = line.get(50, TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                if (!alive(pid)) { // its last line may still be on its way to the reader
                    try {
                        outcome = line.get(500, TimeUnit.MILLISECONDS);
                    } catch (TimeoutException | ExecutionException | InterruptedException gone) {
                        outcome = "the container's init exited before its startContainer hooks ended";
                    }
                }
            } catch (ExecutionException e) {
                outcome = e.getCause().toString();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new RuncException("start: interrupted");
            }
        }
        if (!"ok".equals(outcome)) {
            throw new RuncException(outcome);
        }
    }

    /**
     * runc 1.1's words: every error of {@code create} and {@code run} begins {@code runc create failed: } (or
     * {@code runc run failed: }); exec in a paused container names the option runc has.
     */
    @Override
    public String message(String command, String message) {
        if ("exec".equals(command) && message.equals("exec failed: cannot exec in a paused container")) {
            return message + " (use --ignore-paused to override)";
        }
        if (("create".equals(command) || "run".equals(command)) && !message.startsWith("runc " + command + " failed: ")) {
            return "runc " + command + " failed: " + message;
        }
        return message;
    }

    /**
     * runc 1.1's exit status of an exec that failed before the process ran: 255 (its {@code fatal} after
     * {@code exec failed: ...}); 1 for the other commands.
     */
    @Override
    public int exitStatus(String command, String message) {
        return "exec".equals(command) && message.startsWith("exec failed: ") ? 255 : 1;
    }

    /** @return whether the process exists and is not a zombie (proc(5), /proc/PID/stat field 3) */
    static boolean alive(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            char state = stat.charAt(stat.lastIndexOf(')') + 2);
            return state != 'Z' && state != 'X';
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }
}
