package dev.rabbithole.labs.check;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/** What a checker found: one line per property, "[ok] ..." or "[--] what is wrong: what to do". */
public final class Report {
    private final List<String> lines = new ArrayList<>();
    private int failed;

    /**
     * Records one property.
     *
     * @param holds    whether it holds
     * @param property the property, said as a fact ("the workload is pid 1 in its pid namespace")
     * @param wrong    when it does not hold: what was seen and what to do
     * @return {@code holds}
     */
    public boolean check(boolean holds, String property, String wrong) {
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

    /** @return true when every recorded property holds and there is at least one */
    public boolean passed() { return failed == 0 && !lines.isEmpty(); }

    /** @return the recorded lines, in order */
    public List<String> lines() { return List.copyOf(lines); }

    /**
     * Prints the lines and a summary.
     *
     * @param out where to
     */
    public void print(PrintStream out) {
        lines.forEach(out::println);
        out.println(passed() ? "all " + lines.size() + " properties hold."
                : failed + " of " + lines.size() + " properties do not hold yet.");
    }
}
