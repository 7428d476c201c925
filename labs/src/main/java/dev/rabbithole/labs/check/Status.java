package dev.rabbithole.labs.check;

import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code lab status}: runs the checker of every lab the attendee has started and says, one line per lab, which pass
 * now. A started lab is a folder {@code WORK/labNN} holding {@code LabNN.java} (what {@code lab start N} writes).
 */
public final class Status {
    private Status() {}

    /**
     * One lab's state.
     *
     * @param lab     1..16
     * @param started whether WORK/labNN/LabNN.java exists
     * @param passed  whether every property held (false when not started)
     * @param summary "passes (N properties)", the first property that does not hold, or "not started"
     */
    public record Row(int lab, boolean started, boolean passed, String summary) {}

    /**
     * Checks every started lab, quietly.
     *
     * @param work the attendee's work folder (labs/work)
     * @return one row per lab, 1..16
     * @throws Exception when a checker's temporary files cannot be handled
     */
    public static List<Row> rows(Path work) throws Exception {
        List<Row> rows = new ArrayList<>();
        PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());
        for (int lab = 1; lab <= LabSources.LABS; lab++) {
            Path file = work.resolve(LabSources.relative(lab));
            if (!Files.isRegularFile(file)) {
                rows.add(new Row(lab, false, false, "not started"));
                continue;
            }
            Report r = Checks.run(lab, file.getParent(), quiet);
            String firstWrong = r.lines().stream().filter(l -> l.startsWith("[--] ")).findFirst().map(l -> l.substring(5)).orElse("");
            String summary = r.passed() ? "passes (" + r.properties() + " properties)" : "does not pass yet: " + firstLine(firstWrong);
            rows.add(new Row(lab, true, r.passed(), summary));
        }
        return rows;
    }

    private static String firstLine(String s) {
        String l = s.lines().findFirst().orElse("");
        return l.length() > 160 ? l.substring(0, 157) + "..." : l;
    }

    /**
     * Prints the rows as they come.
     *
     * @param work the attendee's work folder
     * @param out  where to
     * @return true when at least one lab is started and every started lab passes
     * @throws Exception when a checker's temporary files cannot be handled
     */
    public static boolean run(Path work, PrintStream out) throws Exception {
        List<Row> rows = rows(work);
        for (Row row : rows) {
            out.printf("%02d  %-6s %s%n", row.lab(), !row.started() ? "" : row.passed() ? "[ok]" : "[--]", row.summary());
        }
        boolean any = rows.stream().anyMatch(Row::started);
        boolean all = any && rows.stream().filter(Row::started).allMatch(Row::passed);
        out.println(!any ? "no lab started yet: ./rabbithole lab start 01"
                : all ? "every started lab passes." : "run sudo ./rabbithole lab check N for the details of a lab that does not pass.");
        return all;
    }
}
