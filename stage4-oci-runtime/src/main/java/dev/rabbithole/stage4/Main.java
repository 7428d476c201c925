package dev.rabbithole.stage4;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.List;

/**
 * The stage-4 jar's entry point. Stage 4 keeps stage 3's process tree (dockerd, containerd, shim, runtime) and
 * makes every piece replaceable, as the OCI specifications did from 2017: the runtime is any runtime-spec runtime
 * (ours, runc, crun), ours runs under Docker's own containerd and dockerd, and images are image-spec images that
 * come from distribution-spec registries.
 *
 * <p>Exit status: 0 for {@code --help} (or no argument), the program's own, 2 for an unknown program (a
 * command-line usage error).
 */
public final class Main {

    /** The programs of stage 4: name and what it does. */
    static final List<String[]> PROGRAMS = List.of(
            new String[] {"dockerd", "the Engine API over containerd; any OCI runtime per container (--add-runtime)"},
            new String[] {"containerd", "containerd's gRPC API (containers, tasks, events, version); one shim per task"},
            new String[] {"shim", "containerd's shim v2 API over ttrpc; runs the container's OCI runtime"},
            new String[] {"runc", "a runtime-spec runtime with runc's command line (also bin/rabbithole-runc)"},
            new String[] {"tree", "the process tree of a running container: dockerd, containerd, shim, workload"});

    private Main() {
    }

    /**
     * @param args {@code --help}, or a program name followed by its arguments
     */
    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /**
     * Runs the command line and returns the exit status.
     *
     * @param args the command line
     * @param out  where the help goes
     * @param err  where errors go
     * @return 0 for help, the program's exit status, 2 for an unknown program
     */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h") || args[0].equals("help")) {
            usage(out);
            return 0;
        }
        String[] rest = Arrays.copyOfRange(args, 1, args.length);
        switch (args[0]) {
            case "dockerd":
                return dev.rabbithole.stage4.dockerd.Stage4Dockerd.run(rest, out, err);
            case "runc":
                return dev.rabbithole.stage4.runc.Stage4Runc.run(rest, out, err);
            case "containerd":
                return dev.rabbithole.stage3.containerd.ContainerdMain.run(rest, out, err);
            case "shim":
                return dev.rabbithole.stage3.shim.ShimMain.run(rest, out, err);
            case "tree":
                return dev.rabbithole.stage3.dockerd.TreeMain.run(rest, out, err, "stage4",
                        dev.rabbithole.stage4.dockerd.Stage4Dockerd.DEFAULT_HOST);
            default:
                err.println("rabbithole stage4: unknown program: " + args[0]);
                usage(err);
                return 2;
        }
    }

    private static void usage(PrintStream out) {
        out.println("Usage: rabbithole stage4 PROGRAM [ARGS...]");
        out.println();
        out.println("Stage 4, the OCI era: stage 3's dockerd -> containerd -> shim -> runtime, every piece replaceable.");
        for (String[] program : PROGRAMS) {
            out.printf("  %-11s %s%n", program[0], program[1]);
        }
        out.println();
        out.println("Executables for other engines: bin/rabbithole-runc (point containerd's BinaryName or dockerd's");
        out.println("--add-runtime at it) and bin/containerd-shim-rabbithole-v2. PROGRAM --help for more.");
    }
}
