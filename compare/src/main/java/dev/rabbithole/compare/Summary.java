package dev.rabbithole.compare;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The terminal summary: the machine, then each section's table, with its notes. */
final class Summary {
    private Summary() { }

    static String text(Report r) {
        StringBuilder out = new StringBuilder("\nrabbithole compare: ");
        out.append(String.join(", ", r.stages.values())).append('\n');
        r.machine.forEach((k, v) -> out.append("  ").append(k).append(": ").append(v).append('\n'));
        for (Tables.Table t : Tables.all(r)) {
            out.append('\n').append(t.section()).append(". ").append(t.title()).append('\n');
            out.append(format(t));
            for (Map.Entry<String, String> n : r.notes.getOrDefault(t.section(), Map.of()).entrySet()) {
                if (t.section() == 7) {
                    continue;
                }
                String text = n.getValue().replace("\n", "\n      ");
                out.append("  ").append(Tables.label(r, n.getKey())).append(":\n      ").append(text).append('\n');
            }
        }
        return out.toString();
    }

    /** @return the table's columns padded to their widest cell; cells longer than 60 characters are cut */
    static String format(Tables.Table t) {
        List<List<String>> all = new ArrayList<>();
        all.add(t.header());
        for (List<String> row : t.rows()) {
            all.add(row.stream().map(c -> c.length() > 60 ? c.substring(0, 57) + "..." : c).toList());
        }
        int[] w = new int[t.header().size()];
        for (List<String> row : all) {
            for (int i = 0; i < row.size(); i++) {
                w[i] = Math.max(w[i], row.get(i).length());
            }
        }
        StringBuilder out = new StringBuilder();
        for (List<String> row : all) {
            out.append("  ");
            for (int i = 0; i < row.size(); i++) {
                out.append(i == 0 ? String.format("%-" + w[i] + "s", row.get(i))
                        : String.format("  %-" + w[i] + "s", row.get(i)));
            }
            out.append('\n');
        }
        return out.toString();
    }
}
