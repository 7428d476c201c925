package dev.rabbithole.stage1.daemon;

import dev.rabbithole.stage1.errdefs.InvalidParameterException;
import dev.rabbithole.stage1.execdriver.Command;

/**
 * Refuses at {@code POST /containers/create} (Engine API 1.41) a stdin or terminal the daemon's
 * {@link ContainerRuntime} cannot give ({@link ContainerRuntime#supports}): stage 1's LXC driver has neither,
 * stage 2's native driver has a stdin pipe but no terminal, stage 3 has both. The messages are worded for stage 1;
 * the API server renames the stage ({@link dev.rabbithole.stage1.Stage#rename}).
 */
public final class StdioSupport {

    /** The prefix of the refusal when the runtime has neither stdin nor a terminal. */
    public static final String NO_STDIN = "stage 1 does not support stdin (-i) or a TTY (-t): ";

    /** The prefix of the refusal when the runtime has a stdin but no terminal. */
    public static final String NO_TTY = "stage 1 does not support a TTY (-t): ";

    private StdioSupport() { }

    /**
     * @param config  the create request's config: OpenStdin, AttachStdin, StdinOnce, Tty
     * @param runtime the runtime that will start the container
     * @throws InvalidParameterException {@value #NO_STDIN}... or {@value #NO_TTY}... naming the field
     */
    public static void check(ContainerConfig config, ContainerRuntime runtime) {
        boolean stdin = config.openStdin() || config.attachStdin() || config.stdinOnce();
        boolean stdinOk = runtime.supports(new Command.Stdio(true, false));
        boolean ttyOk = runtime.supports(new Command.Stdio(config.openStdin(), true));
        if (stdin && !stdinOk) {
            throw new InvalidParameterException(NO_STDIN + "the container's standard input is /dev/null "
                    + "(Config.OpenStdin/AttachStdin); feed data through the command line or a loaded image instead");
        }
        if (config.tty() && !ttyOk) {
            throw new InvalidParameterException((stdinOk ? NO_TTY : NO_STDIN) + "containers have no terminal "
                    + "(Config.Tty); their output is always multiplexed stdout and stderr"
                    + (stdinOk ? "; -i without -t gives the container a stdin pipe" : ""));
        }
    }
}
