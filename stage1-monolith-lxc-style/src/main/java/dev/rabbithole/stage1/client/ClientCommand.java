package dev.rabbithole.stage1.client;

import picocli.CommandLine.ParentCommand;

import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Consumer;

/**
 * Base of the client subcommands: opens an {@link EngineClient} to the top command's host and turns the
 * client's exceptions into the docker CLI's messages and exit codes: {@code Error response from daemon: MSG}
 * and 1 for an error answer, the "Cannot connect" message and 1 when no daemon listens ({@code run}: 125
 * for both, as {@code docker run}).
 */
public abstract class ClientCommand implements Callable<Integer> {
    /** Injected by picocli: the top command. */
    @ParentCommand
    protected ClientContext context;

    /**
     * Does the command's work.
     *
     * @param client a client connected to {@link ClientContext#host()}
     * @return the process exit code
     */
    protected abstract int execute(EngineClient client);

    /** @return the exit code for an error answer from the daemon (docker: 1; {@code run}: 125) */
    protected int errorExitCode() {
        return 1;
    }

    /**
     * @return the exit code when this user may not connect to the socket (docker: 1; {@code docker run}: 126)
     */
    protected int permissionDeniedExitCode() {
        return errorExitCode() == 1 ? 1 : 126;
    }

    /**
     * Applies an action to several objects as docker's {@code stop}, {@code kill}, {@code rm}, {@code rmi} do:
     * prints each name that succeeded to stdout and {@code Error response from daemon: MSG} for each that
     * failed, and goes on with the rest.
     *
     * @param names  container or image names as typed
     * @param action the request for one name; throws {@link EngineApiException} when the daemon refuses
     * @return 0 if all succeeded, 1 otherwise
     */
    protected int each(List<String> names, Consumer<String> action) {
        int rc = 0;
        for (String n : names) {
            try {
                action.accept(n);
                context.out().println(n);
            } catch (EngineApiException e) {
                context.err().println("Error response from daemon: " + e.getMessage());
                rc = 1;
            }
        }
        return rc;
    }

    @Override
    public Integer call() {
        try (EngineClient client = new EngineClient(context.host())) {
            return execute(client);
        } catch (DaemonPermissionDeniedException e) {
            context.err().println(e.getMessage());
            return permissionDeniedExitCode();
        } catch (DaemonUnreachableException e) {
            // the jar's command name says which stage's daemon to start: rabbithole-stage2 -> rabbithole stage2
            context.err().println(e.getMessage() + " (start it with: "
                    + context.commandName().replace("rabbithole-", "rabbithole ") + " daemon)");
            return errorExitCode(); // docker run: 125, the other commands: 1
        } catch (EngineApiException e) {
            context.err().println("Error response from daemon: " + e.getMessage());
            return errorExitCode();
        } catch (EngineClientException | IllegalArgumentException | IllegalStateException e) {
            context.err().println("Error: " + e.getMessage());
            return errorExitCode();
        }
    }
}
