package dev.rabbithole.testsupport;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * A named network namespace a test makes with {@code ip netns add} (ip-netns(8)) so that a daemon's bridge, its
 * private addresses, veth pairs and NAT rules live only there: start the daemon with {@link #launcher()} before
 * {@code java -jar ...} (a {@link JarDaemon} launcher) and run host-side probes with {@link #exec}. Its loopback is
 * up. {@link #close} deletes it; processes still in it are the caller's to stop first.
 */
public final class NetworkNamespace implements AutoCloseable {

    /** The namespace's name, {@code rhtest-} and 8 hex digits; {@code /run/netns/NAME} holds it. */
    public final String name;

    private NetworkNamespace(String name) {
        this.name = name;
    }

    /**
     * Makes a namespace with a fresh name and brings its loopback up.
     *
     * @throws IllegalStateException {@code ip} failed (not root, no iproute2)
     */
    public static NetworkNamespace create() throws IOException, InterruptedException {
        String name = "rhtest-" + String.format("%08x", ThreadLocalRandom.current().nextInt());
        run(List.of("ip", "netns", "add", name));
        NetworkNamespace ns = new NetworkNamespace(name);
        run(List.of("ip", "-n", name, "link", "set", "lo", "up"));
        return ns;
    }

    /** @return {@code ip netns exec NAME}: words to put before a command so that it runs in this namespace */
    public List<String> launcher() {
        return List.of("ip", "netns", "exec", name);
    }

    /**
     * Runs a command in this namespace and waits for it (60 s at most).
     *
     * @param command the program and its arguments, e.g. {@code wget -q -O- http://127.0.0.1:18080/hostname}
     * @return its exit status, stdout and stderr
     */
    public JarDaemon.Result exec(String... command) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(launcher());
        cmd.addAll(List.of(command));
        return runForResult(cmd);
    }

    /** Deletes the namespace ({@code ip netns delete}); a namespace already gone is success. */
    @Override
    public void close() throws IOException, InterruptedException {
        runForResult(List.of("ip", "netns", "delete", name));
    }

    private static void run(List<String> cmd) throws IOException, InterruptedException {
        JarDaemon.Result r = runForResult(cmd);
        if (r.exit() != 0) {
            throw new IllegalStateException(String.join(" ", cmd) + " failed: " + r);
        }
    }

    private static JarDaemon.Result runForResult(List<String> cmd) throws IOException, InterruptedException {
        java.nio.file.Path out = java.nio.file.Files.createTempFile("netns-out", ".txt");
        java.nio.file.Path err = java.nio.file.Files.createTempFile("netns-err", ".txt");
        try {
            Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            p.getOutputStream().close();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(String.join(" ", cmd) + " did not end within 60 s");
            }
            return new JarDaemon.Result(p.exitValue(), java.nio.file.Files.readString(out, StandardCharsets.UTF_8),
                    java.nio.file.Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            java.nio.file.Files.deleteIfExists(out);
            java.nio.file.Files.deleteIfExists(err);
        }
    }
}
