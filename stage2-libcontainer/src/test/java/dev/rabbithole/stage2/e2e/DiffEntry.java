package dev.rabbithole.stage2.e2e;

import java.util.ArrayList;
import java.util.List;

/**
 * One entry of the differential catalogue ({@link DifferentialCatalogue}): a few steps run in order against
 * each engine (Docker, stage 1, stage 2, stage 3), and what each stage is expected to show beside Docker.
 *
 * <p>A step's command line is written as a shell would read it (single quotes literal, double quotes with
 * {@code \"} and {@code \\}, blanks separate words) but no shell runs: the words go to {@code docker -H SOCK}
 * (or, for {@link #host}, straight to the host). {@code {tmp}} in a word is a temporary directory of the engine's
 * own; {@code {last}} is the trimmed standard output of the step before.
 *
 * @param name     short unique name, also the prefix of the entry's container names ({@code dt-NAME})
 * @param about    what the entry shows, with the issue item it covers
 * @param steps    the steps, in order
 * @param stage1   what stage 1 is expected to show
 * @param stage2   what stage 2 (native driver) is expected to show
 * @param stage3   what stage 3 (dockerd, containerd, our shim and runc) is expected to show, or that it is not run
 * @param stderr   whether standard error is compared too (by default only the exit codes and standard output)
 * @param keepSize whether sizes ({@code 2.18MB}) are compared as printed instead of normalised
 */
public record DiffEntry(String name, String about, List<Step> steps, Expect stage1, Expect stage2, Expect stage3,
                        boolean stderr, boolean keepSize) {

    /**
     * What a stage is expected to show beside Docker: the same (MATCH), a difference, with the reason, or nothing
     * because the entry is not run on it (with the reason; remove it once the stage can run the entry).
     */
    public record Expect(boolean match, String reason, boolean skipped) {
        /** The stage shows what Docker shows. */
        public static final Expect MATCH = new Expect(true, "", false);

        static Expect differs(String reason) {
            return new Expect(false, reason, false);
        }

        static Expect notRun(String reason) {
            return new Expect(false, reason, true);
        }

        @Override
        public String toString() {
            return skipped ? "NOT RUN (" + reason + ")" : match ? "MATCH" : "DIFFERS (" + reason + ")";
        }
    }

    /** How a step runs. */
    public enum Kind {
        /** {@code docker -H SOCK WORDS}: exit code and output compared. */
        DOCKER,
        /** {@code docker -H SOCK WORDS}, output kept for {@code {last}} but not compared (host pids, say). */
        QUIET,
        /** WORDS on the host (e.g. {@code nsenter}): compared. */
        HOST,
        /** {@code docker -H SOCK WORDS} repeated until its standard output contains {@link Step#expect}
         * (at most 30 s); compared as "seen" or "not seen". */
        AWAIT,
        /** {@code docker -H SOCK WORDS}, and whether it ended within {@link Step#seconds}: compared. */
        TIMED
    }

    /**
     * @param kind    how it runs
     * @param line    the command line (see the class comment)
     * @param expect  for {@link Kind#AWAIT}: the text awaited in standard output
     * @param seconds for {@link Kind#TIMED}: the limit, seconds
     * @param grep    when not null, only the output lines containing it are compared
     */
    public record Step(Kind kind, String line, String expect, int seconds, String grep) { }

    static Builder entry(String name, String about) {
        return new Builder(name, about);
    }

    /** Builds an entry; every stage is expected to MATCH unless told otherwise. */
    static final class Builder {
        private final String name;
        private final String about;
        private final List<Step> steps = new ArrayList<>();
        private Expect stage1 = Expect.MATCH;
        private Expect stage2 = Expect.MATCH;
        private Expect stage3 = Expect.MATCH;
        private boolean stderr;
        private boolean keepSize;

        private Builder(String name, String about) {
            this.name = name;
            this.about = about;
        }

        Builder docker(String line) {
            steps.add(new Step(Kind.DOCKER, line, null, 0, null));
            return this;
        }

        /** A docker step of which only the output lines containing {@code grep} are compared. */
        Builder dockerGrep(String line, String grep) {
            steps.add(new Step(Kind.DOCKER, line, null, 0, grep));
            return this;
        }

        Builder quiet(String line) {
            steps.add(new Step(Kind.QUIET, line, null, 0, null));
            return this;
        }

        Builder host(String line) {
            steps.add(new Step(Kind.HOST, line, null, 0, null));
            return this;
        }

        Builder await(String line, String expect) {
            steps.add(new Step(Kind.AWAIT, line, expect, 0, null));
            return this;
        }

        Builder timed(String line, int seconds) {
            steps.add(new Step(Kind.TIMED, line, null, seconds, null));
            return this;
        }

        Builder stage1Differs(String reason) {
            stage1 = Expect.differs(reason);
            return this;
        }

        Builder stage2Differs(String reason) {
            stage2 = Expect.differs(reason);
            return this;
        }

        Builder stage3Differs(String reason) {
            stage3 = Expect.differs(reason);
            return this;
        }

        /** The entry is not run on stage 3, for the reason given (a stage-3 bug being fixed, say). */
        Builder stage3NotRun(String reason) {
            stage3 = Expect.notRun(reason);
            return this;
        }

        Builder bothDiffer(String reason) {
            return stage1Differs(reason).stage2Differs(reason);
        }

        Builder compareStderr() {
            stderr = true;
            return this;
        }

        Builder keepSizes() {
            keepSize = true;
            return this;
        }

        DiffEntry build() {
            return new DiffEntry(name, about, List.copyOf(steps), stage1, stage2, stage3, stderr, keepSize);
        }
    }

    /**
     * Splits a command line into words as a POSIX shell would (without expansions): blanks separate words,
     * single quotes keep everything, double quotes keep everything but {@code \"} and {@code \\}.
     *
     * @throws IllegalArgumentException on an unclosed quote
     */
    public static List<String> words(String line) {
        List<String> out = new ArrayList<>();
        StringBuilder w = new StringBuilder();
        boolean inWord = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (c == '\'') {
                int end = line.indexOf('\'', i + 1);
                if (end < 0) throw new IllegalArgumentException("unclosed ' in: " + line);
                w.append(line, i + 1, end);
                i = end;
                inWord = true;
            } else if (c == '"') {
                int j = i + 1;
                for (; j < line.length() && line.charAt(j) != '"'; j++) {
                    char d = line.charAt(j);
                    if (d == '\\' && j + 1 < line.length() && (line.charAt(j + 1) == '"' || line.charAt(j + 1) == '\\')) {
                        d = line.charAt(++j);
                    }
                    w.append(d);
                }
                if (j >= line.length()) throw new IllegalArgumentException("unclosed \" in: " + line);
                i = j;
                inWord = true;
            } else if (c == ' ' || c == '\t') {
                if (inWord) {
                    out.add(w.toString());
                    w.setLength(0);
                    inWord = false;
                }
            } else {
                w.append(c);
                inWord = true;
            }
        }
        if (inWord) out.add(w.toString());
        return out;
    }
}
