package dev.rabbithole.stage2.execdriver;

import dev.rabbithole.stage1.errdefs.SystemException;
import dev.rabbithole.stage2.libcontainer.configs.Mount;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code docker run --init}, Docker's way: a small init, tini, bind-mounted read-only from the host at
 * {@value #CONTAINER_PATH} and run as pid 1 with {@code --} and the workload as its child. tini reaps orphans and
 * forwards the signals it gets ({@code docker stop}'s) to the workload, which as pid 1 would ignore those it has no
 * handler for. Docker ships tini as {@code docker-init}; Debian's {@code tini} package has it as
 * {@code /usr/bin/tini-static}, the static build an image without a C library can run (docker.io's
 * {@code /usr/bin/docker-init} is a link to it).
 */
public final class DockerInit {
    private DockerInit() { }

    /** Where the init appears inside the container (Docker's path). */
    public static final String CONTAINER_PATH = "/sbin/docker-init";

    /** The host files tried, in order: Debian's static tini, then docker.io's docker-init. */
    public static final List<Path> CANDIDATES = List.of(Path.of("/usr/bin/tini-static"),
            Path.of("/usr/bin/docker-init"), Path.of("/usr/libexec/docker/docker-init"));

    // tag::docker-init[]
    /**
     * @param candidates host paths to try, in order
     * @return the first executable regular file among them
     * @throws SystemException none is there: {@code --init} cannot run (the message says what to install)
     */
    public static Path find(List<Path> candidates) {
        for (Path p : candidates) {
            if (Files.isRegularFile(p) && Files.isExecutable(p)) {
                return p;
            }
        }
        throw new SystemException("--init needs a static tini on the host (" + candidates.get(0)
                + ", from the tini package; ./rabbithole setup installs it), and none of " + candidates + " exists");
    }

    /** @return the read-only bind mount of the host's init at {@value #CONTAINER_PATH} */
    public static Mount mount(Path hostInit) {
        return new Mount(hostInit.toString(), CONTAINER_PATH, "bind", List.of("bind", "ro"));
    }

    /** @return {@code /sbin/docker-init -- ARGS...}: what pid 1 runs, the workload its child */
    public static List<String> wrap(List<String> args) {
        List<String> argv = new ArrayList<>(List.of(CONTAINER_PATH, "--"));
        argv.addAll(args);
        return List.copyOf(argv);
    }
    // end::docker-init[]
}
