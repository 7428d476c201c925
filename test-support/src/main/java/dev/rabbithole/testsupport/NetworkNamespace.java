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

    /**
     * Words to put before a daemon's command so that it runs in this namespace: {@code nsenter --net} into it, in a
     * mount namespace of its own where {@code /sys} is a sysfs of this network namespace (LXC and {@code ip} look up
     * links under {@code /sys/class/net}) with the host's cgroup mounts moved back under {@code /sys/fs/cgroup}.
     * ({@code ip netns exec} mounts a fresh {@code /sys} too, but without the cgroup hierarchies a daemon needs.)
     *
     * @return the words, ending in {@code sh}: the command's words follow as the script's arguments
     */
    public List<String> launcher() {
        return List.of("nsenter", "--net=/run/netns/" + name, "unshare", "-m", "--propagation", "slave", "sh", "-c",
                "T=$(mktemp -d) && mount --rbind /sys/fs/cgroup \"$T\" && mount -t sysfs sysfs /sys"
                        + " && mount --move \"$T\" /sys/fs/cgroup && rmdir \"$T\" && exec \"$@\"", "sh");
    }

    /**
     * Runs a command in this namespace and waits for it (60 s at most).
     *
     * @param command the program and its arguments, e.g. {@code wget -q -O- http://127.0.0.1:18080/hostname}
     * @return its exit status, stdout and stderr
     */
    public JarDaemon.Result exec(String... command) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", name));
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
