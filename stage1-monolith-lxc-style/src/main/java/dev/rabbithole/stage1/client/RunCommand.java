package dev.rabbithole.stage1.client;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * {@code run}: what {@code docker run} does, request by request (Engine API v1.41):
 * {@code POST /containers/create} (on 404 "No such image", {@code POST /images/create?fromImage=} once and
 * create again), {@code POST /containers/{id}/attach} upgraded to a raw stream,
 * {@code POST /containers/{id}/wait?condition=next-exit} (or {@code removed} with {@code --rm}),
 * {@code POST /containers/{id}/start}; the container's stdout and stderr are copied to ours and the client
 * exits with the container's exit status. Signals the client gets (Ctrl-C) are forwarded to the container
 * while it runs. With {@code -d}: create, start, print the ID.
 * <p>
 * Exit codes follow {@code docker run}: 125 when the daemon refuses before the container runs (bad flags,
 * no such image, create or start errors), 127 when the command cannot be found, 126 when it cannot be
 * invoked, otherwise the container's own status.
 */
@Command(name = "run", sortOptions = false,
        description = "Create and start a container from IMAGE and run COMMAND in it (docker run).",
        footer = "%nExample: rabbithole stage1 run --rm -m 64m busybox sh -c 'echo hello'")
public final class RunCommand extends ClientCommand {
    /** Exit code for errors before the container runs (docker run's convention). */
    public static final int EXIT_DAEMON_ERROR = 125;
    /** Exit code when the command cannot be invoked (permission denied, a directory). */
    public static final int EXIT_CANNOT_INVOKE = 126;
    /** Exit code when the command is not found. */
    public static final int EXIT_NOT_FOUND = 127;

    @Option(names = "--help", usageHelp = true, description = "Show this help.")
    boolean help;
    @Option(names = "--rm", description = "Remove the container when it exits (HostConfig.AutoRemove).")
    boolean rm;
    @Option(names = {"-d", "--detach"}, description = "Run in the background and print the container ID.")
    boolean detach;
    @Option(names = "--name", paramLabel = "NAME", description = "Name the container.")
    String name;
    @Option(names = {"-e", "--env"}, paramLabel = "KEY[=VALUE]",
            description = "Set an environment variable; KEY alone takes the value from this shell (left out if unset there). Repeatable.")
    List<String> env = new ArrayList<>();
    @Option(names = {"-w", "--workdir"}, paramLabel = "DIR", description = "Working directory inside the container.")
    String workdir;
    @Option(names = {"-u", "--user"}, paramLabel = "USER[:GROUP]", description = "User (name or uid) to run as.")
    String user;
    @Option(names = {"-h", "--hostname"}, paramLabel = "NAME", description = "Container hostname.")
    String hostname;
    @Option(names = {"-m", "--memory"}, paramLabel = "BYTES", description = "Memory limit: 512m, 1g or bytes (at least 6m).")
    String memory;
    @Option(names = "--cpus", paramLabel = "N", description = "Number of CPUs, decimal (1.5).")
    String cpus;
    @Option(names = {"-c", "--cpu-shares"}, paramLabel = "N", description = "CPU shares (relative weight, default 1024).")
    Long cpuShares;
    @Option(names = "--pids-limit", paramLabel = "N", description = "Maximum number of processes (-1: unlimited).")
    Long pidsLimit;
    @Option(names = "--cap-add", paramLabel = "CAP", description = "Add a Linux capability (CAP_NET_ADMIN or NET_ADMIN, ALL). Repeatable.")
    List<String> capAdd = new ArrayList<>();
    @Option(names = "--cap-drop", paramLabel = "CAP", description = "Drop a Linux capability (or ALL). Repeatable.")
    List<String> capDrop = new ArrayList<>();
    @Option(names = "--privileged", description = "All capabilities, no seccomp filter, every device.")
    boolean privileged;
    @Option(names = "--explain",
            description = "Print the kernel calls that started the container to stderr, after it ran (with -d: "
                    + "right after the start). A rabbithole extension: GET /containers/{id}/explain.")
    boolean explain;
    @Option(names = "--security-opt", paramLabel = "OPT",
            description = "seccomp=unconfined, seccomp=PROFILE.json (Docker's profile format), no-new-privileges. Repeatable.")
    List<String> securityOpt = new ArrayList<>();

    /** docker's other run flags, passed to the daemon, which applies or refuses them. */
    @picocli.CommandLine.Mixin
    DockerRunFlags dockerFlags = new DockerRunFlags();

    @Parameters(index = "0", paramLabel = "IMAGE", description = "Image to run (busybox).")
    String image;
    @Parameters(index = "1..*", paramLabel = "COMMAND", description = "Command and arguments (default: the image's Cmd).")
    List<String> command = new ArrayList<>();

    @Override
    protected int errorExitCode() {
        return EXIT_DAEMON_ERROR;
    }

    /**
     * The body of {@code POST /containers/create} for these flags, with the field names of the Engine API's
     * ContainerConfig and HostConfig: {@code Image}, {@code Cmd}, {@code Env} ("K=V"), {@code Hostname},
     * {@code User}, {@code WorkingDir}, {@code Tty}, {@code Attach*}; {@code HostConfig.AutoRemove},
     * {@code Memory} (bytes), {@code NanoCpus} (10^-9 CPUs), {@code CpuShares}, {@code PidsLimit},
     * {@code CapAdd}/{@code CapDrop} (as typed), {@code GroupAdd}, {@code Privileged}, {@code SecurityOpt} (seccomp profiles
     * inlined as compact JSON text, as the docker CLI does).
     *
     * @param clientEnv the client's environment, for {@code -e KEY} without a value (left out when unset there)
     * @return the JSON body
     * @throws IllegalArgumentException with a docker-like message for an invalid size, CPU count, or
     *         security option, or an unreadable seccomp profile
     */
    public ObjectNode createBody(Map<String, String> clientEnv) {
        ObjectNode body = EngineClient.JSON.createObjectNode();
        if (hostname != null) body.put("Hostname", hostname);
        if (user != null) body.put("User", user);
        body.put("AttachStdin", false);
        body.put("AttachStdout", !detach);
        body.put("AttachStderr", !detach);
        body.put("Tty", false);
        body.put("OpenStdin", false);
        body.put("StdinOnce", false);
        ArrayNode envs = body.putArray("Env");
        for (String e : env) {
            if (e.indexOf('=') >= 0) {
                envs.add(e);
            } else if (clientEnv.containsKey(e)) {
                envs.add(e + "=" + clientEnv.get(e));
            }
            // "KEY" unset in this shell is left out: the container does not get KEY (docker run's documented result)
        }
        if (command.isEmpty()) {
            body.putNull("Cmd");
        } else {
            ArrayNode cmd = body.putArray("Cmd");
            command.forEach(cmd::add);
        }
        body.put("Image", image);
        if (workdir != null) body.put("WorkingDir", workdir);

        ObjectNode host = body.putObject("HostConfig");
        // --explain asks for the container after it ran: the client removes it then (docker's --rm before API 1.25)
        host.put("AutoRemove", rm && !(explain && !detach));
        if (memory != null) {
            try {
                host.put("Memory", Units.parseMemoryBytes(memory));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("invalid argument \"" + memory + "\" for \"-m, --memory\" flag: " + e.getMessage());
            }
        }
        if (cpus != null) {
            try {
                host.put("NanoCpus", Units.parseNanoCpus(cpus));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("invalid argument \"" + cpus + "\" for \"--cpus\" flag: " + e.getMessage());
            }
        }
        if (cpuShares != null) host.put("CpuShares", cpuShares);
        if (pidsLimit != null) host.put("PidsLimit", pidsLimit);
        if (!capAdd.isEmpty()) capAdd.forEach(host.putArray("CapAdd")::add);
        if (!capDrop.isEmpty()) capDrop.forEach(host.putArray("CapDrop")::add);
        host.put("Privileged", privileged);
        if (!securityOpt.isEmpty()) {
            ArrayNode opts = host.putArray("SecurityOpt");
            for (String opt : securityOpt) {
                opts.add(securityOpt(opt));
            }
        }
        dockerFlags.apply(body);
        if (detach && dockerFlags.interactive) {     // -d -i: stdin kept open for a later attach, as docker run
            body.put("AttachStdin", false);
            body.put("StdinOnce", false);
        }
        return body;
    }

    /** docker CLI's handling of one --security-opt: a seccomp profile file is read and inlined. */
    private static String securityOpt(String opt) {
        if (opt.equals("no-new-privileges")) {
            return opt;
        }
        int sep = opt.indexOf('=');
        if (sep < 0) {
            sep = opt.indexOf(':');
        }
        if (sep < 0) {
            throw new IllegalArgumentException("Invalid --security-opt: \"" + opt + "\"");
        }
        String key = opt.substring(0, sep);
        String value = opt.substring(sep + 1);
        if (!key.equals("seccomp") || value.equals("unconfined") || value.equals("builtin")) {
            return key + "=" + value;
        }
        String text;
        Path file = Path.of(value);
        try {
            if (Files.isDirectory(file)) {
                throw new IllegalArgumentException("opening seccomp profile (" + value + ") failed: read " + value
                        + ": is a directory");
            }
            text = Files.readString(file);
        } catch (IOException e) {
            throw new IllegalArgumentException("opening seccomp profile (" + value + ") failed: "
                    + FileErrors.describe("open", value, e));
        }
        try {
            JsonNode profile = EngineClient.JSON.readTree(text);
            return "seccomp=" + EngineClient.JSON.writeValueAsString(profile);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("compacting json for seccomp profile (" + value + ") failed: " + e.getOriginalMessage());
        }
    }

    @Override
    protected int execute(EngineClient client) {
        ObjectNode body;
        try {
            body = createBody(context.env());
        } catch (IllegalArgumentException e) {
            context.err().println(context.commandName() + ": " + e.getMessage());
            context.err().println("See '" + context.commandName() + " run --help'.");
            return EXIT_DAEMON_ERROR;
        }
        String id = create(client, body);
        if (detach) {
            Integer failed = startOrExitCode(client, id);
            if (failed == null && explain) {
                printExplain(client, id);
            }
            context.out().println(id);
            return 0;
        }
        boolean removeAfter = rm && explain;     // AutoRemove is off: this client removes the container

        // -i / -t: stdin to the container, raw terminal (InteractiveCommands); else output only
        InteractiveCommands.Attached stdio = dockerFlags.interactive || dockerFlags.tty ? InteractiveCommands
                .attachForRun(client, id, dockerFlags.interactive, dockerFlags.tty, context) : null;
        StreamSession attach = stdio != null ? stdio.session() : client.attach(id, context.out(), context.err());
        EngineClient.await(attach.established());

        CompletableFuture<Void> waitRegistered = new CompletableFuture<>();
        CompletableFuture<EngineResponse> waited = client.send("POST",
                "/containers/" + id + "/wait?condition=" + (rm && !removeAfter ? "removed" : "next-exit"), null,
                waitRegistered);
        try {
            // the daemon sends the 200 header of a wait at once (as Docker's does): then the wait is in place
            waitRegistered.get(2, TimeUnit.SECONDS);
        } catch (TimeoutException | java.util.concurrent.ExecutionException e) {
            // a daemon that sends the header only with the result: go on, the start comes after the wait anyway
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return EXIT_DAEMON_ERROR;
        }

        Integer startFailure = startOrExitCode(client, id);
        if (startFailure != null && stdio != null) {
            stdio.close();
        }
        if (startFailure != null) {
            if (removeAfter) {
                removeQuietly(client, id);
            }
            return startFailure;
        }
        JsonNode result;
        SignalProxy signals = new SignalProxy(client, id);
        try {
            if (stdio != null) {
                stdio.resize(client, "/containers/" + id + "/resize");
            }
            EngineClient.await(attach.finished());
            result = EngineClient.checked(EngineClient.await(waited)).json();
        } finally {
            signals.close();
            if (stdio != null) {
                stdio.close();
            }
        }
        String error = result.path("Error").path("Message").asText("");
        if (!error.isEmpty()) {
            context.err().println("Error: " + error);
        }
        if (explain) {
            printExplain(client, id);
        }
        if (removeAfter) {
            removeQuietly(client, id);
        }
        return result.path("StatusCode").asInt(EXIT_DAEMON_ERROR);
    }

    /**
     * {@code run --explain}: {@code GET /containers/{id}/explain} printed to stderr under a heading, one kernel
     * call per line, as the exec driver recorded them.
     */
    private void printExplain(EngineClient client, String id) {
        JsonNode explained;
        try {
            explained = client.get("/containers/" + id + "/explain");
        } catch (EngineApiException e) {
            context.err().println("--explain: " + e.getMessage());
            return;
        }
        String driver = explained.path("ExecutionDriver").asText("the exec driver");
        context.err().println();
        context.err().println("Kernel calls that started " + id.substring(0, Math.min(12, id.length()))
                + " (" + driver + "), in order:");
        explained.path("KernelCalls").forEach(line -> context.err().println("  " + line.asText()));
    }

    private void removeQuietly(EngineClient client, String id) {
        try {
            client.call("DELETE", "/containers/" + id + "?force=1", null);
        } catch (EngineApiException e) {
            context.err().println("Error response from daemon: " + e.getMessage());
        }
    }

    /** @return null when the container started, else the exit code (after printing the daemon's message) */
    private Integer startOrExitCode(EngineClient client, String id) {
        try {
            client.call("POST", "/containers/" + id + "/start", null);
            return null;
        } catch (EngineApiException e) {
            context.err().println("Error response from daemon: " + e.getMessage());
            return startErrorExitCode(e.getMessage());
        }
    }

    /**
     * The exit code {@code docker run} gives for a start error: 127 when the executable is not found,
     * 126 when it cannot be invoked, 125 otherwise.
     *
     * @param message the daemon's error message
     * @return 125, 126 or 127
     */
    public static int startErrorExitCode(String message) {
        if (message.contains("executable file not found") || message.contains("no such file or directory")
                || message.contains("system error: exec")) {
            return EXIT_NOT_FOUND;
        }
        if (message.contains("permission denied") || message.contains("is a directory")) {
            return EXIT_CANNOT_INVOKE;
        }
        return EXIT_DAEMON_ERROR;
    }

    private String create(EngineClient client, ObjectNode body) {
        String path = "/containers/create" + (name == null ? "" : "?name=" + URLEncoder.encode(name, StandardCharsets.UTF_8));
        if (dockerFlags.platform() != null) {
            path += (name == null ? "?" : "&") + "platform=" + URLEncoder.encode(dockerFlags.platform(), StandardCharsets.UTF_8);
        }
        EngineResponse response = EngineClient.await(client.send("POST", path, body));
        if (response.status() == 404 && response.errorMessage().startsWith("No such image")) {
            boolean tagged = image.lastIndexOf(':') > image.lastIndexOf('/');
            context.err().println("Unable to find image '" + (tagged ? image : image + ":latest") + "' locally");
            pull(client, image);
            response = EngineClient.await(client.send("POST", path, body));
        }
        JsonNode created = EngineClient.checked(response).json();
        created.path("Warnings").forEach(w -> context.err().println("WARNING: " + w.asText()));
        return created.path("Id").asText();
    }

    /** {@code POST /images/create?fromImage=REPO&tag=TAG}: prints the progress messages, fails on an {@code error}. */
    private void pull(EngineClient client, String ref) {
        String repo = ref;
        String tag = "latest";
        int colon = ref.lastIndexOf(':');
        if (colon > ref.lastIndexOf('/')) {
            repo = ref.substring(0, colon);
            tag = ref.substring(colon + 1);
        }
        EngineResponse response = client.call("POST", "/images/create?fromImage="
                + URLEncoder.encode(repo, StandardCharsets.UTF_8) + "&tag=" + URLEncoder.encode(tag, StandardCharsets.UTF_8), null);
        for (JsonNode message : JsonStream.parse(response.body())) {
            if (message.hasNonNull("error")) {
                throw new EngineApiException(500, message.get("error").asText());
            }
            if (message.hasNonNull("status")) {
                context.err().println(message.get("status").asText());
            }
        }
    }
}
