package dev.rabbithole.stage3.containerd;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;

/**
 * {@code rabbithole stage3 containerd}: runs {@link Containerd} until SIGTERM or SIGINT.
 *
 * <pre>
 * rabbithole stage3 containerd [--address SOCK] [--root DIR] [--state DIR] [--publish-binary PATH]
 *                               [--shim-grouping per-container|shared]
 * </pre>
 * Defaults: {@code /run/rabbithole/stage3/containerd.sock}, {@code /var/lib/rabbithole/stage3/containerd},
 * {@code /run/rabbithole/stage3/containerd}. Exit status: 0 after a signal or for {@code --help}, 1 when it cannot
 * start (the reason on stderr), 2 for a usage error.
 */
public final class ContainerdMain {

    static final String DEFAULT_ADDRESS = "/run/rabbithole/stage3/containerd.sock";
    static final String DEFAULT_ROOT = "/var/lib/rabbithole/stage3/containerd";
    static final String DEFAULT_STATE = "/run/rabbithole/stage3/containerd";

    /** Held so that the level set below stays: grpc-netty asks for SO_KEEPALIVE, which unix sockets lack. */
    private static final java.util.logging.Logger BOOTSTRAP_LOG =
            java.util.logging.Logger.getLogger("io.netty.bootstrap");

    private ContainerdMain() {
    }

    /**
     * Runs containerd with a command line; returns when it stops.
     *
     * @param args the arguments after {@code containerd}
     * @param out where the help goes
     * @param err where errors and the start line go
     * @return the exit status
     */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        String address = DEFAULT_ADDRESS;
        String root = DEFAULT_ROOT;
        String state = DEFAULT_STATE;
        String publish = ProcessHandle.current().info().command().orElse("/proc/self/exe");
        String grouping = "per-container";
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            String value = null;
            int eq = a.indexOf('=');
            String name = eq > 0 && a.startsWith("--") ? a.substring(0, eq) : a;
            if (eq > 0 && a.startsWith("--")) {
                value = a.substring(eq + 1);
            }
            switch (name) {
                case "--help", "-h" -> {
                    usage(out);
                    return 0;
                }
                case "--address", "-a", "--root", "--state", "--publish-binary", "--shim-grouping" -> {
                    if (value == null) {
                        if (i + 1 >= args.length) {
                            err.println("containerd: " + name + " needs a value");
                            return 2;
                        }
                        value = args[++i];
                    }
                    switch (name) {
                        case "--root" -> root = value;
                        case "--state" -> state = value;
                        case "--publish-binary" -> publish = value;
                        case "--shim-grouping" -> grouping = value;
                        default -> address = value;
                    }
                }
                default -> {
                    err.println("containerd: unknown argument: " + a);
                    usage(err);
                    return 2;
                }
            }
        }
        BOOTSTRAP_LOG.setLevel(java.util.logging.Level.SEVERE);
        Containerd containerd = new Containerd(Path.of(address), Path.of(root), Path.of(state));
        try {
            containerd.shimGrouping(grouping);
        } catch (IllegalArgumentException e) {
            err.println("containerd: " + e.getMessage());
            return 2;
        }
        try {
            containerd.start(publish);
        } catch (IOException | RuntimeException e) {
            err.println("containerd: " + e.getMessage());
            return 1;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(containerd::close, "containerd-stop"));
        err.println("containerd: serving on " + containerd.address() + " (ttrpc events on " + containerd.ttrpcAddress()
                + "), " + containerd.reconnected() + " shim(s) found again");
        err.flush();
        try {
            containerd.awaitTermination();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return 0;
    }

    private static void usage(PrintStream out) {
        out.println("Usage: rabbithole stage3 containerd [OPTIONS]");
        out.println();
        out.println("containerd's gRPC API (Version, Containers, Tasks, Events) on a unix socket; one shim per task.");
        out.println();
        out.println("Options:");
        out.println("  -a, --address SOCK        the gRPC socket (default " + DEFAULT_ADDRESS + "); shims forward");
        out.println("                            their events to SOCK.ttrpc");
        out.println("      --root DIR            persistent state: container records (default " + DEFAULT_ROOT + ")");
        out.println("      --state DIR           runtime state: bundles, shim records, runc's state (default " + DEFAULT_STATE + ")");
        out.println("      --publish-binary PATH given to shims as -publish-binary (default: this process's executable)");
        out.println("      --shim-grouping MODE  per-container (default: one shim process per task) or shared (one");
        out.println("                            containerd-shim-rabbithole-v2 per namespace serves every task)");
        out.println("  -h, --help                this help");
    }
}
