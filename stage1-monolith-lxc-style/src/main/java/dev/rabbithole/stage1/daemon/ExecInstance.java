package dev.rabbithole.stage1.daemon;

import dev.rabbithole.stage1.execdriver.ContainerProcess;

/**
 * One exec instance (Engine API 1.41 {@code GET /exec/{id}/json}): made by {@code POST /containers/{id}/exec},
 * started once by {@code POST /exec/{id}/start}, kept until its container is removed. Thread-safe: its state
 * changes under its own monitor.
 */
public final class ExecInstance {
    private final String id;
    private final String containerId;
    private final ExecConfig config;
    private final ExecSpec spec;
    private boolean started;
    private boolean running;
    private Integer exitCode;
    private long pid;
    private ContainerProcess process;

    ExecInstance(String id, String containerId, ExecConfig config, ExecSpec spec) {
        this.id = id;
        this.containerId = containerId;
        this.config = config;
        this.spec = spec;
    }

    /** @return the exec's ID, 64 hex characters */
    public String id() { return id; }
    /** @return the ID of the container it runs in */
    public String containerId() { return containerId; }
    /** @return the request as created */
    public ExecConfig config() { return config; }
    /** @return what the runtime runs: the env merged, user and working directory resolved */
    public ExecSpec spec() { return spec; }
    /** @return whether its process runs now */
    public synchronized boolean running() { return running; }
    /** @return the exit code once it exited (128 + signal when killed), else null (the API's {@code null}) */
    public synchronized Integer exitCode() { return exitCode; }
    /** @return the host pid of its process, 0 before the start */
    public synchronized long pid() { return pid; }

    synchronized boolean started() { return started; }

    synchronized ContainerProcess process() { return process; }

    synchronized void starting() { started = true; }

    synchronized void running(ContainerProcess p) {
        process = p;
        running = true;
        pid = p.pid();
    }

    synchronized void exited(int code) {
        running = false;
        exitCode = code;
    }
}
