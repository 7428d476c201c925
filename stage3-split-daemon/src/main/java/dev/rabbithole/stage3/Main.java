package dev.rabbithole.stage3;

import java.io.PrintStream;
import java.util.List;

/**
 * The stage-3 jar's entry point: stage 3 splits the engine into four programs, each its own process
 * (Docker 1.11's dockerd, containerd, containerd-shim and runc). containerd runs; the others are to come.
 *
 * <p>Exit status: 0 for {@code --help} (or no argument), 2 for a program that does not exist yet or an unknown
 * one, as a command-line usage error.
 */
public final class Main {

    /** The four programs of stage 3: name and what it will do. */
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
     * @return 0 for help, the program's exit status, 2 for a program not written yet
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
        for (String[] program : PROGRAMS) {
            if (program[0].equals(args[0])) {
                err.println("rabbithole stage3: " + args[0] + " is not written yet (stage 3 is in progress)");
                return 2;
            }
        }
        err.println("rabbithole stage3: unknown program: " + args[0]);
        usage(err);
        return 2;
    }

    private static void usage(PrintStream out) {
        out.println("Usage: rabbithole stage3 PROGRAM [ARGS...]");
        out.println();
        out.println("Stage 3 splits the engine into four processes (in progress):");
        for (String[] program : PROGRAMS) {
            out.printf("  %-11s %s%s%n", program[0], program[0].matches("containerd|dockerd") ? "" : "not yet: ", program[1]);
        }
        out.println();
        out.println("What exists: containerd's and the shim's protocol (gRPC and ttrpc messages) and ttrpc on Netty.");
    }
}
