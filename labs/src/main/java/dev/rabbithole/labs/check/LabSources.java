package dev.rabbithole.labs.check;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Generates every lab's skeleton and reference solution from one annotated runtime, {@code labs/master/LabRuntime.java},
 * so that lab N's skeleton is exactly lab N-1's solution plus lab N's TODOs (the rubber-docker way).
 *
 * <p>Markers, each on a line of its own: {@code //@ NN} opens a block of lab NN's code: it is in the solutions of lab
 * NN and later and in the skeletons after NN; in skeleton NN its {@code //@todo TEXT} lines become
 * {@code // TODO(lab NN): TEXT} and its {@code //@skel CODE} lines become code. {@code //@ <NN} opens a block of code
 * that lab NN replaces: it is in every lab before NN and in skeleton NN. {@code //@ end} closes a block; blocks nest.
 *
 * <p>Nothing generated is committed: the build writes every skeleton and solution under
 * {@code labs/target/generated-labs} (the book's listings and the checker tests read them there), and {@code lab.sh}
 * asks the labs jar for one lab's skeleton or solution when an attendee starts, resets or solves a lab. The master
 * travels inside the jar as the resource {@value #MASTER_RESOURCE}.
 */
public final class LabSources {
    private LabSources() {}

    /** The number of labs. */
    public static final int LABS = 15;

    /** The class-path name of the annotated master inside the labs jar. */
    public static final String MASTER_RESOURCE = "/dev/rabbithole/labs/master/LabRuntime.java";

    private static final Pattern OPEN = Pattern.compile("\\s*//@ (<?)(\\d\\d)\\s*");
    private static final Pattern END = Pattern.compile("\\s*//@ end\\s*");
    private static final Pattern TODO = Pattern.compile("(\\s*)//@todo (.*)");
    private static final Pattern SKEL = Pattern.compile("(\\s*)//@skel (.*)");

    private record Block(boolean replaced, int lab) {
        boolean shows(int n, boolean solution) {
            if (replaced) return n < lab || (n == lab && !solution);
            return n > lab || (n == lab && solution);
        }
    }

    /**
     * @param master   the annotated runtime's text
     * @param lab      1..15
     * @param solution true for the reference solution, false for the skeleton
     * @return the Java source of class {@code dev.rabbithole.labs.labNN.LabNN}
     * @throws IllegalArgumentException on unbalanced markers
     */
    public static String generate(String master, int lab, boolean solution) {
        String nn = String.format("%02d", lab);
        return select(master, lab, solution)
                .replace("package dev.rabbithole.labs.master;", "package dev.rabbithole.labs.lab" + nn + ";")
                .replace("LabRuntime", "Lab" + nn)
                .replace("@@LAB@@", nn);
    }

    /**
     * The lines of lab {@code lab}'s skeleton or solution before the class is renamed ({@code LabRuntime},
     * {@code @@LAB@@} still in place), so that two labs' texts compare line by line.
     *
     * @param master   the annotated runtime's text
     * @param lab      1..15
     * @param solution true for the reference solution, false for the skeleton
     * @return the selected lines, markers resolved
     * @throws IllegalArgumentException on unbalanced markers
     */
    public static String select(String master, int lab, boolean solution) {
        String nn = String.format("%02d", lab);
        StringBuilder out = new StringBuilder();
        Deque<Block> open = new ArrayDeque<>();
        String[] lines = master.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i];
            Matcher m = OPEN.matcher(line);
            if (m.matches()) {
                open.push(new Block(!m.group(1).isEmpty(), Integer.parseInt(m.group(2))));
                continue;
            }
            if (END.matcher(line).matches()) {
                if (open.isEmpty()) throw new IllegalArgumentException("//@ end without a block");
                open.pop();
                continue;
            }
            Matcher todo = TODO.matcher(line), skel = SKEL.matcher(line);
            boolean special = todo.matches() || skel.matches();
            boolean visible = true;
            int depth = 0;
            for (Block b : open) {
                boolean innermost = depth++ == 0;
                if (innermost && special) {
                    visible &= !b.replaced() && b.lab() == lab && !solution;
                } else {
                    visible &= b.shows(lab, solution);
                }
            }
            if (special && open.isEmpty()) throw new IllegalArgumentException("marker outside a block: " + line);
            if (!visible) continue;
            if (todo.matches()) {
                out.append(indentOfNextCode(lines, i)).append("// TODO(lab ").append(nn).append("): ").append(todo.group(2)).append('\n');
            } else if (skel.matches()) {
                out.append(indentOfNextCode(lines, i)).append(skel.group(2)).append('\n');
            } else {
                out.append(line).append('\n');
            }
        }
        if (!open.isEmpty()) throw new IllegalArgumentException("unclosed block");
        return out.substring(0, out.length() - 1);
    }

    // markers sit at the start of their line; what they become takes the indentation of the code they stand for
    private static String indentOfNextCode(String[] lines, int from) {
        for (int i = from + 1; i < lines.length; i++) {
            String l = lines[i];
            if (l.isBlank() || l.stripLeading().startsWith("//@")) continue;
            return l.substring(0, l.length() - l.stripLeading().length());
        }
        return "";
    }

    /** @return the file name of lab {@code lab}'s class, relative to its directory: "labNN/LabNN.java" */
    public static String relative(int lab) {
        String nn = String.format("%02d", lab);
        return "lab" + nn + "/Lab" + nn + ".java";
    }

    /**
     * @return the annotated master's text, read from the labs jar (or the build's classes)
     * @throws IOException when the resource is missing, which means the labs module was built without it
     */
    public static String masterFromClasspath() throws IOException {
        try (var in = LabSources.class.getResourceAsStream(MASTER_RESOURCE)) {
            if (in == null) throw new IOException("the labs jar has no " + MASTER_RESOURCE + ": rebuild it (mvn -pl labs -am package)");
            return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
    }

    /**
     * Writes every lab's skeleton and solution: {@code OUT/skeletons/labNN/LabNN.java} and
     * {@code OUT/solutions/labNN/LabNN.java}. The labs module's build runs it (process-classes phase).
     *
     * @param args the master file ({@code labs/master/LabRuntime.java}) and the output directory
     * @throws IOException when a file cannot be read or written
     */
    public static void main(String[] args) throws IOException {
        if (args.length != 2) throw new IllegalArgumentException("usage: LabSources MASTER_FILE OUT_DIR");
        writeAll(Files.readString(Path.of(args[0])), Path.of(args[1]));
    }

    /**
     * Writes every lab's skeleton and solution under {@code out} ({@code skeletons/labNN/LabNN.java},
     * {@code solutions/labNN/LabNN.java}).
     *
     * @param master the annotated master's text
     * @param out    the directory to write into; created when missing
     * @throws IOException when a file cannot be written
     */
    public static void writeAll(String master, Path out) throws IOException {
        for (int n = 1; n <= LABS; n++) {
            write(out.resolve("skeletons").resolve(relative(n)), generate(master, n, false));
            write(out.resolve("solutions").resolve(relative(n)), generate(master, n, true));
        }
    }

    private static void write(Path file, String text) throws IOException {
        Files.createDirectories(file.getParent());
        Files.writeString(file, text);
    }
}
