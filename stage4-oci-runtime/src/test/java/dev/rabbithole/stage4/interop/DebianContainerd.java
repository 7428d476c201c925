package dev.rabbithole.stage4.interop;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rabbithole.stage1.image.BusyboxImage;
import dev.rabbithole.testsupport.HostFiles;
import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.awaitility.Awaitility.await;

/**
 * Debian's containerd 1.6 on a temporary directory of its own (root, state, gRPC and ttrpc sockets, its config
 * file, its log), for the stage 4 interop tests, with {@code ctr} to drive it and a busybox image imported
 * ({@code ctr image import} of a Docker archive holding {@link BusyboxImage}'s layer). {@link #close} stops it by
 * its pid, kills what is left of its shims and containers, unmounts what it left mounted, removes the namespace's
 * cgroups and the directory.
 */
final class DebianContainerd implements AutoCloseable {

    /** The containerd namespace the tests use. */
    static final String NS = "rh-s4";
    /** The image's reference after import. */
    static final String IMAGE = "docker.io/library/rh-busybox:latest";
    /** {@code bin/rabbithole-runc} of this module, which the tests give containerd's runc shim as its runtime. */
    static final Path OURS = Path.of("bin/rabbithole-runc").toAbsolutePath();

    /** The temporary directory: {@code config.toml}, {@code root}, {@code state}, {@code c.sock}, the log. */
    final Path dir;
    final Path socket;
    private final Process process;
    private final Path log;

    /** An external command's exit status, standard output and standard error. */
    record Result(int status, String out, String err) {
        @Override
        public String toString() {
            return "exit " + status + ", out [" + out + "], err [" + err + "]";
        }
    }

    /**
     * Skips the calling test (JUnit assumption) when it cannot run here: not root, containerd, ctr, runc or a
     * static busybox missing, or this module not packaged.
     */
    static void assumeCanRun() throws IOException {
        Assumptions.assumeTrue(Integer.valueOf(0).equals(Files.getAttribute(Path.of("/proc/self"), "unix:uid")),
                "skipped: containerd and its shims need root");
        for (String bin : List.of("/usr/bin/containerd", "/usr/bin/ctr", "/usr/bin/containerd-shim-runc-v2",
                "/usr/sbin/runc")) {
            Assumptions.assumeTrue(Files.isExecutable(Path.of(bin)),
                    "skipped: " + bin + " is not installed (Debian packages containerd, runc)");
        }
        Assumptions.assumeTrue(Files.isRegularFile(Path.of("/bin/busybox")),
                "skipped: /bin/busybox is missing (Debian package busybox-static)");
        Assumptions.assumeTrue(Files.isRegularFile(Path.of("target/rabbithole-stage4.jar")) && Files.isExecutable(OURS),
                "skipped: target/rabbithole-stage4.jar is not built (mvn package): bin/rabbithole-runc runs it");
    }

    /**
     * Starts containerd with the given configuration and waits until {@code ctr version} answers.
     *
     * @param config the configuration's body after the lines this class writes ({@code version = 2}, root,
     *               state, the gRPC and ttrpc addresses); {@code @DIR@} in it becomes the temporary directory
     * @throws IllegalStateException containerd exits or does not answer within 60 s (with its log)
     */
    DebianContainerd(String config) throws Exception {
        dir = Files.createTempDirectory("rh-s4ctd").toRealPath();
        socket = dir.resolve("c.sock");
        log = dir.resolve("containerd.log");
        Files.writeString(dir.resolve("config.toml"), String.join("\n",
                "version = 2",
                "root = \"" + dir.resolve("root") + "\"",
                "state = \"" + dir.resolve("state") + "\"",
                "[grpc]", "  address = \"" + socket + "\"",
                "[ttrpc]", "  address = \"" + dir.resolve("c.sock.ttrpc") + "\"",
                "") + config.replace("@DIR@", dir.toString()));
        process = new ProcessBuilder("/usr/bin/containerd", "--config", dir.resolve("config.toml").toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() -> {
                if (!process.isAlive()) {
                    throw new IllegalStateException("containerd exited with " + process.exitValue() + ":\n" + log());
                }
                return Files.exists(socket) && ctr("version").status == 0;
            });
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /** @return containerd's output so far */
    String log() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    /** The cgroup parent of CRI pods in the tests (below each v1 hierarchy); removed by {@link #close}. */
    static final String POD_CGROUP_PARENT = "rh-s4-pods";

    /** A second image of the same layer whose command sleeps an hour: a pod's sandbox (pause) image. */
    static final String PAUSE = "docker.io/library/rh-pause:latest";

    /** {@link #importBusybox(String)} into {@link #NS}. */
    void importBusybox() throws Exception {
        importBusybox(NS);
    }

    /**
     * Imports busybox as {@link #IMAGE} and {@link #PAUSE}: a Docker archive ({@code manifest.json}, two configs,
     * the gzip layer) made from {@link BusyboxImage}, given to {@code ctr image import}.
     *
     * @param namespace the containerd namespace to import into ({@code k8s.io} for the CRI)
     */
    void importBusybox(String namespace) throws Exception {
        BusyboxImage.Built image = BusyboxImage.build();
        Path archive = Files.createDirectories(dir.resolve("archive"));
        ObjectMapper json = new ObjectMapper();
        Files.write(archive.resolve("config.json"), image.config());
        com.fasterxml.jackson.databind.node.ObjectNode pause =
                (com.fasterxml.jackson.databind.node.ObjectNode) json.readTree(image.config());
        ((com.fasterxml.jackson.databind.node.ObjectNode) pause.get("config")).putArray("Cmd").add("sleep").add("3600");
        json.writeValue(archive.resolve("pause.json").toFile(), pause);
        Files.write(archive.resolve("layer.tar.gz"), image.layer());
        json.writeValue(archive.resolve("manifest.json").toFile(), List.of(
                Map.of("Config", "config.json", "RepoTags", List.of("rh-busybox:latest"), "Layers", List.of("layer.tar.gz")),
                Map.of("Config", "pause.json", "RepoTags", List.of("rh-pause:latest"), "Layers", List.of("layer.tar.gz"))));
        Path tar = dir.resolve("busybox-archive.tar");
        Result packed = run(List.of("tar", "-C", archive.toString(), "-cf", tar.toString(),
                "manifest.json", "config.json", "pause.json", "layer.tar.gz"));
        if (packed.status != 0) {
            throw new IllegalStateException("tar: " + packed);
        }
        List<String> importCmd = new ArrayList<>(List.of("/usr/bin/ctr", "--address", socket.toString(), "-n",
                namespace, "image", "import", tar.toString()));
        Result imported = run(importCmd);
        String listed = run(List.of("/usr/bin/ctr", "--address", socket.toString(), "-n", namespace, "image", "ls",
                "-q")).out;
        if (imported.status != 0 || !listed.contains(IMAGE) || !listed.contains(PAUSE)) {
            throw new IllegalStateException("ctr image import: " + imported + "\n" + listed);
        }
        HostFiles.deleteRecursively(archive);
        Files.delete(tar);
    }

    /** {@code ctr --address SOCK -n NS ARGS...}, standard input from /dev/null. */
    Result ctr(String... args) throws IOException, InterruptedException {
        return run(ctrCommand(args));
    }

    /** @return the words of {@code ctr --address SOCK -n NS ARGS...} */
    List<String> ctrCommand(String... args) {
        List<String> cmd = new ArrayList<>(List.of("/usr/bin/ctr", "--address", socket.toString(), "-n", NS));
        cmd.addAll(List.of(args));
        return cmd;
    }

    /** Runs a command (120 s at most), standard input from /dev/null. */
    static Result run(List<String> cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .start();
        CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> {
            try {
                return new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                return "";
            }
        });
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return new Result(-1, out, "timed out: " + cmd);
        }
        return new Result(p.exitValue(), out, err.join());
    }

    /** Stops containerd (SIGTERM, SIGKILL after 20 s), its leftovers, mounts, cgroups and directory. */
    @Override
    public void close() throws Exception {
        List<ProcessHandle> children = process.descendants().toList();
        // the shims are not containerd's children (they daemonise): find them by the address they were given
        List<ProcessHandle> shims = ProcessHandle.allProcesses()
                .filter(h -> h.info().arguments().map(a -> List.of(a).contains(socket.toString())).orElse(false))
                .toList();
        if (process.isAlive()) {
            process.destroy();
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
            }
        }
        for (ProcessHandle h : Stream.concat(children.stream(), shims.stream()).toList()) {
            if (h.isAlive()) {
                h.descendants().forEach(ProcessHandle::destroyForcibly);
                h.destroyForcibly();
                h.onExit().orTimeout(10, TimeUnit.SECONDS).exceptionally(t -> null).join();
            }
        }
        HostFiles.unmountUnder(dir);
        HostFiles.deleteRecursively(dir);
        try (Stream<Path> hierarchies = Files.list(Path.of("/sys/fs/cgroup"))) {
            for (Path ns : hierarchies.flatMap(h -> Stream.of(h.resolve(NS), h.resolve(POD_CGROUP_PARENT))).toList()) {
                if (Files.isDirectory(ns)) {
                    try (Stream<Path> walk = Files.walk(ns)) {
                        for (Path sub : walk.filter(Files::isDirectory).sorted(java.util.Comparator.reverseOrder()).toList()) {
                            try {
                                Files.deleteIfExists(sub);
                            } catch (IOException inUse) {
                                // a process still in it: not ours to force
                            }
                        }
                    }
                }
            }
        }
    }
}
