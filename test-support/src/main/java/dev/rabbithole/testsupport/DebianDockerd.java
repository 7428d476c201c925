package dev.rabbithole.testsupport;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;

/**
 * Debian's dockerd (package docker.io, with containerd and runc) on roots of its own under a temporary
 * directory: {@code --data-root}, {@code --exec-root} (where it starts its own containerd, whose root and state
 * follow), {@code -H unix://}, {@code --pidfile}, an empty {@code --config-file}, a cgroup parent of its own
 * ({@code --cgroup-parent}), no bridge and no iptables rules. It never touches the host's {@code /var/lib/docker},
 * {@code /run/docker}, {@code /run/docker.sock} or {@code docker} cgroups. {@link #close} stops it by its pid (and
 * what is left of its containerd and shims), unmounts what it left mounted under its roots, removes them and its
 * cgroup parent.
 */
public final class DebianDockerd implements AutoCloseable {

    /** Its temporary directory, {@code rh-dockerd-XXXX}: roots, socket, pidfile, config and log below it. */
    public final Path dir;
    /** {@code DIR/docker.sock}. */
    public final Path socket;
    /** The cgroup parent of its containers, {@code rh-dockerd-XXXX} (below each v1 hierarchy, or the v2 root). */
    private final String cgroupParent;
    private final Process dockerd;
    private final Path log;

    /**
     * Starts dockerd and waits until it answers {@code docker version}.
     *
     * @param dockerdBinary the dockerd executable
     * @throws IllegalStateException when it exits or does not answer within 60 s (with its log)
     */
    public DebianDockerd(Path dockerdBinary) throws IOException {
        this(dockerdBinary, List.of());
    }

    /**
     * Starts dockerd with more flags after the ones above and waits until it answers {@code docker version}.
     *
     * @param dockerdBinary the dockerd executable
     * @param extraArgs     more dockerd flags, e.g. {@code --add-runtime NAME=PATH}, {@code --default-runtime NAME}
     * @throws IllegalStateException when it exits or does not answer within 60 s (with its log)
     */
    public DebianDockerd(Path dockerdBinary, List<String> extraArgs) throws IOException {
        this.dir = Files.createTempDirectory("rh-dockerd-");
        this.socket = dir.resolve("docker.sock");
        this.log = dir.resolve("dockerd.log");
        Path config = Files.writeString(dir.resolve("daemon.json"), "{}\n");
        this.cgroupParent = dir.getFileName().toString();
        List<String> command = new ArrayList<>(List.of(dockerdBinary.toString(),
                "--config-file", config.toString(),
                "--data-root", dir.resolve("data").toString(),
                "--exec-root", dir.resolve("exec").toString(),
                "-H", host(),
                "--pidfile", dir.resolve("docker.pid").toString(),
                "--cgroup-parent", "/" + cgroupParent,
                "--bridge=none", "--iptables=false"));
        command.addAll(extraArgs);
        dockerd = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        try {
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() -> {
                if (!dockerd.isAlive()) {
                    throw new IllegalStateException("dockerd exited with " + dockerd.exitValue() + ":\n" + log());
                }
                return Files.exists(socket)
                        && JarDaemon.exec(List.of("docker", "-H", host(), "version")).exit() == 0;
            });
        } catch (RuntimeException e) {
            closeQuietly();
            throw e;
        }
    }

    /** @return dockerd on PATH, else {@code /usr/sbin/dockerd}, when executable */
    public static Optional<Path> find() {
        for (String d : (System.getenv().getOrDefault("PATH", "") + ":/usr/sbin:/usr/bin").split(":")) {
            if (d.isEmpty()) continue;
            Path p = Path.of(d, "dockerd");
            if (Files.isExecutable(p)) return Optional.of(p);
        }
        return Optional.empty();
    }

    /** @return {@code unix://} and the socket's path, for {@code -H} */
    public String host() {
        return "unix://" + socket;
    }

    /** @return dockerd's output so far, or a line saying why there is none */
    public String log() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "(no dockerd log: " + e + ")";
        }
    }

    /**
     * Imports a layer as an image, with the config our daemons give the embedded busybox
     * ({@code CMD ["sh"]} and Docker's default PATH).
     *
     * @param layer a layer tar (gzip or not)
     * @param ref   e.g. {@code busybox:latest}
     * @param env   the image's environment, {@code NAME=value} each
     */
    public void importImage(Path layer, String ref, List<String> env) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("docker", "-H", host(), "import", "-c", "CMD [\"sh\"]"));
        for (String e : env) {
            cmd.add("-c");
            cmd.add("ENV " + e);
        }
        cmd.add(layer.toString());
        cmd.add(ref);
        JarDaemon.Result r = JarDaemon.exec(cmd);
        if (r.exit() != 0) throw new IllegalStateException("docker import failed: " + r);
    }

    /** Stops dockerd (SIGTERM, then SIGKILL after 30 s), then its leftovers, mounts and roots. */
    @Override
    public void close() throws IOException, InterruptedException {
        List<ProcessHandle> children = dockerd.descendants().toList();
        if (dockerd.isAlive()) {
            dockerd.destroy();
            if (!dockerd.waitFor(30, TimeUnit.SECONDS)) {
                dockerd.destroyForcibly();
                dockerd.waitFor();
            }
        }
        for (ProcessHandle child : children) {
            if (child.isAlive()) {
                child.destroyForcibly();
                child.onExit().orTimeout(10, TimeUnit.SECONDS).exceptionally(t -> null).join();
            }
        }
        HostFiles.unmountUnder(dir);
        HostFiles.deleteRecursively(dir);
        removeCgroupParent();
    }

    /** Removes the (by now empty) cgroup parent in every hierarchy, its children first. */
    private void removeCgroupParent() throws IOException {
        List<Path> dirs = new ArrayList<>();
        try (var hierarchies = Files.list(Path.of("/sys/fs/cgroup"))) {
            for (Path h : (Iterable<Path>) hierarchies::iterator) {
                if (Files.isDirectory(h.resolve(cgroupParent), java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                    dirs.add(h.resolve(cgroupParent));
                }
            }
        }
        if (Files.isDirectory(Path.of("/sys/fs/cgroup", cgroupParent))) dirs.add(Path.of("/sys/fs/cgroup", cgroupParent));
        for (Path d : dirs) {
            if (!Files.isDirectory(d)) continue;
            try (var walk = Files.walk(d)) {
                // cgroup directories are removed with rmdir, their files with them
                for (Path sub : walk.filter(Files::isDirectory).sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(sub);
                }
            }
        }
    }

    private void closeQuietly() {
        try {
            close();
        } catch (IOException | InterruptedException e) {
            // the start failed already; that error is the one to report
        }
    }
}
