package dev.rabbithole.stage1.daemon;

import dev.rabbithole.stage1.errdefs.ConflictException;
import dev.rabbithole.stage1.errdefs.EngineException;
import dev.rabbithole.stage1.errdefs.InvalidParameterException;
import dev.rabbithole.stage1.errdefs.NotFoundException;
import dev.rabbithole.stage1.errdefs.NotImplementedException;
import dev.rabbithole.stage1.errdefs.SystemException;
import dev.rabbithole.stage1.execdriver.ContainerProcess;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Exec instances, as moby's {@code daemon/exec.go}: {@code POST /containers/{id}/exec} records one with its
 * environment (the container's Env, then the exec's: Docker's rule), user and working directory (the
 * container's unless given); {@code POST /exec/{id}/start} runs it through {@link ContainerRuntime#exec} once,
 * streams its output to the attached client until it exits and records the exit code; {@code GET /exec/{id}/json}
 * reports it. Instances are kept per container and dropped when their container is removed (its {@code destroy}
 * event). Emits {@code exec_create}, {@code exec_start} and {@code exec_die}.
 */
final class Execs {

    /** Docker's exit code of an exec whose start failed. */
    static final int START_FAILED_EXIT_CODE = 126;

    /** What stages without exec answer: 501, the stage named (renamed by the API for stage 2). */
    static final String NOT_SUPPORTED = "stage 1 does not support exec (docker exec, POST /exec/{id}/start): "
            + "its runtime cannot start a process in a running container; exec comes with stage 3";

    private final ContainerStore store;
    private final ContainerRuntime runtime;
    private final Events events;
    private final ExecutorService threads;
    private final Map<String, ExecInstance> byId = new ConcurrentHashMap<>();

    Execs(ContainerStore store, ContainerRuntime runtime, Events events, ExecutorService threads) {
        this.store = store;
        this.runtime = runtime;
        this.events = events;
        this.threads = threads;
        events.subscribe(null, e -> e.type().equals("container") && e.action().equals("destroy"),
                e -> byId.values().removeIf(x -> x.containerId().equals(e.actorId())));
    }

    /**
     * {@code POST /containers/{id}/exec}.
     *
     * @throws NotFoundException         {@code No such container: REF}
     * @throws ConflictException         {@code Container ID is not running}, or {@code is restarting} (dockerd's 409)
     * @throws InvalidParameterException {@code No exec command specified}
     * @throws NotImplementedException   the runtime cannot exec ({@link ContainerRuntime#canExec()})
     */
    ExecInstance create(String ref, ExecConfig config) {
        if (config == null || config.cmd() == null || config.cmd().isEmpty()) {
            throw new InvalidParameterException("No exec command specified");    // dockerd's router checks it first
        }
        LiveContainer l = store.get(ref);
        Container c;
        synchronized (l) {
            c = l.c;
            if (!l.running()) {
                throw new ConflictException("Container " + c.id() + " is not running");
            }
            if (l.restarting()) {
                throw new ConflictException("Container " + c.id() + " is restarting, wait until the container is running");
            }
            if (c.state().paused()) {
                throw new ConflictException("Container " + ref + " is paused, unpause the container before exec");
            }
        }
        if (!runtime.canExec()) {                           // after 404 and 409, which a user can act on first
            throw new NotImplementedException(NOT_SUPPORTED);
        }
        List<String> env = Environment.execEnv(c.config().env(), c.config().hostname(), config.tty(), config.env());
        String user = notEmpty(config.user()) ? config.user() : nullToEmpty(c.config().user());
        String dir = notEmpty(config.workingDir()) ? config.workingDir() : nullToEmpty(c.config().workingDir());
        ExecSpec spec = new ExecSpec(List.copyOf(config.cmd()), env, user, dir.isEmpty() ? "/" : dir, config.tty(),
                config.attachStdin(), config.privileged());
        ExecInstance e = new ExecInstance(Names.newId(), c.id(), config, spec);
        byId.put(e.id(), e);
        events.container(c, "exec_create: " + commandLine(config.cmd()), Map.of("execID", e.id()));
        return e;
    }

    /**
     * {@code GET /exec/{id}/json}.
     *
     * @throws NotFoundException {@code No such exec instance: ID}
     */
    ExecInstance get(String id) {
        ExecInstance e = id == null ? null : byId.get(id);
        if (e == null) {
            throw new NotFoundException("No such exec instance: " + id);
        }
        return e;
    }

    /**
     * {@code POST /exec/{id}/start}: starts the process and returns once it runs; its output goes to the listener
     * (nothing when detached) and {@link StreamListener#onEnd()} comes after it exited and its exit code is recorded.
     *
     * @param id       the exec's ID
     * @param listener receives stdout and stderr (as one raw stream on stdout with a TTY), or null to drop them
     * @return the process's stdin when the exec was created with AttachStdin and the runtime gives one, else null;
     *         its {@link ContainerInput#end()} closes the process's stdin
     * @throws NotFoundException       no such exec or container
     * @throws ConflictException       the exec already ran or runs, or its container is not running
     * @throws NotImplementedException the runtime cannot exec (stages 1 and 2)
     */
    ContainerInput start(String id, StreamListener listener) {
        ExecInstance e = get(id);
        synchronized (e) {
            if (e.started()) {
                throw new ConflictException("Error: Exec command " + id
                        + (e.running() ? " is already running" : " has already run"));
            }
            e.starting();
        }
        LiveContainer l = store.get(e.containerId());
        Container c;
        synchronized (l) {
            c = l.c;
            if (!l.running() || l.restarting()) {
                e.exited(START_FAILED_EXIT_CODE);
                throw new ConflictException("Container " + c.id() + " is not running");
            }
        }
        ContainerProcess p;
        try {
            p = runtime.exec(c.id(), e.id(), e.spec());
        } catch (UnsupportedOperationException u) {
            e.exited(START_FAILED_EXIT_CODE);
            throw new NotImplementedException(NOT_SUPPORTED);
        } catch (RuntimeException x) {
            e.exited(START_FAILED_EXIT_CODE);
            throw x instanceof EngineException ee ? ee : new SystemException("exec in " + c.id() + ": " + x, x);
        }
        e.running(p);
        String line = commandLine(e.config().cmd());
        events.container(c, "exec_start: " + line, Map.of("execID", e.id()));
        StreamListener target = listener != null ? listener : new StreamListener() {
            @Override public void onData(StreamType stream, byte[] data, Instant time) { }
            @Override public void onEnd() { }
        };
        CompletableFuture<Void> out = pump(p.stdout(), StreamType.STDOUT, target);
        CompletableFuture<Void> err = pump(p.stderr(), StreamType.STDERR, target);
        threads.execute(() -> {
            int code;
            try {
                code = p.waitFor();
            } catch (InterruptedException x) {
                Thread.currentThread().interrupt();
                code = Daemon.DAEMON_DIED_EXIT_CODE;
            } catch (RuntimeException x) {
                EngineLog.warn("exec " + e.id() + ": waiting failed: " + x);
                code = Daemon.DAEMON_DIED_EXIT_CODE;
            }
            try {
                CompletableFuture.allOf(out, err).get(5, TimeUnit.SECONDS);
            } catch (InterruptedException x) {
                Thread.currentThread().interrupt();
            } catch (ExecutionException | TimeoutException x) {
                EngineLog.warn("exec " + e.id() + ": output still open after its exit, not waiting for it");
            }
            e.exited(code);
            Container now = l.c;
            events.container(now, "exec_die", Map.of("execID", e.id(), "exitCode", Integer.toString(code)));
            target.onEnd();
        });
        OutputStream stdin = e.spec().openStdin() ? p.stdin() : null;
        return stdin == null ? null : new ContainerInput() {
            @Override
            public void write(byte[] data) throws IOException {
                stdin.write(data);
                stdin.flush();
            }

            @Override
            public boolean end() {
                if (e.spec().tty()) {
                    return false;                   // dockerd: with a terminal the attachment ends instead
                }
                try {
                    stdin.close();                  // docker exec -i: the client's end of input is the process's
                } catch (IOException x) {
                    EngineLog.debug("closing the stdin of exec " + e.id() + ": " + x.getMessage());
                }
                return true;
            }
        };
    }

    /**
     * {@code POST /exec/{id}/resize?h=&w=}: the exec's terminal size; nothing for an exec without a terminal.
     *
     * @throws NotFoundException no such exec
     * @throws ConflictException it does not run
     */
    void resize(String id, int height, int width) {
        ExecInstance e = get(id);
        ContainerProcess p = e.process();
        if (p == null || !e.running()) {
            throw new ConflictException("Exec " + id + " is not running");
        }
        try {
            p.resize(width, height);
        } catch (UnsupportedOperationException noTerminal) {
            // as dockerd: a resize of a process without a terminal is not an error
        }
    }

    private CompletableFuture<Void> pump(InputStream in, StreamType stream, StreamListener target) {
        if (in == null) {
            return CompletableFuture.completedFuture(null);   // no such stream (stderr of a process with a TTY)
        }
        return CompletableFuture.runAsync(() -> {
            byte[] buf = new byte[32 * 1024];
            try (in) {
                int n;
                while ((n = in.read(buf)) >= 0) {
                    if (n > 0) {
                        target.onData(stream, java.util.Arrays.copyOf(buf, n), Instant.now());
                    }
                }
            } catch (IOException x) {
                EngineLog.debug("exec " + stream.logName() + " closed: " + x.getMessage());
            }
        }, threads);
    }

    /** Docker's event text of a command: the program, a space, the arguments joined by spaces ({@code true }). */
    static String commandLine(List<String> cmd) {
        return cmd.get(0) + " " + String.join(" ", cmd.subList(1, cmd.size()));
    }

    private static boolean notEmpty(String s) {
        return s != null && !s.isEmpty();
    }

    private static String nullToEmpty(String s) {
        return s == null ? "" : s;
    }
}
