package dev.rabbithole.stage3;

import java.io.PrintStream;
import java.util.List;

/**
 * The stage-3 jar's entry point: stage 3 splits the engine into four programs, each its own process
 * (Docker 1.11's daemon, containerd, containerd-shim and runc), plus {@code tree}, which prints them.
 *
 * <p>Exit status: 0 for {@code --help} (or no argument), the program's own, 2 for an unknown program (a
 * command-line usage error).
 */
public final class Main {

    /** The four programs of stage 3 and {@code tree}: name and what it does. */
    static final List<String[]> PROGRAMS = List.of(
            new String[] {"dockerd", "the Engine API; creates, starts and waits for containers through containerd"},
            new String[] {"containerd", "containerd's gRPC API (containers, tasks, events, version); one shim per task"},
            new String[] {"shim", "containerd's shim v2 API over ttrpc; holds a container's stdio and exit status"},
            new String[] {"runc", "an OCI runtime with runc's command line, on stage 2's libcontainer"},
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
     * @param out where the help goes
     * @param err where errors go
     * @return 0 for help, the program's exit status, 2 for an unknown program
     */
    static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h") || args[0].equals("help")) {
            usage(out);
            return 0;
        }
        if (args[0].equals("dockerd")) {
            return dev.rabbithole.stage3.dockerd.DockerdMain.run(java.util.Arrays.copyOfRange(args, 1, args.length), out, err);
        }
        if (args[0].equals("tree")) {
            return dev.rabbithole.stage3.dockerd.TreeMain.run(java.util.Arrays.copyOfRange(args, 1, args.length), out, err);
        }
        if (args[0].equals("containerd")) {
            return dev.rabbithole.stage3.containerd.ContainerdMain.run(java.util.Arrays.copyOfRange(args, 1, args.length), out, err);
        }
        if (args[0].equals("shim")) {
            return dev.rabbithole.stage3.shim.ShimMain.run(java.util.Arrays.copyOfRange(args, 1, args.length), out, err);
        }
        if (args[0].equals("runc")) {
            return dev.rabbithole.stage3.runc.RuncMain.run(java.util.Arrays.copyOfRange(args, 1, args.length), out, err);
        }
        err.println("rabbithole stage3: unknown program: " + args[0]);
        usage(err);
        return 2;
    }

    private static void usage(PrintStream out) {
        out.println("Usage: rabbithole stage3 PROGRAM [ARGS...]");
        out.println();
        out.println("Stage 3 splits the engine into four processes: dockerd -> containerd -> shim -> runc.");
        for (String[] program : PROGRAMS) {
            out.printf("  %-11s %s%n", program[0], program[1]);
        }
        out.println();
        out.println("The shim is also the executable bin/containerd-shim-rabbithole-v2 (containerd runs it for the");
        out.println("runtime io.containerd.rabbithole.v2); runc is also bin/rabbithole-runc. PROGRAM --help for more.");
    }
}
