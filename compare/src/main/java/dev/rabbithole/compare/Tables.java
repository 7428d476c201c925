package dev.rabbithole.compare;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** The report's tables, one or more per section, shared by the terminal summary and the HTML report. */
final class Tables {
    private Tables() { }

    /**
     * One table.
     *
     * @param section 1 to 7
     * @param title   its title
     * @param header  the column names
     * @param rows    the cells, row by row
     */
    record Table(int section, String title, List<String> header, List<List<String>> rows) { }

    static final Map<Integer, String> TITLES = Map.of(
            1, "Start latency",
            2, "Memory (PSS)",
            3, "Process tree and IPC hops",
            4, "What survives a kill -9",
            5, "Concurrent starts",
            6, "Kernel work per start",
            7, "Lines of code");

    static List<Table> all(Report r) {
        List<Table> out = new ArrayList<>();
        out.add(latency(r));
        out.add(memory(r));
        out.add(trees(r));
        out.add(survival(r));
        out.add(load(r));
        out.add(kernel(r));
        out.add(code(r));
        return out;
    }

    /**
     * The tables as AsciiDoc, each between {@code tag::section-N[]} and {@code end::section-N[]} comments so that
     * a book can include one section's table.
     */
    static String asciidoc(Report r) {
        StringBuilder out = new StringBuilder("// written by rabbithole compare from report.json\n");
        for (Table t : all(r)) {
            out.append("// tag::section-").append(t.section()).append("[]\n");
            out.append("[options=\"header\"]\n|===\n");
            t.header().forEach(h -> out.append("| ").append(cell(h)).append(' '));
            out.append("\n");
            for (List<String> row : t.rows()) {
                row.forEach(c -> out.append("| ").append(cell(c)).append(' '));
                out.append("\n");
            }
            out.append("|===\n// end::section-").append(t.section()).append("[]\n\n");
        }
        return out.toString();
    }

    private static String cell(String c) {
        // +...+: no substitution (run --rm keeps its two hyphens); a cell holding + itself stays plain
        return c.isEmpty() ? "" : c.contains("+") ? c.replace("|", "\\|") : "+" + c.replace("|", "\\|") + "+";
    }

    static String label(Report r, String key) {
        return r.stages.getOrDefault(key, key);
    }

    static String num(double v, String fmt) {
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, fmt, v);
    }

    private static Table latency(Report r) {
        List<List<String>> rows = new ArrayList<>();
        for (String s : r.stages.keySet()) {
            List<String> row = new ArrayList<>(List.of(label(r, s)));
            for (String item : List.of("run --rm", "run -d")) {
                row.add(num(r.value(1, s, item, "median"), "%.0f ms"));
                row.add(num(r.value(1, s, item, "p90"), "%.0f ms"));
                row.add(num(r.value(1, s, item, "ratio to docker"), "%.2fx"));
            }
            rows.add(row);
        }
        return new Table(1, TITLES.get(1), List.of("stage", "run --rm median", "p90", "vs docker", "run -d median",
                "p90", "vs docker"), rows);
    }

    private static Table memory(Report r) {
        List<List<String>> rows = new ArrayList<>();
        String many = r.section(2).stream().map(Report.Figure::metric).filter(m -> m.startsWith("pss "))
                .map(m -> m.substring(4)).filter(m -> !m.equals("0") && !m.equals("1")).findFirst().orElse("10");
        for (String s : r.stages.keySet()) {
            Set<String> roles = new LinkedHashSet<>();
            r.section(2).stream().filter(f -> f.stage().equals(s) && !f.item().equals("total"))
                    .forEach(f -> roles.add(f.item()));
            for (String role : roles) {
                rows.add(List.of(label(r, s), role,
                        cell(r, s, role, "0"), cell(r, s, role, "1"), cell(r, s, role, many), ""));
            }
            if (!roles.isEmpty()) {
                rows.add(List.of(label(r, s), "total", num(r.value(2, s, "total", "pss 0"), "%.1f MB"),
                        num(r.value(2, s, "total", "pss 1"), "%.1f MB"), num(r.value(2, s, "total", "pss " + many),
                        "%.1f MB"), num(r.value(2, s, "total", "per container"), "%.2f MB")));
            }
        }
        return new Table(2, TITLES.get(2), List.of("stage", "process", "0 containers", "1 container",
                many + " containers", "per container"), rows);
    }

    private static String cell(Report r, String s, String role, String n) {
        double pss = r.value(2, s, role, "pss " + n);
        double count = r.value(2, s, role, "processes " + n);
        if (Double.isNaN(pss)) {
            return "-";
        }
        return String.format(Locale.ROOT, "%.1f MB", pss) + (count > 1 ? String.format(Locale.ROOT, " (%.0fx)", count) : "");
    }

    private static Table trees(Report r) {
        List<List<String>> rows = new ArrayList<>();
        for (String s : r.stages.keySet()) {
            Stage st = Stage.byKey(s);
            StringBuilder hops = new StringBuilder();
            for (Stage.Hop h : st.hops()) {
                hops.append(hops.length() == 0 ? "" : "; ").append(h.from()).append(" -> ").append(h.to()).append(": ")
                        .append(h.protocol());
            }
            rows.add(List.of(label(r, s), num(r.value(3, s, "processes", "running container"), "%.0f"),
                    num(r.value(3, s, "processes", "JVMs"), "%.0f"),
                    st.transients().isEmpty() ? "none" : String.join(", ", st.transients()),
                    Integer.toString(st.hops().size()), hops.toString()));
        }
        return new Table(3, TITLES.get(3), List.of("stage", "processes", "JVMs", "exit after start", "IPC hops",
                "hops of docker run (protocol)"), rows);
    }

    private static Table survival(Report r) {
        List<List<String>> rows = new ArrayList<>();
        r.survival.forEach((s, row) -> row.forEach((role, a) -> {
            List<String> cells = new ArrayList<>(List.of(label(r, s), "kill -9 " + role));
            cells.addAll(a);
            rows.add(cells);
        }));
        return new Table(4, TITLES.get(4), List.of("stage", "killed", "container lives?", "found after restart?",
                "exit code kept?", "leaks"), rows);
    }

    private static Table load(Report r) {
        List<List<String>> rows = new ArrayList<>();
        for (String s : r.stages.keySet()) {
            String item = "concurrent run --rm";
            rows.add(List.of(label(r, s), num(r.value(5, s, item, "started"), "%.0f"),
                    num(r.value(5, s, item, "failures"), "%.0f"), num(r.value(5, s, item, "total"), "%.1f s")));
        }
        return new Table(5, TITLES.get(5), List.of("stage", "started at once", "failures", "total time"), rows);
    }

    private static Table kernel(Report r) {
        List<List<String>> rows = new ArrayList<>();
        for (String s : r.stages.keySet()) {
            StringBuilder top = new StringBuilder();
            r.section(6).stream().filter(f -> f.stage().equals(s) && f.item().startsWith("strace ")).limit(5)
                    .forEach(f -> top.append(top.length() == 0 ? "" : ", ").append(f.item().substring(7)).append(' ')
                            .append(num(f.value(), "%.0f")));
            StringBuilder explained = new StringBuilder();
            r.section(6).stream().filter(f -> f.stage().equals(s) && f.item().startsWith("explain "))
                    .sorted((a, b) -> Double.compare(b.value(), a.value())).limit(5)
                    .forEach(f -> explained.append(explained.length() == 0 ? "" : ", ").append(f.item().substring(8))
                            .append(' ').append(num(f.value(), "%.0f")));
            rows.add(List.of(label(r, s), num(r.value(6, s, "strace", "calls"), "%.0f"),
                    num(r.value(6, s, "strace", "system time"), "%.3f s"), top.toString(),
                    num(r.value(6, s, "explain", "calls"), "%.0f"), explained.toString()));
        }
        return new Table(6, TITLES.get(6), List.of("stage", "calls (strace)", "system time", "most frequent",
                "recorded by the stage", "recorded, by kind"), rows);
    }

    private static Table code(Report r) {
        List<List<String>> rows = new ArrayList<>();
        for (String s : r.stages.keySet()) {
            if (Stage.byKey(s).isDocker()) {
                continue;   // Docker's Go code is not counted
            }
            StringBuilder comps = new StringBuilder();
            r.section(7).stream().filter(f -> f.stage().equals(s) && !f.item().equals("total"))
                    .sorted((a, b) -> Double.compare(b.value(), a.value()))
                    .forEach(f -> comps.append(comps.length() == 0 ? "" : ", ").append(f.item()).append(' ')
                            .append(num(f.value(), "%.0f")));
            String adds = r.notes.getOrDefault(7, Map.of()).getOrDefault(s, "");
            rows.add(List.of(label(r, s), num(r.value(7, s, "total", "lines"), "%.0f"),
                    num(r.value(7, s, "total", "runs on"), "%.0f"), comps.toString(),
                    adds.startsWith("adds: ") ? adds.substring(6) : adds));
        }
        return new Table(7, TITLES.get(7), List.of("stage", "own lines", "runs on", "components", "what it adds"),
                rows);
    }
}
