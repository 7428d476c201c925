package dev.rabbithole.stage1.client;

import java.io.PrintStream;
import java.util.Map;

/**
 * What every client subcommand gets from the top command: the daemon's address, the streams to print to
 * and the client's environment (for {@code run -e KEY}). Implemented by {@code dev.rabbithole.stage1.Main}.
 */
public interface ClientContext {
    /** @return the daemon address, {@code unix:///path} */
    String host();

    /** @return standard output (container stdout goes here unchanged) */
    PrintStream out();

    /** @return standard error */
    PrintStream err();

    /** @return the client's environment variables */
    Map<String, String> env();

    /** @return standard input ({@code run -i}, {@code exec -i}, {@code attach}): the process's own by default */
    default java.io.InputStream in() {
        return System.in;
    }

    /** @return the program name for messages, e.g. {@code rabbithole-stage1} */
    default String commandName() {
        return "rabbithole-stage1";
    }
}
