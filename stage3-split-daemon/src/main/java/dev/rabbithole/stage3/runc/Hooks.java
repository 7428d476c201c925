package dev.rabbithole.stage3.runc;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.lang.ProcessBuilder.Redirect;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The runtime-spec's {@code hooks} (config.md, "POSIX-platform Hooks") the runtime runs in its own namespaces:
 * {@code prestart} and {@code createRuntime} from {@code create} once the container's namespaces exist and its
 * init waits at the start gate (Docker 20.10's {@code libnetwork-setkey} joins the container's network
 * namespace this way), {@code poststart} from {@code start}, {@code poststop} from {@code delete}. Each gets the
 * container's state (runtime.md, "State") on stdin, its {@code args} (with {@code args[0]} as its argv[0]:
 * Docker's re-exec'd helpers dispatch on it) and {@code env} (this process's when absent), and is killed after
 * {@code timeout} seconds. A failing prestart or createRuntime hook fails the create (nothing is left); a
 * failing poststart or poststop hook is logged as a warning, as the spec says. {@code createContainer} and
 * {@code startContainer} hooks, which run inside the container, are refused.
 *
 * @param prestart      run by create (deprecated by the spec, still what Docker 20.10 writes)
 * @param createRuntime run by create, after the prestart hooks
 * @param poststart     run by start, after the workload started
 * @param poststop      run by delete, after the container is gone
 */
@JsonIgnoreProperties(ignoreUnknown = true)
record Hooks(List<Hook> prestart, List<Hook> createRuntime, List<Hook> poststart, List<Hook> poststop) {
    private static final ObjectMapper JSON = new ObjectMapper();
    static final Hooks NONE = new Hooks(List.of(), List.of(), List.of(), List.of());

    /**
     * One hook.
     *
     * @param path    absolute path of the program
     * @param args    its argv, {@code args[0]} included; empty for {@code [path]}
     * @param env     {@code KEY=VALUE}; null for this process's environment
     * @param timeout seconds, 0 for none
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    record Hook(String path, List<String> args, List<String> env, int timeout) {
    }

    /**
     * @param hooks the spec's {@code hooks} object, or null
     * @return the hooks
     * @throws SpecException a malformed hook, or one run inside the container
     */
    static Hooks parse(JsonNode hooks) throws SpecException {
        if (hooks == null) {
            return NONE;
        }
        for (String inside : List.of("createContainer", "startContainer")) {
            if (!SpecConverter.array(hooks, inside, "hooks." + inside).isEmpty()) {
                throw new SpecException("hooks." + inside + ": hooks run inside the container are not supported");
            }
        }
        return new Hooks(list(hooks, "prestart"), list(hooks, "createRuntime"), list(hooks, "poststart"),
                list(hooks, "poststop"));
    }

    private static List<Hook> list(JsonNode hooks, String name) throws SpecException {
        List<Hook> out = new ArrayList<>();
        int i = 0;
        for (JsonNode h : SpecConverter.array(hooks, name, "hooks." + name)) {
            String f = "hooks." + name + "[" + i++ + "]";
            String path = SpecConverter.text(h, "path", f + ".path");
            if (path == null || !path.startsWith("/")) {
                throw new SpecException(f + ".path: " + path + " is not an absolute path");
            }
            List<String> env = h.has("env") && !h.get("env").isNull() ? SpecConverter.strings(h, "env", f + ".env") : null;
            int timeout = h.has("timeout") && !h.get("timeout").isNull()
                    ? (int) SpecConverter.number(h, "timeout", f + ".timeout", 1, Integer.MAX_VALUE) : 0;
            out.add(new Hook(path, SpecConverter.strings(h, "args", f + ".args"), env, timeout));
        }
        return out;
    }

    // tag::hook-state[]
    /**
     * The state a hook reads on stdin.
     *
     * @return {@code {"ociVersion", "id", "status", "pid", "bundle", "annotations"}} as JSON text
     */
    static String state(RuncState r, String id, String status, long pid) {
        ObjectNode n = JSON.createObjectNode();
        n.put("ociVersion", r.ociVersion());
        n.put("id", id);
        n.put("status", status);
        n.put("pid", pid);
        n.put("bundle", r.bundle());
        ObjectNode a = n.putObject("annotations");
        if (r.annotations() != null) {
            r.annotations().forEach(a::put);
        }
        return n.toString();
    }
    // end::hook-state[]

    /**
     * Runs hooks in order, each to its end.
     *
     * @param hooks the hooks
     * @param name  their kind, for messages ({@code prestart})
     * @param state the state JSON for their stdin
     * @throws RuncException the first that fails: its number, exit status or timeout, and its output
     */
    static void run(List<Hook> hooks, String name, String state) throws RuncException {
        for (int i = 0; i < hooks.size(); i++) {
            Hook h = hooks.get(i);
            List<String> cmd = new ArrayList<>();
            if (!h.args().isEmpty() && !h.args().get(0).equals(h.path()) && Files.isExecutable(Path.of("/bin/bash"))) {
                // ProcessBuilder cannot set argv[0]; bash's exec -a can
                cmd.addAll(List.of("/bin/bash", "-c", "exec -a \"$0\" \"$@\"", h.args().get(0), h.path()));
                cmd.addAll(h.args().subList(1, h.args().size()));
            } else {
                cmd.add(h.path());
                if (!h.args().isEmpty()) {
                    cmd.addAll(h.args().subList(1, h.args().size()));
                }
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
            Path out = null;
            try {
                out = Files.createTempFile("runc-hook", ".out");
                Process p = pb.redirectOutput(Redirect.to(out.toFile())).start();
                try (var stdin = p.getOutputStream()) {
                    stdin.write(state.getBytes(StandardCharsets.UTF_8));
                } catch (IOException e) {
                    // a hook that does not read its stdin
                }
                boolean done = h.timeout() > 0 ? p.waitFor(h.timeout(), TimeUnit.SECONDS) : p.waitFor() >= 0;
                if (!done) {
                    p.destroyForcibly();
                    throw new RuncException("error running " + name + " hook #" + i + ": timeout after "
                            + h.timeout() + " seconds");
                }
                if (p.exitValue() != 0) {
                    throw new RuncException("error running " + name + " hook #" + i + ": exit status "
                            + p.exitValue() + ", output: " + Files.readString(out).trim());
                }
            } catch (IOException e) {
                throw new RuncException("error running " + name + " hook #" + i + ": " + e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new RuncException("error running " + name + " hook #" + i + ": interrupted");
            } finally {
                if (out != null) {
                    try {
                        Files.deleteIfExists(out);
                    } catch (IOException e) {
                        // a temporary file
                    }
                }
            }
        }
    }
}
