package dev.rabbithole.bench;

import java.io.IOException;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The pull figure of stage 4: {@code docker pull} of a multi-layer image from Debian's docker-registry on loopback,
 * through the real docker CLI, against stage 4's dockerd and against Debian's dockerd 20.10, N times in one
 * interleaved run (each round removes the image from both engines, then pulls it on each), after one warm-up round.
 * The image (5 layers of pseudo-random bytes, 24 MB in all, so compression saves nothing) is written as a
 * {@code docker save} archive and copied into the registry by skopeo. Prints the median and 90th percentile
 * (nearest rank) in milliseconds and the ratio of the medians. Not a test: it asserts nothing. Needs root.
 *
 * <p>Usage: {@code PullBenchmark --stage4-jar JAR [--java JAVA] [N]} (N rounds, default 10).
 */
public final class PullBenchmark {
    private PullBenchmark() { }

    /** Layer data sizes of the image, bytes, lowest first. */
    static final int[] LAYERS = {8_000_000, 6_000_000, 5_000_000, 4_000_000, 1_000_000};

    /**
     * Runs the benchmark.
     *
     * @param args {@code --stage4-jar JAR [--java JAVA] [N]}
     * @throws Exception a process could not be started or a pull failed
     */
    public static void main(String[] args) throws Exception {
        String jar = null;
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        int rounds = 10;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--stage4-jar" -> jar = args[++i];
                case "--java" -> java = args[++i];
                default -> rounds = Integer.parseInt(args[i]);
            }
        }
        if (jar == null) {
            System.err.println("usage: PullBenchmark --stage4-jar JAR [--java JAVA] [N]");
            System.exit(2);
        }
        Path dir = Files.createTempDirectory("rh-pullbench-");
        List<Process> started = new ArrayList<>();
        Path ourExec = dir.resolve("ours/exec");
        try {
            int port = freePort();
            Path storage = Files.createDirectories(dir.resolve("registry"));
            Path config = Files.writeString(dir.resolve("registry.yml"), String.join("\n", "version: 0.1", "log:", "  level: warn",
                    "storage:", "  filesystem:", "    rootdirectory: " + storage, "http:", "  addr: 127.0.0.1:" + port, ""));
            started.add(start(dir.resolve("registry.log"), "docker-registry", "serve", config.toString()));
            waitPort(port);
            String image = "127.0.0.1:" + port + "/bench:1";
            Path archive = writeArchive(dir.resolve("image.tar"));
            run("skopeo", "copy", "--dest-tls-verify=false", "docker-archive:" + archive, "docker://" + image);

            Path d = dir.resolve("docker");
            started.add(start(dir.resolve("dockerd.log"), "/usr/sbin/dockerd", "--data-root", d + "/data", "--exec-root", d + "/exec",
                    "-H", "unix://" + d + "/docker.sock", "--pidfile", d + "/docker.pid", "--bridge=none", "--iptables=false"));
            Path o = dir.resolve("ours");
            started.add(start(dir.resolve("ours.log"), java, "-jar", jar, "dockerd", "--data-root", o + "/data", "--exec-root",
                    ourExec.toString(), "-H", "unix://" + o + "/docker.sock", "--bridge", "none"));
            String[] hosts = {"unix://" + o + "/docker.sock", "unix://" + d + "/docker.sock"};
            String[] labels = {"stage 4 dockerd", "Debian dockerd 20.10"};
            for (String h : hosts) waitDocker(h);

            List<List<Double>> samples = List.of(new ArrayList<>(), new ArrayList<>());
            for (int r = -1; r < rounds; r++) {
                for (int e = 0; e < hosts.length; e++) {
                    docker(hosts[e], false, "rmi", image);
                    long t0 = System.nanoTime();
                    docker(hosts[e], true, "pull", "-q", image);
                    double ms = (System.nanoTime() - t0) / 1e6;
                    if (r >= 0) samples.get(e).add(ms);
                }
            }
            long total = 0;
            for (int l : LAYERS) total += l;
            System.out.printf(Locale.ROOT, "docker pull of a %d-layer image (%.0f MB) from docker-registry on loopback, %d rounds, interleaved%n",
                    LAYERS.length, total / 1e6, rounds);
            System.out.printf(Locale.ROOT, "%-24s %10s %10s %8s%n", "engine", "median ms", "p90 ms", "ratio");
            double docker = median(samples.get(1));
            for (int e = 0; e < hosts.length; e++) {
                System.out.printf(Locale.ROOT, "%-24s %10.0f %10.0f %8.2f%n", labels[e], median(samples.get(e)),
                        p90(samples.get(e)), median(samples.get(e)) / docker);
            }
        } finally {
            for (Process p : started) {
                p.destroy();
                if (!p.waitFor(60, TimeUnit.SECONDS)) p.destroyForcibly().waitFor();
            }
            Path supervised = ourExec.resolve("containerd/containerd.pid");
            if (Files.exists(supervised)) {
                ProcessHandle.of(Long.parseLong(Files.readString(supervised).trim())).ifPresent(ProcessHandle::destroy);
            }
            run("umount", "-R", dir.resolve("docker/exec").toString());
            try (Stream<Path> s = Files.walk(dir)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException ignored) {
                // a busy leftover stays in the temporary directory
            }
        }
    }

    static double median(List<Double> xs) {
        List<Double> s = xs.stream().sorted().toList();
        int n = s.size();
        return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }

    static double p90(List<Double> xs) {
        List<Double> s = xs.stream().sorted().toList();
        return s.get(Math.max(0, (int) Math.ceil(0.9 * s.size()) - 1));
    }

    private static Process start(Path log, String... cmd) throws IOException {
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    private static void run(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        p.waitFor();
    }

    private static void docker(String host, boolean mustWork, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("docker", "-H", host));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0 && mustWork) throw new IllegalStateException(cmd + " failed: " + out);
    }

    private static void waitDocker(String host) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < deadline) {
            Process p = new ProcessBuilder("docker", "-H", host, "version").redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (p.waitFor() == 0) return;
            Thread.sleep(300);
        }
        throw new IllegalStateException(host + " did not answer within 120 s");
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static void waitPort(int port) throws InterruptedException {
        for (int i = 0; i < 300; i++) {
            try (Socket s = new Socket("127.0.0.1", port)) {
                return;
            } catch (IOException e) {
                Thread.sleep(100);
            }
        }
        throw new IllegalStateException("docker-registry did not listen on " + port);
    }

    // ---- a docker save archive, written with a minimal ustar writer (POSIX.1-1988 headers) -------------------

    private static Path writeArchive(Path file) throws IOException {
        Random random = new Random(42);
        List<byte[]> layers = new ArrayList<>();
        StringBuilder diffIds = new StringBuilder();
        for (int i = 0; i < LAYERS.length; i++) {
            byte[] data = new byte[LAYERS[i]];
            random.nextBytes(data);
            java.io.ByteArrayOutputStream tar = new java.io.ByteArrayOutputStream();
            entry(tar, "layer" + i + ".bin", data);
            tar.write(new byte[1024]);
            layers.add(tar.toByteArray());
            diffIds.append(i == 0 ? "" : ",").append('"').append(sha256(tar.toByteArray())).append('"');
        }
        byte[] config = ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"created\":\"2026-01-01T00:00:00Z\","
                + "\"config\":{\"Cmd\":[\"/bin/sh\"]},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[" + diffIds + "]}}")
                .getBytes(StandardCharsets.UTF_8);
        String configName = sha256(config).substring(7) + ".json";
        StringBuilder names = new StringBuilder();
        try (OutputStream out = Files.newOutputStream(file)) {
            entry(out, configName, config);
            for (int i = 0; i < layers.size(); i++) {
                String name = sha256(layers.get(i)).substring(7) + ".tar";
                entry(out, name, layers.get(i));
                names.append(i == 0 ? "" : ",").append('"').append(name).append('"');
            }
            entry(out, "manifest.json", ("[{\"Config\":\"" + configName + "\",\"RepoTags\":[\"bench:1\"],\"Layers\":[" + names + "]}]")
                    .getBytes(StandardCharsets.UTF_8));
            out.write(new byte[1024]);
        }
        return file;
    }

    private static void entry(OutputStream out, String name, byte[] data) throws IOException {
        byte[] h = new byte[512];
        put(h, 0, name);
        put(h, 100, "0000644");
        put(h, 108, "0000000");
        put(h, 116, "0000000");
        put(h, 124, String.format("%011o", data.length));
        put(h, 136, "00000000000");
        for (int i = 148; i < 156; i++) h[i] = ' ';
        h[156] = '0';
        put(h, 257, "ustar");
        put(h, 263, "00");
        int sum = 0;
        for (byte b : h) sum += b & 0xff;
        put(h, 148, String.format("%06o", sum));
        h[154] = 0;
        out.write(h);
        out.write(data);
        int pad = (512 - data.length % 512) % 512;
        out.write(new byte[pad]);
    }

    private static void put(byte[] h, int off, String s) {
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(b, 0, h, off, b.length);
    }

    private static String sha256(byte[] b) {
        try {
            return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
