package dev.rabbithole.stage3.dockerd;

import dev.rabbithole.stage1.daemon.EngineLog;
import dev.rabbithole.stage1.errdefs.SystemException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The containerd dockerd starts itself when it is given none ({@code --containerd}), as Docker 20.10's
 * supervisor ({@code libcontainerd/supervisor}) does: {@code rabbithole stage3 containerd} on
 * {@code EXEC_ROOT/containerd/containerd.sock}, its root in {@code DATA_ROOT/containerd/daemon} and its state in
 * {@code EXEC_ROOT/containerd/daemon}, its pid in {@code EXEC_ROOT/containerd/containerd.pid}, its output in
 * {@code DATA_ROOT/containerd/containerd.log}. It runs in its own session and process group (setsid(1)), so a
 * signal to dockerd's group (Ctrl-C) or a kill -9 of dockerd does not take it along; a new dockerd reuses it
 * while it still runs. When it dies, it is started again (containers live on under their shims and the new
 * containerd finds them). On dockerd's shutdown it gets SIGTERM.
 */
public final class SupervisedContainerd implements AutoCloseable {

    private final Path socket;
    private final Path pidFile;
    private final Path root;
    private final Path state;
    private final Path log;
    private volatile ProcessHandle process;
    private volatile boolean closing;

    /** containerd's {@code PATH}, or null for dockerd's own. */
    private final String path;
    /** containerd's {@code --shim-grouping}, or null for its default. */
    private final String shimGrouping;

    /**
     * @param dataRoot dockerd's data root
     * @param execRoot dockerd's exec root (keep it short: the socket path must fit in 107 bytes)
     */
    public SupervisedContainerd(Path dataRoot, Path execRoot) {
        this(dataRoot, execRoot, System.getenv("PATH"), null);
    }

    /**
     * As {@link #SupervisedContainerd(Path, Path)}, with the {@code $PATH} containerd looks its shim binaries up in.
     *
     * @param dataRoot     dockerd's data root
     * @param execRoot     dockerd's exec root
     * @param path         the containerd's {@code PATH}; null for dockerd's own
     * @param shimGrouping containerd's {@code --shim-grouping} ({@code per-container} or {@code shared}), null for
     *                     its default
     */
    public SupervisedContainerd(Path dataRoot, Path execRoot, String path, String shimGrouping) {
        this.path = path;
        this.shimGrouping = shimGrouping;
        Path dir = execRoot.resolve("containerd");
        this.socket = dir.resolve("containerd.sock");
        this.pidFile = dir.resolve("containerd.pid");
        this.root = dataRoot.resolve("containerd").resolve("daemon");
        this.state = dir.resolve("daemon");
        this.log = dataRoot.resolve("containerd").resolve("containerd.log");
    }

    /** @return containerd's gRPC socket */
    public Path socket() {
        return socket;
    }

    /** @return the pid of the containerd, once started */
    public long pid() {
        return process.pid();
    }

    /**
     * Reuses the containerd of the pid file when it still runs, else starts one; waits until its socket exists.
     *
     * @return this
     * @throws SystemException it cannot be started or does not come up within 60 s
     */
    public SupervisedContainerd start() {
        Optional<ProcessHandle> running = previous();
        if (running.isPresent() && Files.exists(socket)) {
            process = running.get();
            EngineLog.info("containerd still runs, pid " + process.pid() + ": reusing it on " + socket);
        } else {
            process = launch();
        }
        watch(process);
        return this;
    }

    private Optional<ProcessHandle> previous() {
        try {
            long pid = Long.parseLong(Files.readString(pidFile).trim());
            // its command line names containerd and this socket (ProcessHandle.Info leaves out long command lines)
            String cmdline = new String(Files.readAllBytes(Path.of("/proc", String.valueOf(pid), "cmdline")),
                    StandardCharsets.UTF_8);
            if (!cmdline.contains("\0containerd\0") || !cmdline.contains(socket.toString())) {
                return Optional.empty();
            }
            return ProcessHandle.of(pid).filter(ProcessHandle::isAlive);
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    private ProcessHandle launch() {
        try {
            Files.createDirectories(socket.getParent());
            Files.createDirectories(log.getParent());
            Files.deleteIfExists(socket);
            List<String> cmd = new ArrayList<>();
            if (Files.isExecutable(Path.of("/usr/bin/setsid"))) {
                cmd.add("/usr/bin/setsid");
            }
            cmd.add(ProcessHandle.current().info().command().orElse(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString()));
            cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "dev.rabbithole.stage3.Main", "containerd",
                    "--address", socket.toString(), "--root", root.toString(), "--state", state.toString()));
            if (shimGrouping != null) {
                cmd.addAll(List.of("--shim-grouping", shimGrouping));
            }
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
            if (path != null) {
                pb.environment().put("PATH", path);
            }
            Process p = pb.start();
            Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
            while (!Files.exists(socket)) {
                if (!p.isAlive()) {
                    throw new SystemException("containerd exited with " + p.exitValue() + "; its log: " + log);
                }
                if (Instant.now().isAfter(deadline)) {
                    p.destroyForcibly();
                    throw new SystemException("containerd did not come up within 60 s; its log: " + log);
                }
                Thread.sleep(50);
            }
            // setsid(1) execs in place when it is not a group leader: the pid is containerd's JVM
            dev.rabbithole.stage1.AtomicFiles.writeString(pidFile, p.pid() + "\n");
            EngineLog.info("started containerd, pid " + p.pid() + ", on " + socket);
            return p.toHandle();
        } catch (IOException e) {
            throw new SystemException("starting containerd: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SystemException("interrupted while starting containerd");
        }
    }

    /** When containerd dies while dockerd runs: start it again. */
    private void watch(ProcessHandle p) {
        p.onExit().thenRun(() -> {
            if (closing || p != process) {
                return;
            }
            EngineLog.warn("containerd (pid " + p.pid() + ") died; starting it again");
            try {
                process = launch();
                watch(process);
            } catch (RuntimeException e) {
                EngineLog.warn("restarting containerd failed: " + e.getMessage());
            }
        });
    }

    /** Stops containerd (SIGTERM, SIGKILL after 20 s) and removes its pid file. */
    @Override
    public void close() {
        closing = true;
        ProcessHandle p = process;
        if (p == null) {
            return;
        }
        p.destroy();
        try {
            p.onExit().get(20, java.util.concurrent.TimeUnit.SECONDS);
        } catch (Exception e) {
            p.destroyForcibly();
        }
        try {
            Files.deleteIfExists(pidFile);
        } catch (IOException e) {
            EngineLog.warn("removing " + pidFile + ": " + e.getMessage());
        }
    }

    /** @return the containerd log's text, for error messages */
    String logText() {
        try {
            return Files.readString(log, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }
}
