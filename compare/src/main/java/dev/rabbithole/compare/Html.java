package dev.rabbithole.compare;

import org.jfree.chart.ChartFactory;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.renderer.category.BarRenderer;
import org.jfree.chart.renderer.category.StandardBarPainter;
import org.jfree.data.category.DefaultCategoryDataset;
import org.jfree.svg.SVGGraphics2D;

import java.awt.Color;
import java.awt.Font;
import java.awt.Rectangle;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The HTML report: one self-contained file (no script, no external file), its charts drawn by JFreeChart and
 * written as inline SVG by JFreeSVG, its process trees drawn as SVG boxes, each section with how it was measured
 * and the machine it ran on. Each chart is also written alone, as {@code charts/section-N.svg} and
 * {@code charts/tree-STAGE.svg} beside the report, and the tables as {@code tables.adoc}, for the book.
 */
public final class Html {
    private Html() { }

    private static final Color[] SERIES = {new Color(0x4472c4), new Color(0xed7d31), new Color(0x70ad47),
        new Color(0x7f6084), new Color(0x5b9bd5)};
    private static int charts;

    /**
     * Writes the report.
     *
     * @param r    the figures
     * @param file the HTML file to write
     * @throws IOException when it cannot be written
     */
    public static void write(Report r, Path file) throws IOException {
        System.setProperty("java.awt.headless", "true");
        Files.writeString(file, page(r));
        Files.writeString(file.resolveSibling("tables.adoc"), Tables.asciidoc(r));
        Path charts = Files.createDirectories(file.resolveSibling("charts"));
        for (int section : List.of(1, 2, 5, 6, 7)) {
            String svg = chart(r, section);
            if (svg != null) {
                Files.writeString(charts.resolve("section-" + section + ".svg"), svg + "\n");
            }
        }
        for (Map.Entry<String, List<ProcessTree.Node>> t : r.trees.entrySet()) {
            Files.writeString(charts.resolve("tree-" + t.getKey() + ".svg"),
                    treeSvg(t.getValue(), Stage.byKey(t.getKey())) + "\n");
        }
    }

    /**
     * @param r the figures
     * @return the whole page
     */
    static String page(Report r) {
        StringBuilder h = new StringBuilder("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                + "<title>rabbithole compare</title><style>"
                + "body{font-family:DejaVu Sans,Helvetica,Arial,sans-serif;max-width:1100px;margin:2em auto;color:#222}"
                + "table{border-collapse:collapse;margin:.5em 0 1em}td,th{border:1px solid #bbb;padding:3px 8px;"
                + "font-size:13px;text-align:left;vertical-align:top}th{background:#eee}"
                + ".how{font-size:13px;color:#444;background:#f7f7f7;padding:6px 10px;border-left:3px solid #4472c4}"
                + "pre{background:#f4f4f4;padding:8px;font-size:12px;overflow-x:auto}"
                + ".yes{background:#d9f2d0}.no{background:#f8d0cc}.na{background:#eee}"
                + ".trees{display:flex;flex-wrap:wrap;gap:16px}.trees div{flex:0 0 auto}"
                + "</style></head><body>\n<h1>rabbithole compare: the architectures side by side</h1>\n");
        h.append("<p>Machine: ").append(esc(machineLine(r))).append("</p>\n");
        for (Tables.Table t : Tables.all(r)) {
            h.append("<h2>").append(t.section()).append(". ").append(esc(t.title())).append("</h2>\n");
            h.append("<p class=\"how\"><b>How measured:</b> ").append(esc(r.method.getOrDefault(t.section(), "")))
                    .append(" <b>Machine:</b> ").append(esc(machineLine(r))).append("</p>\n");
            String chart = chart(r, t.section());
            if (chart != null) {
                h.append(chart).append('\n');
            }
            if (t.section() == 3) {
                h.append("<div class=\"trees\">");
                r.trees.forEach((s, nodes) -> h.append("<div><b>").append(esc(Tables.label(r, s))).append("</b><br>")
                        .append(treeSvg(nodes, Stage.byKey(s))).append("</div>"));
                h.append("</div>\n");
            }
            h.append(table(t));
            Map<String, String> notes = r.notes.getOrDefault(t.section(), Map.of());
            if (t.section() != 7) {
                notes.forEach((s, text) -> h.append("<p><b>").append(esc(Tables.label(r, s))).append("</b></p><pre>")
                        .append(esc(text)).append("</pre>\n"));
            }
        }
        h.append("<p>Raw figures: figures.csv and report.json beside this file.</p></body></html>\n");
        return h.toString();
    }

    static String machineLine(Report r) {
        Map<String, String> m = r.machine;
        return m.get("cores") + " cores (" + m.get("cpu") + "), " + m.get("memory") + ", " + m.get("kernel")
                + "; load average before " + m.getOrDefault("load before", "?") + ", after "
                + m.getOrDefault("load after", "?") + "; " + m.get("mode") + "; " + m.get("docker CLI") + "; "
                + m.get("daemons' java") + "; " + m.get("date");
    }

    private static String table(Tables.Table t) {
        StringBuilder h = new StringBuilder("<table><tr>");
        t.header().forEach(c -> h.append("<th>").append(esc(c)).append("</th>"));
        h.append("</tr>\n");
        for (List<String> row : t.rows()) {
            h.append("<tr>");
            for (String c : row) {
                String cls = t.section() != 4 ? "" : c.startsWith("yes") || c.equals("none") ? " class=\"yes\""
                        : c.startsWith("no") || c.matches("[0-9]+ \\(.*") ? " class=\"no\""
                        : c.startsWith("n/a") ? " class=\"na\"" : "";
                h.append("<td").append(cls).append('>').append(esc(c)).append("</td>");
            }
            h.append("</tr>\n");
        }
        return h.append("</table>\n").toString();
    }

    /** @return the section's chart as an inline SVG element, or null when the section has none or no figures */
    static String chart(Report r, int section) {
        DefaultCategoryDataset d = new DefaultCategoryDataset();
        String title;
        String axis;
        switch (section) {
            case 1 -> {
                title = "Start latency, median (ms; lower is faster)";
                axis = "ms";
                for (String s : r.stages.keySet()) {
                    for (String item : List.of("run --rm", "run -d")) {
                        put(d, r.value(1, s, item, "median"), item, Tables.label(r, s));
                    }
                }
            }
            case 2 -> {
                title = "Memory of the engine's processes, PSS (MB)";
                axis = "MB";
                List<String> counts = new ArrayList<>();
                r.section(2).stream().filter(f -> f.item().equals("total") && f.metric().startsWith("pss "))
                        .map(f -> f.metric().substring(4)).distinct().forEach(counts::add);
                for (String n : counts) {
                    for (String s : r.stages.keySet()) {
                        put(d, r.value(2, s, "total", "pss " + n), n + (n.equals("1") ? " container" : " containers"),
                                Tables.label(r, s));
                    }
                }
            }
            case 5 -> {
                title = "Concurrent `run --rm`: total time (s)";
                axis = "s";
                for (String s : r.stages.keySet()) {
                    put(d, r.value(5, s, "concurrent run --rm", "total"), "total time", Tables.label(r, s));
                }
            }
            case 6 -> {
                title = "Kernel calls of one `run --rm busybox true` (strace -f -c of the engine)";
                axis = "calls";
                for (String s : r.stages.keySet()) {
                    put(d, r.value(6, s, "strace", "calls"), "calls (strace)", Tables.label(r, s));
                    put(d, r.value(6, s, "explain", "calls"), "recorded by the stage", Tables.label(r, s));
                }
            }
            case 7 -> {
                title = "Lines of main code";
                axis = "lines";
                for (String s : r.stages.keySet()) {
                    put(d, r.value(7, s, "total", "lines"), "own", Tables.label(r, s));
                    put(d, r.value(7, s, "total", "runs on"), "runs on (with the stages below it)", Tables.label(r, s));
                }
            }
            default -> {
                return null;
            }
        }
        if (d.getColumnCount() == 0) {
            return null;
        }
        JFreeChart chart = ChartFactory.createBarChart(title, null, axis, d, PlotOrientation.HORIZONTAL, true, false,
                false);
        chart.setBackgroundPaint(Color.WHITE);
        chart.getTitle().setFont(new Font("SansSerif", Font.BOLD, 14));
        CategoryPlot plot = chart.getCategoryPlot();
        plot.setBackgroundPaint(Color.WHITE);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        plot.getRangeAxis().setUpperMargin(0.15);   // room for the longest bar's label
        BarRenderer renderer = (BarRenderer) plot.getRenderer();
        renderer.setBarPainter(new StandardBarPainter());
        renderer.setShadowVisible(false);
        renderer.setItemMargin(0.05);
        for (int i = 0; i < SERIES.length; i++) {
            renderer.setSeriesPaint(i, SERIES[i]);
        }
        renderer.setDefaultItemLabelGenerator(new org.jfree.chart.labels.StandardCategoryItemLabelGenerator(
                "{2}", new java.text.DecimalFormat("#,##0.#")));
        renderer.setDefaultItemLabelsVisible(true);
        int height = 80 + d.getColumnCount() * (18 * d.getRowCount() + 14);
        SVGGraphics2D g2 = new SVGGraphics2D(900, height);
        g2.setDefsKeyPrefix("c" + (++charts) + "_");
        chart.draw(g2, new Rectangle(0, 0, 900, height));
        return g2.getSVGElement();
    }

    private static void put(DefaultCategoryDataset d, double v, String series, String category) {
        if (!Double.isNaN(v)) {
            d.addValue(v, series, category);
        }
    }

    /**
     * The process tree as SVG: a box per process, indented under its parent; JVMs orange, the workload green, the
     * processes that exit after the start dashed (from the stage's table, drawn under the process that runs them).
     */
    static String treeSvg(List<ProcessTree.Node> nodes, Stage stage) {
        List<String[]> rows = new ArrayList<>();   // depth, label, kind
        for (ProcessTree.Node n : nodes) {
            if (nodes.stream().noneMatch(p -> p.pid() == n.parent())) {
                layout(n, nodes, 0, rows, stage);
            }
        }
        int w = 420;
        int h = rows.size() * 30 + 10;
        StringBuilder s = new StringBuilder(String.format(Locale.ROOT,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\" "
                        + "font-size=\"12\">", w, h));
        int[] lastAtDepth = new int[32];
        for (int i = 0; i < rows.size(); i++) {
            int depth = Integer.parseInt(rows.get(i)[0]);
            int x = 5 + depth * 28;
            int y = 5 + i * 30;
            if (depth > 0) {
                int py = 5 + lastAtDepth[depth - 1] * 30 + 22;
                int px = 5 + (depth - 1) * 28 + 12;
                s.append(String.format(Locale.ROOT, "<path d=\"M%d %d V%d H%d\" stroke=\"#888\" fill=\"none\"/>",
                        px, py, y + 11, x));
            }
            lastAtDepth[depth] = i;
            String kind = rows.get(i)[2];
            String fill = switch (kind) {
                case "jvm" -> "#fbe5d6";
                case "workload" -> "#e2f0d9";
                case "transient" -> "#ffffff";
                default -> "#dde5f3";
            };
            s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"22\" rx=\"4\" "
                    + "fill=\"%s\" stroke=\"#555\"%s/>", x, y, w - x - 5, fill,
                    kind.equals("transient") ? " stroke-dasharray=\"4 3\"" : ""));
            s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\">%s</text>", x + 6, y + 15,
                    esc(rows.get(i)[1])));
        }
        return s.append("</svg>").toString();
    }

    private static void layout(ProcessTree.Node n, List<ProcessTree.Node> nodes, int depth, List<String[]> rows,
                               Stage stage) {
        String label = n.role() + " " + n.pid() + (n.jvm() ? " (JVM)" : "")
                + (depth == 0 && n.parent() == 1 ? " (parent: pid 1)" : "");
        if (n.role().equals("workload")) {
            String args = n.args();
            label = "workload " + n.pid() + ": " + (args.length() > 30 ? args.substring(0, 30) + "..." : args);
        }
        rows.add(new String[] {Integer.toString(depth), label,
            n.role().equals("workload") ? "workload" : n.jvm() ? "jvm" : "native"});
        if (n.role().equals("shim")) {
            for (String t : stage.transients()) {
                rows.add(new String[] {Integer.toString(depth + 1), t + ": exited after create and start",
                    "transient"});
            }
        }
        for (ProcessTree.Node c : nodes) {
            if (c.parent() == n.pid()) {
                layout(c, nodes, depth + 1, rows, stage);
            }
        }
    }

    static String esc(String s) {
        return s == null ? "" : s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                .replace("\"", "&quot;");
    }
}
