package dev.rabbithole.stage3.shim;

import dev.rabbithole.stage3.api.shim.ConnectRequest;
import dev.rabbithole.stage3.api.shim.DeleteResponse;
import dev.rabbithole.stage3.api.shim.TaskGrpc;
import dev.rabbithole.stage3.ttrpc.TtrpcClient;
import dev.rabbithole.stage3.ttrpc.TtrpcServer;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * {@code containerd-shim-rabbithole-v2} ({@code rabbithole stage3 shim}): the shim binary as containerd 1.6's
 * runtime v2 runs it (containerd's runtime/v2 README, "Shim" protocol):
 *
 * <pre>
 * containerd-shim-rabbithole-v2 -namespace NS -address ADDR -publish-binary BIN -id ID [-bundle DIR] [-debug] start|delete
 * </pre>
 *
 * <p>{@code start}, run in the bundle directory: starts the long-lived shim (a new JVM in its own session, so that
 * it outlives containerd and the caller: setsid(2)), waits until it listens, writes the address to the bundle's
 * {@code address} file, prints it ({@code unix://RUN/s/HASH}: {@code RUN} is the directory of containerd's
 * {@code ADDR}, the hash is of ADDR, NS and ID, short enough for the 108-byte sun_path) and exits 0. With
 * {@code RABBITHOLE_SHIM_GROUPING=shared} in its environment (what our containerd's {@code --shim-grouping shared}
 * sets), {@code start} prints the address of the namespace's shared shim ({@code RUN/s/g-HASH}), starting it only
 * when none runs: one JVM then serves every task of the namespace, keyed by task id. An flock(2) on the socket directory
 * keeps a shared shim from exiting while a {@code start} hands out its address (the start's Connect reserves the
 * task id for 60 s).
 *
 * <p>{@code delete}: containerd's cleanup after a shim that is gone: runs {@code RUNTIME --root ROOT delete --force
 * ID} (the binary and root the dead shim wrote to the bundle's {@code options.json}), unmounts the bundle's
 * {@code rootfs}, removes the dead shim's socket and prints a {@code DeleteResponse} protobuf on stdout: exit status
 * 137 (SIGKILL's), the time of the cleanup, the init's pid when known.
 *
 * <p>Exit status: 0 on success; 1 when the action fails (the reason on stderr); 2 for a usage error.
 */
public final class ShimMain {

    /** The environment variable that selects the grouping: {@code per-container} (default) or {@code shared}. */
    public static final String GROUPING_ENV = "RABBITHOLE_SHIM_GROUPING";
    static final String DEFAULT_ADDRESS = "/run/rabbithole/stage3/containerd.sock";

    private ShimMain() {
    }

    /** The parsed command line. */
    record Args(String namespace, String address, String publishBinary, String id, Path bundle, boolean debug,
                String action) {
    }

    /**
     * Runs the command line.
     *
     * @param args the arguments after {@code shim}
     * @param out stdout (the address, or the DeleteResponse bytes)
     * @param err diagnostics
     * @return the exit status
     */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        Args a;
        try {
            a = parse(args);
        } catch (IllegalArgumentException e) {
            err.println("containerd-shim-rabbithole-v2: " + e.getMessage());
            usage(err);
            return 2;
        }
        if (a == null) {
            usage(out);
            return 0;
        }
        try {
            return switch (a.action) {
                case "start" -> start(a, out, err);
                case "delete" -> delete(a, out, err);
                case "serve" -> serve(a, err);
                case "train" -> train(a, err);
                default -> {
                    err.println("containerd-shim-rabbithole-v2: unknown action " + a.action + " (start, delete)");
                    yield 2;
                }
            };
        } catch (IOException | RuntimeException e) {
            err.println("containerd-shim-rabbithole-v2 " + a.action + ": " + e.getMessage());
            return 1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 1;
        }
    }

    static Args parse(String[] args) {
        String ns = "";
        String address = DEFAULT_ADDRESS;
        String publish = "";
        String id = "";
        Path bundle = null;
        boolean debug = false;
        String action = null;
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (!arg.startsWith("-")) {
                if (action != null) {
                    throw new IllegalArgumentException("more than one action: " + action + ", " + arg);
                }
                action = arg;
                continue;
            }
            String name = arg.replaceFirst("^--?", "");
            String value = null;
            int eq = name.indexOf('=');
            if (eq >= 0) {
                value = name.substring(eq + 1);
                name = name.substring(0, eq);
            }
            switch (name) {
                case "help", "h" -> {
                    return null;
                }
                case "debug" -> debug = value == null || Boolean.parseBoolean(value);
                case "v", "version" -> action = "version";
                case "namespace", "address", "publish-binary", "id", "bundle", "socket" -> {
                    if (value == null) {
                        if (i + 1 >= args.length) {
                            throw new IllegalArgumentException("flag needs an argument: -" + name);
                        }
                        value = args[++i];
                    }
                    switch (name) {
                        case "namespace" -> ns = value;
                        case "address" -> address = value;
                        case "publish-binary" -> publish = value;
                        case "id" -> id = value;
                        case "bundle" -> bundle = Path.of(value);
                        default -> { } // -socket: containerd 1.5's; the address is derived here
                    }
                }
                default -> throw new IllegalArgumentException("flag provided but not defined: -" + name);
            }
        }
        if (action == null) {
            throw new IllegalArgumentException("no action (start or delete)");
        }
        if (action.equals("train")) {
            return new Args("train", DEFAULT_ADDRESS, "", "train", Path.of("").toAbsolutePath(), debug, action);
        }
        if (ns.isEmpty()) {
            throw new IllegalArgumentException("shim namespace cannot be empty (-namespace)");
        }
        if (id.isEmpty() && !action.equals("version")) {
            throw new IllegalArgumentException("shim id cannot be empty (-id)");
        }
        if (bundle == null) {
            bundle = Path.of("").toAbsolutePath();
        }
        return new Args(ns, address, publish, id, bundle, debug, action);
    }

    private static void usage(PrintStream out) {
        out.println("Usage: containerd-shim-rabbithole-v2 -namespace NS -address ADDR -publish-binary BIN -id ID"
                + " [-bundle DIR] [-debug] start|delete");
        out.println();
        out.println("containerd's shim v2 for rabbithole: serves containerd.task.v2.Task over ttrpc, runs the runtime");
        out.println("binary (runc's CLI; the task's runtime option BinaryName, default runc), holds each container's");
        out.println("stdio and exit status. " + GROUPING_ENV + "=shared: one shim per namespace serves every task.");
    }

    static boolean shared() {
        String g = System.getenv().getOrDefault(GROUPING_ENV, "per-container");
        return switch (g) {
            case "", "per-container" -> false;
            case "shared" -> true;
            default -> throw new IllegalArgumentException(GROUPING_ENV + "=" + g + ": want per-container or shared");
        };
    }

    /** @return the socket path the shim of this command line listens on */
    static Path socket(Args a, boolean shared) {
        Path run = Path.of(a.address).toAbsolutePath().getParent().resolve("s");
        String key = shared ? a.address + "\0" + a.namespace : a.address + "\0" + a.namespace + "\0" + a.id;
        try {
            String hex = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(key.getBytes(StandardCharsets.UTF_8)));
            return run.resolve(shared ? "g-" + hex.substring(0, 24) : hex.substring(0, 32));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    // tag::shim-start[]
    private static int start(Args a, PrintStream out, PrintStream err) throws IOException, InterruptedException {
        boolean shared = shared();
        Path socket = socket(a, shared);
        Files.createDirectories(socket.getParent());
        if (!shared) {
            spawnDaemon(a, socket, a.bundle);
        } else {
            int lock = Libc.lockDirectory(socket.getParent());
            try {
                if (!reserve(socket, a)) {
                    spawnDaemon(a, socket, Path.of("/"));
                    if (!reserve(socket, a)) {
                        throw new IOException("the shared shim at " + socket + " does not answer");
                    }
                }
            } finally {
                Libc.closeQuietly(lock);
            }
        }
        String address = "unix://" + socket;
        Files.writeString(a.bundle.resolve("address"), address, StandardCharsets.UTF_8);
        out.print(address);
        out.flush();
        return 0;
    }
    // end::shim-start[]

    /** Connects to a running shared shim and reserves the task id there; false when none answers. */
    private static boolean reserve(Path socket, Args a) {
        if (!Files.exists(socket)) {
            return false;
        }
        try (TtrpcClient c = TtrpcClient.connect(socket.toString(), Map.of("containerd-namespace-ttrpc", a.namespace))) {
            c.call(TaskGrpc.getConnectMethod(), ConnectRequest.newBuilder().setId(a.id).build(), Duration.ofSeconds(10));
            return true;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /**
     * Starts the long-lived shim: this JVM's own command line with the action {@code serve}; its stdout is a pipe
     * on which it says "ready" once it listens (then it points its stdout at /dev/null), its stderr the bundle's
     * {@code log} FIFO when containerd made one. This short-lived process may use ProcessBuilder: it reaps nothing.
     */
    private static void spawnDaemon(Args a, Path socket, Path cwd) throws IOException, InterruptedException {
        ProcessHandle.Info self = ProcessHandle.current().info();
        List<String> argv = new ArrayList<>();
        argv.add(self.command().orElseThrow(() -> new IOException("cannot read this process's command")));
        String[] own = self.arguments().orElseThrow(() -> new IOException("cannot read this process's arguments"));
        for (int i = 0; i < own.length; i++) {
            argv.add(i == own.length - 1 && own[i].equals("start") ? "serve" : own[i]);
        }
        if (!argv.get(argv.size() - 1).equals("serve")) {
            throw new IOException("cannot derive the shim's command line from " + String.join(" ", argv));
        }
        // the action is last, as containerd passes it; -bundle makes the shared shim's cwd irrelevant
        argv.add(argv.size() - 1, "-bundle");
        argv.add(argv.size() - 1, a.bundle.toString());
        Path log = a.bundle.resolve("log");
        ProcessBuilder pb = new ProcessBuilder(argv).directory(cwd.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectError(hasReader(log) ? ProcessBuilder.Redirect.appendTo(log.toFile()) : ProcessBuilder.Redirect.DISCARD);
        Process p = pb.start();
        CompletableFuture<String> ready = CompletableFuture.supplyAsync(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line = r.readLine();
                return line == null ? "" : line;
            } catch (IOException e) {
                return "";
            }
        });
        String line;
        try {
            line = ready.get(60, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            p.destroyForcibly();
            throw new IOException("the shim did not listen on " + socket + " within 60 s");
        }
        if (!line.equals("ready")) {
            int status = p.waitFor(10, TimeUnit.SECONDS) ? p.exitValue() : -1;
            throw new IOException("the shim exited with status " + status + " before it listened on " + socket
                    + (Files.exists(log) ? " (its stderr went to " + log + ")" : ""));
        }
    }

    /**
     * @return whether {@code log} is a FIFO that someone reads (containerd holds it open): opening a FIFO without
     *         a reader for writing would block (fifo(7)); O_NONBLOCK makes it fail with ENXIO instead
     */
    private static boolean hasReader(Path log) {
        if (!Files.exists(log)) {
            return false;
        }
        try {
            Libc.closeQuietly(Libc.openFile(log.toString(), Libc.O_WRONLY | O_NONBLOCK, 0));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static final int O_NONBLOCK = 04000;

    /** The long-lived shim: a session of its own, a subreaper with one reaping loop, ttrpc on the socket. */
    private static int serve(Args a, PrintStream err) throws IOException, InterruptedException {
        boolean shared = shared();
        Path socket = socket(a, shared);
        try {
            Libc.setsid();
        } catch (com.sun.jna.LastErrorException e) {
            // already a session leader
        }
        Reaper reaper = new Reaper().start();
        Publisher publisher = new Publisher(System.getenv("TTRPC_ADDRESS"));
        CountDownLatch stop = new CountDownLatch(1);
        TtrpcServer[] server = new TtrpcServer[1];
        ShimService[] service = new ShimService[1];
        Runnable exit = () -> {
            if (shared) {
                // under the start's lock: no start hands out this address while it goes away
                int lock = -1;
                try {
                    lock = Libc.lockDirectory(socket.getParent());
                } catch (IOException e) {
                    err.println("shim: " + e.getMessage() + "; exiting without the lock");
                }
                try {
                    if (!service[0].idle()) {
                        return;
                    }
                    server[0].close();
                } finally {
                    Libc.closeQuietly(lock);
                }
            } else {
                try {
                    Thread.sleep(100); // the Shutdown answer goes out first
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                server[0].close();
            }
            for (int i = 0; i < 20 && !publisher.idle(); i++) {
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    break;
                }
            }
            stop.countDown();
        };
        service[0] = new ShimService(a.namespace, reaper, publisher, shared, exit);
        server[0] = new TtrpcServer().addService(service[0]).start(socket);
        java.lang.Runtime.getRuntime().addShutdownHook(new Thread(server[0]::close, "shim-stop")); // SIGTERM: no stale socket
        if (a.debug) {
            err.println("shim " + Libc.getpid() + ": serving " + (shared ? "namespace " + a.namespace : a.id)
                    + " on " + socket);
        }
        System.out.println("ready");
        System.out.flush();
        int devnull = Libc.openFile("/dev/null", Libc.O_WRONLY, 0);
        Libc.dup2(devnull, 1);
        Libc.closeQuietly(devnull);
        stop.await();
        if (a.debug) {
            err.println("shim " + Libc.getpid() + ": no task left, exiting");
        }
        System.exit(0);
        return 0;
    }

    /**
     * {@code train}: loads the classes a shim uses (ttrpc server and client, the Task service, protobuf messages,
     * the reaper and posix_spawn) and exits, so that a JVM started with {@code -XX:ArchiveClassesAtExit} writes an
     * application class-data archive that every shim JVM then maps shared (the wrapper script does this once).
     */
    private static int train(Args a, PrintStream err) throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory("rh-shim-train");
        Path socket = dir.resolve("s");
        Reaper reaper = new Reaper().start();
        Publisher publisher = new Publisher(null);
        ShimService service = new ShimService("train", reaper, publisher, false, () -> { });
        try (TtrpcServer server = new TtrpcServer().addService(service).start(socket);
             TtrpcClient c = TtrpcClient.connect(socket.toString(), Map.of("containerd-namespace-ttrpc", "train"))) {
            c.call(TaskGrpc.getConnectMethod(), ConnectRequest.newBuilder().setId("x").build(), Duration.ofSeconds(10));
            try {
                c.call(TaskGrpc.getStateMethod(), dev.rabbithole.stage3.api.shim.StateRequest.newBuilder().setId("x").build(),
                        Duration.ofSeconds(10));
            } catch (RuntimeException expected) {
                // NOT_FOUND: the error path is loaded too
            }
            try {
                c.call(TaskGrpc.getCreateMethod(), dev.rabbithole.stage3.api.shim.CreateTaskRequest.newBuilder().setId("x")
                        .setBundle(dir.toString()).setOptions(com.google.protobuf.Any.newBuilder()
                                .setTypeUrl("containerd.runc.v1.Options").setValue(dev.rabbithole.stage3.api.runc.Options
                                        .newBuilder().setBinaryName("/bin/false").setRoot(dir.toString()).build()
                                        .toByteString())).build(), Duration.ofSeconds(10));
            } catch (RuntimeException expected) {
                // the runtime /bin/false fails: spawn, reaper and the runtime's error path are loaded
            }
            for (com.google.protobuf.Message m : List.of(dev.rabbithole.stage3.api.eventtypes.TaskExit.getDefaultInstance(),
                    dev.rabbithole.stage3.api.eventtypes.TaskStart.getDefaultInstance(),
                    dev.rabbithole.stage3.api.eventtypes.TaskDelete.getDefaultInstance(),
                    dev.rabbithole.stage3.api.events.ttrpc.ForwardRequest.getDefaultInstance())) {
                m.toByteArray();
            }
        } finally {
            try (var walk = Files.walk(dir)) {
                walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        return 0;
    }

    private static int delete(Args a, PrintStream out, PrintStream err) throws IOException {
        String[] o = ShimService.readOptions(a.bundle);
        String binary = o != null ? o[0] : "runc";
        String root = o != null && !o[1].isEmpty() ? o[1] : ShimService.DEFAULT_RUNTIME_ROOT + "/" + a.namespace;
        List<String> cmd = new ArrayList<>(List.of(RuntimeBinary.resolve(binary), "--root", root));
        if (o != null && Boolean.parseBoolean(o[2])) {
            cmd.add("--systemd-cgroup");
        }
        cmd.addAll(List.of("delete", "--force", a.id));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        try {
            if (p.waitFor() != 0 && !text.contains("does not exist")) {
                err.println("containerd-shim-rabbithole-v2 delete: " + String.join(" ", cmd) + ": " + text);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Mounts.unmountAll(a.bundle.resolve("rootfs").toString());
        int pid = 0;
        try {
            pid = Integer.parseInt(Files.readString(a.bundle.resolve("init.pid")).trim());
        } catch (IOException | NumberFormatException e) {
            // never created
        }
        if (!shared()) {
            Path socket = socket(a, false);
            try (TtrpcClient c = TtrpcClient.connect(socket.toString())) {
                // a shim still answers there: not ours to remove
            } catch (IOException e) {
                Files.deleteIfExists(socket);
            }
        }
        byte[] response = DeleteResponse.newBuilder().setPid(pid).setExitStatus(137)
                .setExitedAt(Publisher.timestamp(Instant.now())).build().toByteArray();
        out.write(response, 0, response.length);
        out.flush();
        return 0;
    }
}
