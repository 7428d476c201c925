package dev.rabbithole.stage3.containerd;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.Any;
import dev.rabbithole.stage3.api.shim.ConnectRequest;
import dev.rabbithole.stage3.api.shim.ConnectResponse;
import dev.rabbithole.stage3.api.shim.ShutdownRequest;
import dev.rabbithole.stage3.api.shim.TaskGrpc;
import dev.rabbithole.stage3.ttrpc.TtrpcClient;
import io.grpc.Status;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * One shim serving one task, as containerd 1.6's runtime v2 keeps it (runtime/v2/binary.go, shim.go): the shim
 * binary is started in the bundle directory as {@code BINARY -namespace NS -address GRPC_SOCKET -publish-binary BIN
 * -id ID start}, with {@code TTRPC_ADDRESS} naming containerd's ttrpc event socket and the task's runtime options
 * (a protobuf {@code Any}) on its stdin; it starts the long-lived shim, prints that shim's ttrpc address
 * ({@code unix://...}) and exits. containerd then speaks {@code containerd.task.v2.Task} over ttrpc to that address,
 * with the namespace in the {@code containerd-namespace-ttrpc} metadata key.
 *
 * <p>The shim writes its log to the FIFO {@code log} in the bundle, which containerd creates and reads (here: copied
 * to containerd's stderr, each line prefixed with the task). Which shim serves the task is recorded in the bundle
 * as {@code rabbithole-shim.json} (runtime name, binary, address, the shim's pid), written atomically, so that a restarted
 * containerd connects to it again ({@link #load}).
 */
final class Shim implements AutoCloseable {

    static final String RECORD = "rabbithole-shim.json";
    static final Duration CALL = Duration.ofSeconds(30);
    private static final ObjectMapper JSON = new ObjectMapper();

    final String namespace;
    final String id;
    final Path bundle;
    final String runtime;
    final Path binary;
    final String address;
    final TtrpcClient client;
    private final RandomAccessFile log;
    private final Thread logReader;

    private Shim(String namespace, String id, Path bundle, String runtime, Path binary, String address,
                 TtrpcClient client, RandomAccessFile log, Thread logReader) {
        this.namespace = namespace;
        this.id = id;
        this.bundle = bundle;
        this.runtime = runtime;
        this.binary = binary;
        this.address = address;
        this.client = client;
        this.log = log;
        this.logReader = logReader;
    }

    /**
     * The shim binary of a runtime name, as containerd 1.6 maps it (runtime/v2/shim/util.go BinaryName):
     * {@code io.containerd.runc.v2} is {@code containerd-shim-runc-v2}, found on PATH (and the sbin directories).
     *
     * @throws io.grpc.StatusRuntimeException INVALID_ARGUMENT for a name not of the form {@code a.b.NAME.VERSION},
     *         NOT_FOUND when the binary is not installed
     */
    static Path binaryOf(String runtime) {
        String[] parts = runtime.split("\\.");
        if (parts.length < 2 || parts[parts.length - 1].isEmpty() || parts[parts.length - 2].isEmpty()) {
            throw Status.INVALID_ARGUMENT.withDescription("invalid runtime name " + runtime
                    + ", correct runtime name should be either format like `io.containerd.runc.v1` or a full path to the binary: invalid argument")
                    .asRuntimeException();
        }
        String name = "containerd-shim-" + parts[parts.length - 2] + "-" + parts[parts.length - 1];
        Path found = which(name);
        if (found == null) {
            throw Status.NOT_FOUND.withDescription("runtime \"" + runtime + "\" binary not installed \"" + name
                    + "\": file does not exist: not found").asRuntimeException();
        }
        return found;
    }

    static Path which(String name) {
        if (name.contains("/")) {
            return Files.isExecutable(Path.of(name)) ? Path.of(name) : null;
        }
        for (String dir : (System.getenv().getOrDefault("PATH", "/usr/bin:/bin") + ":/usr/local/sbin:/usr/sbin:/sbin").split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, name))) {
                return Path.of(dir, name);
            }
        }
        return null;
    }

    /**
     * Starts a task's shim in its bundle and connects to it.
     *
     * @param options the runtime options for the shim's stdin, null for none
     * @throws IOException if the binary cannot run, or {@code start} fails (its stderr is in the message), or the
     *         printed address does not accept a connection
     */
    static Shim start(Path binary, String runtime, String ns, String id, Path bundle, Path grpcSocket, Path ttrpcSocket,
                      String publishBinary, Any options) throws IOException, InterruptedException {
        return start(binary, runtime, ns, id, bundle, grpcSocket, ttrpcSocket, publishBinary, options, Map.of());
    }

    /**
     * Starts a task's shim in its bundle and connects to it, with extra environment for the shim binary (our
     * shim's grouping, {@code RABBITHOLE_SHIM_GROUPING}).
     *
     * @param env added to the shim binary's environment
     * @throws IOException as {@link #start(Path, String, String, String, Path, Path, Path, String, Any)}
     */
    static Shim start(Path binary, String runtime, String ns, String id, Path bundle, Path grpcSocket, Path ttrpcSocket,
                      String publishBinary, Any options, Map<String, String> env) throws IOException, InterruptedException {
        // tag::start[]
        Path fifo = bundle.resolve("log");
        mkfifo(fifo);
        RandomAccessFile log = new RandomAccessFile(fifo.toFile(), "rw"); // O_RDWR: does not wait for the writer
        Thread reader = copyLog(log, ns, id);
        try {
            ProcessBuilder pb = new ProcessBuilder(binary.toString(), "-namespace", ns, "-address", grpcSocket.toString(),
                    "-publish-binary", publishBinary, "-id", id, "start").directory(bundle.toFile());
            pb.environment().put("TTRPC_ADDRESS", ttrpcSocket.toString());
            pb.environment().put("GOMAXPROCS", "2");
            pb.environment().put("PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin") + ":/usr/local/sbin:/usr/sbin:/sbin");
            pb.environment().putAll(env);
            Process p = pb.start();
            try (var in = p.getOutputStream()) {
                if (options != null) {
                    in.write(options.toByteArray());
                }
            }
            CompletableFuture<byte[]> err = CompletableFuture.supplyAsync(() -> {
                try {
                    return p.getErrorStream().readAllBytes();
                } catch (IOException e) {
                    return new byte[0];
                }
            });
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(binary.getFileName() + " start: no answer in 60 s");
            }
            String stderr = new String(err.join(), StandardCharsets.UTF_8).trim();
            if (p.exitValue() != 0 || out.isEmpty()) {
                throw new IOException(binary.getFileName() + " start failed (exit status " + p.exitValue() + "): "
                        + (stderr.isEmpty() ? out : stderr));
            }
            TtrpcClient client = TtrpcClient.connect(out, Map.of("containerd-namespace-ttrpc", ns));
            long shimPid;
            try {
                shimPid = client.call(TaskGrpc.getConnectMethod(), ConnectRequest.newBuilder().setId(id).build(), CALL)
                        .getShimPid();
            } catch (RuntimeException e) {
                client.close();
                throw e;
            }
            Shim shim = new Shim(ns, id, bundle, runtime, binary, out, client, log, reader);
            shim.writeRecord(shimPid);
            return shim;
            // end::start[]
        } catch (IOException | InterruptedException | RuntimeException e) {
            reader.interrupt();
            log.close();
            throw e;
        }
    }

    /**
     * Connects again to the shim recorded in a bundle (containerd restarted) and asks it {@code Connect}.
     *
     * @throws IOException if there is no record or the shim does not answer (it died)
     */
    // tag::load[]
    static Shim load(String ns, String id, Path bundle) throws IOException {
        Path record = bundle.resolve(RECORD);
        if (!Files.isRegularFile(record)) {
            throw new IOException("no " + RECORD + " in " + bundle);
        }
        ObjectNode r = (ObjectNode) JSON.readTree(record.toFile());
        String address = r.path("address").asText();
        TtrpcClient client = TtrpcClient.connect(address, Map.of("containerd-namespace-ttrpc", ns));
        try {
            ConnectResponse c = client.call(TaskGrpc.getConnectMethod(), ConnectRequest.newBuilder().setId(id).build(),
                    Duration.ofSeconds(10));
            if (c.getShimPid() == 0) {
                throw new IOException("shim of " + id + " reports no pid");
            }
        } catch (RuntimeException e) {
            client.close();
            throw new IOException("shim of " + ns + "/" + id + " at " + address + " does not answer: " + e.getMessage(), e);
        }
        Path fifo = bundle.resolve("log");
        RandomAccessFile log = Files.exists(fifo) ? new RandomAccessFile(fifo.toFile(), "rw") : null;
        Thread reader = log == null ? null : copyLog(log, ns, id);
        return new Shim(ns, id, bundle, r.path("runtime").asText(), Path.of(r.path("binary").asText()), address, client,
                log, reader);
    }
    // end::load[]

    /** @return the runtime name and binary recorded in a bundle, or null when there is no readable record */
    static String[] recorded(Path bundle) {
        try {
            ObjectNode r = (ObjectNode) JSON.readTree(bundle.resolve(RECORD).toFile());
            return new String[] {r.path("runtime").asText(), r.path("binary").asText(), r.path("address").asText()};
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private void writeRecord(long shimPid) throws IOException {
        ObjectNode r = JSON.createObjectNode();
        r.put("runtime", runtime).put("binary", binary.toString()).put("address", address).put("shimPid", shimPid)
                .put("namespace", namespace).put("id", id);
        AtomicFiles.write(bundle.resolve(RECORD), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(r));
    }

    /** Asks the shim to exit (Shutdown); a shim that exits before it answers is fine. */
    void shutdown() {
        try {
            client.call(TaskGrpc.getShutdownMethod(), ShutdownRequest.newBuilder().setId(id).build(), Duration.ofSeconds(10));
        } catch (RuntimeException e) {
            // the shim exits before its answer is written, or is gone already
        }
        close();
    }

    /** Closes the connection and the log reader; the shim keeps running. */
    @Override
    public void close() {
        client.close();
        if (logReader != null) {
            logReader.interrupt();
        }
        if (log != null) {
            try {
                log.close();
            } catch (IOException e) {
                // nothing to keep
            }
        }
    }

    static void mkfifo(Path fifo) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("mkfifo", "-m", "0700", fifo.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        if (p.waitFor() != 0) {
            throw new IOException("mkfifo " + fifo + ": " + out);
        }
    }

    private static Thread copyLog(RandomAccessFile log, String ns, String id) {
        Thread t = new Thread(() -> {
            byte[] buf = new byte[8192];
            StringBuilder line = new StringBuilder();
            try {
                for (int n; (n = log.read(buf)) > 0; ) {
                    line.append(new String(buf, 0, n, StandardCharsets.UTF_8));
                    for (int nl; (nl = line.indexOf("\n")) >= 0; ) {
                        System.err.println("shim " + ns + "/" + id + ": " + line.substring(0, nl));
                        line.delete(0, nl + 1);
                    }
                }
            } catch (IOException e) {
                // closed: the task is gone or containerd stops
            }
        }, "shim-log-" + id);
        t.setDaemon(true);
        t.start();
        return t;
    }

    /**
     * Cleans up after a shim that died, as containerd does (runtime/v2/shim.go cleanupAfterDeadShim): runs
     * {@code BINARY -namespace NS -address ADDR -publish-binary BIN -id ID -bundle BUNDLE delete} in the bundle, which
     * force-deletes the container with the runtime and unmounts its rootfs, and prints a {@code DeleteResponse}.
     * The dead shim's socket file, which a killed shim cannot remove, is removed by the caller
     * ({@link #removeSocket}).
     *
     * @return the shim's DeleteResponse, or null when the binary failed (its output goes to stderr)
     */
    static void removeSocket(String address) {
        if (address == null || address.isEmpty()) {
            return;
        }
        try {
            Files.deleteIfExists(Path.of(address.replaceFirst("^unix://", "")));
        } catch (IOException | RuntimeException e) {
            System.err.println("containerd: cannot remove the dead shim's socket " + address + ": " + e.getMessage());
        }
    }

    static dev.rabbithole.stage3.api.shim.DeleteResponse deleteDead(Path binary, String ns, String id, Path bundle,
                                                                      Path grpcSocket, String publishBinary) {
        List<String> cmd = new ArrayList<>(List.of(binary.toString(), "-namespace", ns, "-address", grpcSocket.toString(),
                "-publish-binary", publishBinary, "-id", id, "-bundle", bundle.toString(), "delete"));
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd).directory(bundle.toFile()).redirectError(ProcessBuilder.Redirect.INHERIT);
            pb.environment().put("PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin") + ":/usr/local/sbin:/usr/sbin:/sbin");
            Process p = pb.start();
            p.getOutputStream().close();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                System.err.println("containerd: " + binary.getFileName() + " delete of " + ns + "/" + id + " failed");
                return null;
            }
            return dev.rabbithole.stage3.api.shim.DeleteResponse.parseFrom(out);
        } catch (IOException e) {
            System.err.println("containerd: " + binary.getFileName() + " delete of " + ns + "/" + id + ": " + e.getMessage());
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }
}
