package dev.rabbithole.stage4.runc;

import java.io.PrintStream;

/**
 * Stage 4's OCI runtime: a runtime-spec runtime with runc's command line ({@code rabbithole stage4 runc}, and the
 * executable {@code bin/rabbithole-runc} that containerd's shims and dockerd's {@code --add-runtime} run). It grows
 * stage 3's runc ({@link dev.rabbithole.stage3.runc.RuncMain}) on stage 2's libcontainer with what stage 3 refuses:
 * config.json is read by {@link Stage4SpecConverter} (runtime-spec 1.2), {@code features} prints
 * {@link Stage4Features}, and {@link Stage4Extension} adds the hooks that run inside the container and runc 1.1's
 * exit statuses.
 */
public final class Stage4Runc {

    private Stage4Runc() {
    }

    /**
     * Runs one runc command line.
     *
     * @param args runc's global options, a command and its arguments ({@code --root DIR create --bundle B ID})
     * @param out  the command's standard output
     * @param err  the command's standard error
     * @return runc's exit status: 0, 1 for an error
     */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length == 1 && (args[0].equals("--version") || args[0].equals("-v"))) {
            out.print(VERSION); // runc's three lines, which dockerd parses (runtime version, commit) for docker info
            return 0;
        }
        java.util.List<String> all = java.util.Arrays.asList(args);
        if ("features".equals(command(args)) && !all.contains("--help") && !all.contains("-h")) {
            return Stage4Features.print(out); // the runtime-spec 1.2 document, not stage 3's
        }
        return dev.rabbithole.stage3.runc.RuncMain.run(withRoot(args), out, err,
                new Stage4Extension(!all.contains("--no-new-keyring"), all.contains("--no-pivot")),
                new Stage4SpecConverter());
    }

    /** {@code rabbithole-runc --version}: in runc's form, {@code NAME version V}, {@code commit: C}, {@code spec: S}. */
    static final String VERSION = "rabbithole-runc version 0.1.0-stage4\ncommit: rabbithole stage 4\nspec: 1.2.0\n";

    /** Where stage 4's runtime keeps its containers' state when no {@code --root} is given (engines give one). */
    public static final String DEFAULT_ROOT = "/run/rabbithole/stage4/runc";

    /**
     * @param args runc's command line
     * @return args with {@code --root} {@value #DEFAULT_ROOT} in front when its global options name no root, so that
     *         stage 4's containers are not listed among stage 3's
     */
    static String[] withRoot(String[] args) {
        int command = commandIndex(args);
        for (int i = 0; i < command; i++) {
            if (args[i].equals("--root") || args[i].startsWith("--root=")) {
                return args;
            }
        }
        String[] rooted = new String[args.length + 2];
        rooted[0] = "--root";
        rooted[1] = DEFAULT_ROOT;
        System.arraycopy(args, 0, rooted, 2, args.length);
        return rooted;
    }

    /** @return the command word after runc's global options, or null */
    static String command(String[] args) {
        int command = commandIndex(args);
        return command < args.length ? args[command] : null;
    }

    /**
     * @param args runc's command line
     * @return the index of the command word, past the global options and their values ({@code --root DIR},
     *         {@code --log FILE}, ...); {@code args.length} when there is none
     */
    private static int commandIndex(String[] args) {
        for (int i = 0; i < args.length; i++) {
            if (java.util.List.of("--root", "--log", "--log-format", "--criu", "--rootless").contains(args[i])) {
                i++; // its value
            } else if (!args[i].startsWith("-")) {
                return i;
            }
        }
        return args.length;
    }
}
