package dev.rabbithole.stage3.runc;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rabbithole.stage2.libcontainer.container.LinuxContainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code runc list [--format table|json] [-q]} (runc-list(8)): the containers under the root. {@code table}
 * has runc's columns {@code ID PID STATUS BUNDLE CREATED OWNER}, aligned as Go's tabwriter with runc's settings
 * (cells at least 12 wide, 3 spaces of padding); {@code json} is an array of the states ({@code null} for none,
 * as runc) with the owner's user name; {@code -q} prints the IDs only.
 */
@Command(name = "list", aliases = "ls", description = "list the containers under the root")
final class ListCommand implements Callable<Integer> {
    @ParentCommand
    RuncMain runc;

    @Option(names = {"--format", "-f"}, defaultValue = "table", description = "table or json")
    String format;

    @Option(names = {"--quiet", "-q"}, description = "display only the container IDs")
    boolean quiet;

    @Override
    public Integer call() throws Exception {
        runc.checkGlobals();
        List<ObjectNode> states = new ArrayList<>();
        for (String id : LinuxContainer.list(runc.root())) {
            try {
                LinuxContainer c = runc.load(id);
                ObjectNode s = RuncState.json(c);
                s.put("owner", owner(c));
                states.add(s);
            } catch (RuncException e) {
                // removed meanwhile
            }
        }
        if (quiet) {
            states.forEach(s -> System.out.println(s.get("id").asText()));
            return 0;
        }
        switch (format) {
            case "json" -> {
                ArrayNode a = new ObjectMapper().createArrayNode();
                states.forEach(a::add);
                System.out.println(states.isEmpty() ? "null" : a.toString());
            }
            case "table" -> {
                List<String[]> rows = new ArrayList<>();
                rows.add(new String[] {"ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"});
                for (ObjectNode s : states) {
                    rows.add(new String[] {s.get("id").asText(), s.get("pid").asText(), s.get("status").asText(),
                            s.get("bundle").asText(), s.get("created").asText(), s.get("owner").asText()});
                }
                System.out.print(tabwriter(rows));
            }
            default -> throw new RuncException("invalid format option");
        }
        return 0;
    }

    /** Go's text/tabwriter with minwidth 12, tabwidth 1, padding 3, padchar ' ', no flags; the last column free. */
    static String tabwriter(List<String[]> rows) {
        int columns = rows.get(0).length;
        int[] width = new int[columns];
        for (String[] r : rows) {
            for (int i = 0; i < columns - 1; i++) {
                width[i] = Math.max(width[i], Math.max(12, r[i].length() + 3));
            }
        }
        StringBuilder b = new StringBuilder();
        for (String[] r : rows) {
            for (int i = 0; i < columns - 1; i++) {
                b.append(r[i]).append(" ".repeat(width[i] - r[i].length()));
            }
            b.append(r[columns - 1]).append('\n');
        }
        return b.toString();
    }

    private static String owner(LinuxContainer c) {
        try {
            return Files.getOwner(c.stateDir()).getName();
        } catch (IOException e) {
            return "#?";
        }
    }
}
