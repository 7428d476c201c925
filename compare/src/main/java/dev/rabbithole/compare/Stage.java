package dev.rabbithole.compare;

import java.util.List;

/**
 * One architecture under comparison: one line of {@link #ALL}. A stage is its jar (by the launcher's key), how its
 * daemon starts (the jar's program and arguments), which of its processes live long, how a {@code docker run}
 * travels through them, and where its code is. Docker itself (Debian's dockerd 20.10 with its containerd and runc)
 * is the last line, with no jar.
 *
 * @param key         the {@code --stages} name: {@code 1}, {@code 2}, {@code 3}, {@code 4} or {@code docker}
 * @param label       the name in the report
 * @param program     the stage jar's program that serves the Engine API ({@code daemon} or {@code dockerd}); null
 *                    for Docker
 * @param args        the daemon's arguments beyond its roots, socket and {@code --bridge none}
 * @param liveRestore the arguments that keep containers running when the daemon stops (empty where the stage has
 *                    none: its containers are the daemon's children)
 * @param roles       the long-lived processes to kill in turn (section 4), each as the role name
 *                    {@link ProcessTree#role} gives it
 * @param transients  the processes on the {@code docker run} path that exit once the container started
 * @param hops        the IPC hops of a {@code docker run}, in order
 * @param module      the stage's Maven module (its main code is {@code MODULE/src/main/java}); null for Docker
 * @param adds        what the stage adds to the one before it, one sentence
 */
public record Stage(String key, String label, String program, List<String> args, List<String> liveRestore,
                    List<String> roles, List<String> transients, List<Hop> hops, String module, String adds) {

    /**
     * One IPC hop on the {@code docker run} path.
     *
     * @param from     the calling process
     * @param to       the called one
     * @param protocol how they talk (HTTP on a unix socket, gRPC, ttrpc, exec of a CLI, the init socket, a FIFO)
     */
    public record Hop(String from, String to, String protocol) { }

    /** @return true for Docker's own engine (no jar of ours) */
    public boolean isDocker() {
        return program == null;
    }

    // tag::stages[]
    /** Every architecture the report knows, in history's order; a new stage is one more line. */
    public static final List<Stage> ALL = List.of(
            new Stage("1", "stage 1 (monolith, LXC)", "daemon", List.of(), List.of(),
                    List.of("daemon", "lxc-execute"), List.of(),
                    List.of(new Hop("docker CLI", "daemon", "HTTP on a unix socket (Engine API)"),
                            new Hop("daemon", "guard (sh)", "exec of setpriv --pdeathsig TERM sh"),
                            new Hop("guard (sh)", "lxc-execute", "exec of a CLI (fork, execve)"),
                            new Hop("lxc-execute", "init.lxc", "exec (LXC's init as pid 1)")),
                    "stage1-monolith-lxc-style",
                    "one daemon: Engine API, image store, container bookkeeping; containers through LXC's tools"),
            new Stage("2", "stage 2 (libcontainer)", "daemon", List.of("--exec-driver", "native"), List.of(),
                    List.of("daemon"), List.of(),
                    List.of(new Hop("docker CLI", "daemon", "HTTP on a unix socket (Engine API)"),
                            new Hop("daemon", "init JVM", "the init socket (config, go) and the exec FIFO")),
                    "stage2-libcontainer",
                    "libcontainer: the daemon calls the kernel itself (namespaces, cgroups, mounts, seccomp) via JNA"),
            new Stage("3", "stage 3 (split)", "dockerd", List.of("--shim-grouping", "per-container"),
                    List.of("--live-restore"),
                    List.of("dockerd", "containerd", "shim"), List.of("runc"),
                    List.of(new Hop("docker CLI", "dockerd", "HTTP on a unix socket (Engine API)"),
                            new Hop("dockerd", "containerd", "gRPC on a unix socket"),
                            new Hop("containerd", "shim", "exec of the shim binary, then ttrpc"),
                            new Hop("shim", "runc", "exec of a CLI (runc create, runc start)"),
                            new Hop("runc", "runc init", "the init socket and the exec FIFO")),
                    "stage3-split-daemon",
                    "the split: dockerd, containerd, shim and runc as four programs; containers outlive dockerd"),
            new Stage("4", "stage 4 (OCI runtime)", "dockerd", List.of("--shim-grouping", "per-container"),
                    List.of("--live-restore"),
                    List.of("dockerd", "containerd", "shim"), List.of("runc"),
                    List.of(new Hop("docker CLI", "dockerd", "HTTP on a unix socket (Engine API)"),
                            new Hop("dockerd", "containerd", "gRPC on a unix socket"),
                            new Hop("containerd", "shim", "exec of the shim binary, then ttrpc"),
                            new Hop("shim", "OCI runtime", "exec of a CLI (runtime-spec: create, start)"),
                            new Hop("OCI runtime", "runtime init", "the init socket and the exec FIFO")),
                    "stage4-oci-runtime",
                    "the OCI era: any runtime-spec runtime, ours under Docker's engine, image-spec images"),
            new Stage("docker", "docker (Debian's dockerd 20.10)", null, List.of(), List.of("--live-restore"),
                    List.of("dockerd", "containerd", "shim"), List.of("runc"),
                    List.of(new Hop("docker CLI", "dockerd", "HTTP on a unix socket (Engine API)"),
                            new Hop("dockerd", "containerd", "gRPC on a unix socket"),
                            new Hop("containerd", "containerd-shim-runc-v2", "exec of the shim binary, then ttrpc"),
                            new Hop("containerd-shim-runc-v2", "runc", "exec of a CLI (runc create, runc start)"),
                            new Hop("runc", "runc init", "the init pipe and the exec FIFO")),
                    null, "the reference: Go, the same process tree as stage 3"));
    // end::stages[]

    /**
     * @param key a {@code --stages} name
     * @return the stage of that name
     * @throws IllegalArgumentException for an unknown name, naming the known ones
     */
    public static Stage byKey(String key) {
        return ALL.stream().filter(s -> s.key().equals(key)).findFirst().orElseThrow(() ->
                new IllegalArgumentException("unknown stage " + key + " (known: 1, 2, 3, 4, docker)"));
    }
}
