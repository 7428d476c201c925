package dev.rabbithole.labs.check;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;

/** The checkers, one per lab, and running one against a directory of sources. */
public final class Checks {
    private Checks() {}

    /** Every checker, in lab order. */
    public static final List<Checker> ALL = List.of(new Lab01Check(), new Lab02Check(), new Lab03Check(), new Lab04Check(),
            new Lab05Check(), new Lab06Check(), new Lab07Check(), new Lab08Check(), new Lab09Check(), new Lab10Check(),
            new Lab11Check(), new Lab12Check(), new Lab13Check(), new Lab14Check(),
            new Lab15Check(), new Lab16Check());

    /**
     * @param lab 1..16
     * @return its checker
     * @throws IllegalArgumentException for another number
     */
    public static Checker of(int lab) {
        if (lab < 1 || lab > ALL.size()) throw new IllegalArgumentException("there are labs 01 to " + ALL.size());
        return ALL.get(lab - 1);
    }

    /**
     * Compiles a lab's sources and checks them.
     *
     * @param lab    1..16
     * @param source the directory with LabNN.java
     * @param log    where to say what happens (the report is printed by the caller)
     * @return the report; it fails when the code does not compile or the check breaks
     * @throws Exception when the temporary files cannot be handled
     */
    public static Report run(int lab, Path source, PrintStream log) throws Exception {
        Report report = new Report();
        try (Context ctx = Context.compile(lab, source)) {
            if (ctx.compileErrors() != null) {
                report.fail("your code does not compile:\n" + ctx.compileErrors().strip());
                return report;
            }
            try {
                of(lab).check(ctx, report);
            } catch (Exception | Error e) {
                report.fail("the check stopped with " + e + " (see above what holds so far)");
            }
        }
        return report;
    }
}
