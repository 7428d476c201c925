package dev.rabbithole.compare;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The raw figures of one comparison: every number as a {@link Figure} (written as {@code figures.csv}), the
 * sections' texts (how each was measured, process trees, the survival matrix) and the machine it ran on (written
 * with the figures as {@code report.json}).
 */
public final class Report {
    /**
     * One measured number.
     *
     * @param section the report's section, 1 to 7
     * @param stage   the stage's {@link Stage#key}
     * @param item    what was measured (e.g. {@code run --rm}, {@code shim}, {@code killed dockerd})
     * @param metric  which figure of it (e.g. {@code median}, {@code pss 10})
     * @param value   the number
     * @param unit    its unit ({@code ms}, {@code MB} (10^6 bytes), {@code s}, {@code calls}, {@code lines}, ...)
     */
    public record Figure(int section, String stage, String item, String metric, double value, String unit) { }

    /** The machine, its load and the tools: name to value, in the order found. */
    public final Map<String, String> machine = new LinkedHashMap<>();
    /** Per section (1 to 7): how it was measured. */
    public final Map<Integer, String> method = new LinkedHashMap<>();
    /** Per section, per stage: text the section shows (a tree, a note, an error). */
    public final Map<Integer, Map<String, String>> notes = new LinkedHashMap<>();
    /** Section 4: per stage, per killed role: the four answers (lives, found, exit code, leaks). */
    public final Map<String, Map<String, List<String>>> survival = new LinkedHashMap<>();
    /** Section 3: per stage, the process tree of one running container. */
    public final Map<String, List<ProcessTree.Node>> trees = new LinkedHashMap<>();
    /** Every number, in the order measured. */
    public final List<Figure> figures = new ArrayList<>();
    /** The stages compared, by key: their labels. */
    public final Map<String, String> stages = new LinkedHashMap<>();

    /**
     * Records a figure.
     *
     * @param section 1 to 7
     * @param stage   a stage key
     * @param item    what
     * @param metric  which figure
     * @param value   the number
     * @param unit    its unit
     */
    public synchronized void add(int section, String stage, String item, String metric, double value, String unit) {
        figures.add(new Figure(section, stage, item, metric, value, unit));
    }

    /**
     * Records a text of a section.
     *
     * @param section 1 to 7
     * @param stage   a stage key
     * @param text    the text
     */
    public synchronized void note(int section, String stage, String text) {
        notes.computeIfAbsent(section, k -> new LinkedHashMap<>()).merge(stage, text, (a, b) -> a + "\n" + b);
    }

    /**
     * @param section 1 to 7
     * @param stage   a stage key
     * @param item    what
     * @param metric  which figure
     * @return the figure's value, or NaN when it was not measured
     */
    public synchronized double value(int section, String stage, String item, String metric) {
        return figures.stream().filter(f -> f.section() == section && f.stage().equals(stage)
                && f.item().equals(item) && f.metric().equals(metric)).mapToDouble(Figure::value).findFirst()
                .orElse(Double.NaN);
    }

    /**
     * @param section 1 to 7
     * @return the figures of that section
     */
    public synchronized List<Figure> section(int section) {
        return figures.stream().filter(f -> f.section() == section).toList();
    }

    /**
     * Writes {@code figures.csv} (section, stage, item, metric, value, unit; RFC 4180 quoting) and
     * {@code report.json} (machine, methods, notes, survival, figures).
     *
     * @param dir the output directory (it exists)
     * @throws IOException when a file cannot be written
     */
    public void writeRaw(Path dir) throws IOException {
        StringBuilder csv = new StringBuilder("section,stage,item,metric,value,unit\n");
        for (Figure f : figures) {
            csv.append(f.section()).append(',').append(csv(f.stage())).append(',').append(csv(f.item())).append(',')
                    .append(csv(f.metric())).append(',').append(String.format(Locale.ROOT, "%.3f", f.value()))
                    .append(',').append(csv(f.unit())).append('\n');
        }
        Files.writeString(dir.resolve("figures.csv"), csv);
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("machine", machine);
        json.put("stages", stages);
        json.put("method", method);
        json.put("notes", notes);
        json.put("survival", survival);
        json.put("trees", trees);
        json.put("figures", figures);
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(dir.resolve("report.json").toFile(),
                json);
    }

    private static String csv(String s) {
        return s.contains(",") || s.contains("\"") || s.contains("\n") ? "\"" + s.replace("\"", "\"\"") + "\"" : s;
    }
}
