package dev.rabbithole.stage1.api;

import java.util.ArrayList;
import java.util.List;

/**
 * The {@code Command} of a ContainerSummary ({@code GET /containers/json}, Engine API 1.41) as Docker 20.10's
 * daemon writes it: the program, then the arguments separated by single spaces, an argument that contains a
 * space put in single quotes ({@code sh -c 'exit 2'}); nothing else is escaped. The docker CLI then cuts it to 20
 * characters (19 and an ellipsis) unless {@code --no-trunc}, and quotes it as Go's {@code strconv.Quote}.
 */
final class CommandColumn {
    private CommandColumn() { }

    /**
     * @param path the container's program ({@code Path})
     * @param args its arguments ({@code Args})
     * @return e.g. {@code sh -c 'exit 2'}; just the program when there are no arguments
     */
    static String of(String path, List<String> args) {
        if (args == null || args.isEmpty()) {
            return path;
        }
        List<String> shown = new ArrayList<>();
        for (String a : args) {
            shown.add(a.contains(" ") ? "'" + a + "'" : a);
        }
        return path + " " + String.join(" ", shown);
    }
}
