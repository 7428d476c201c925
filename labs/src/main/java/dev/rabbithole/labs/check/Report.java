package dev.rabbithole.labs.check;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/**
 * What a checker found: one line per property, "[ok] ..." or "[--] what is wrong: what to do", and, where the checker
 * recognised one of the usual mistakes from what it saw, a "hint:" line that names it.
 */
public final class Report {
    private final List<String> lines = new ArrayList<>();
    private final List<String> hints = new ArrayList<>();
    private int failed;
    private int properties;

    /**
     * Records one property.
     *
     * @param holds    whether it holds
     * @param property the property, said as a fact ("the workload is pid 1 in its pid namespace")
     * @param wrong    when it does not hold: what was seen and what to do
     * @return {@code holds}
     */
    public boolean check(boolean holds, String property, String wrong) {
        properties++;
        if (holds) {
            lines.add("[ok] " + property);
        } else {
            failed++;
            lines.add("[--] " + wrong);
        }
        return holds;
    }

    /**
     * Records a property that could not be tested because an earlier step failed.
     *
     * @param wrong what is missing and what to do
     */
    public void fail(String wrong) {
        check(false, "", wrong);
    }

    /**
     * Records a hint: the checker recognised a usual mistake in what it observed and says what it is.
     *
     * @param id   the mistake's short name ("proc-not-mounted"), for the tests that inject it
     * @param text what the mistake is and how to fix it
     */
    public void hint(String id, String text) {
        if (hints.contains(id)) return;
        hints.add(id);
        lines.add("     hint: " + text);
    }

    /** @return how many properties were recorded */
    public int properties() { return properties; }

    /** @return the names of the mistakes recognised, in the order they were seen */
    public List<String> hints() { return List.copyOf(hints); }

    /** @return true when every recorded property holds and there is at least one */
    public boolean passed() { return failed == 0 && properties > 0; }

    /** @return the recorded lines, in order */
    public List<String> lines() { return List.copyOf(lines); }

    /**
     * Prints the lines and a summary.
     *
     * @param out where to
     */
    public void print(PrintStream out) {
        lines.forEach(out::println);
        out.println(passed() ? "all " + properties + " properties hold."
                : failed + " of " + properties + " properties do not hold yet.");
    }
}
