package dev.rabbithole.labs.check;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Generates every lab's skeleton and reference solution from an annotated master, so that lab N's skeleton is exactly
 * lab N-1's solution plus lab N's TODOs (the rubber-docker way). Labs 1 to 15 build one container runtime,
 * {@code labs/master/LabRuntime.java}; lab 16 starts a second program, the heart of a shim,
 * {@code labs/master/LabShim.java} (see {@link #master(int)}), so its skeleton is that master without lab 16's code.
 *
 * <p>Markers, each on a line of its own: {@code //@ NN} opens a block of lab NN's code: it is in the solutions of lab
 * NN and later and in the skeletons after NN; in skeleton NN its {@code //@todo TEXT} lines become
 * {@code // TODO(lab NN): TEXT} and its {@code //@skel CODE} lines become code. {@code //@ <NN} opens a block of code
 * that lab NN replaces: it is in every lab before NN and in skeleton NN. {@code //@ end} closes a block; blocks nest.
 *
 * <p>Nothing generated is committed: the build writes every skeleton and solution under
 * {@code labs/target/generated-labs} (the book's listings and the checker tests read them there), and {@code lab.sh}
 * asks the labs jar for one lab's skeleton or solution when an attendee starts, resets or solves a lab. The masters
 * travel inside the jar as resources under {@value #MASTER_DIR}.
 */
public final class LabSources {
    private LabSources() {}

    /** The number of labs. */
    public static final int LABS = 16;

    /** The first lab generated from the second master, {@code LabShim.java}. */
    public static final int FIRST_SHIM_LAB = 16;

    /** The class-path folder of the annotated masters inside the labs jar. */
    public static final String MASTER_DIR = "/dev/rabbithole/labs/master/";

    /** The class-path name of the container runtime's master inside the labs jar (labs 1 to 15). */
    public static final String MASTER_RESOURCE = MASTER_DIR + "LabRuntime.java";

    /**
     * @param lab 1..{@value #LABS}
     * @return the class name of the master lab {@code lab} is generated from: "LabRuntime" for labs 1 to 15,
     *     "LabShim" from lab 16 on
     */
    public static String master(int lab) {
        return lab >= FIRST_SHIM_LAB ? "LabShim" : "LabRuntime";
    }

    /**
     * @param lab 1..{@value #LABS}
     * @return true when lab {@code lab} starts its master (lab 1, lab 16): its skeleton has no previous lab's solution
     */
    public static boolean firstOfItsMaster(int lab) {
        return lab == 1 || lab == FIRST_SHIM_LAB;
    }

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
     * @param master   the text of the lab's annotated master ({@link #master(int)})
     * @param lab      1..{@value #LABS}
     * @param solution true for the reference solution, false for the skeleton
     * @return the Java source of class {@code dev.rabbithole.labs.labNN.LabNN}
     * @throws IllegalArgumentException on unbalanced markers
     */
    public static String generate(String master, int lab, boolean solution) {
        String nn = String.format("%02d", lab);
        return select(master, lab, solution)
                .replace("package dev.rabbithole.labs.master;", "package dev.rabbithole.labs.lab" + nn + ";")
                .replace(master(lab), "Lab" + nn)
                .replace("@@LAB@@", nn);
    }

    /**
     * The lines of lab {@code lab}'s skeleton or solution before the class is renamed (the master's class name,
     * {@code @@LAB@@} still in place), so that two labs' texts compare line by line.
     *
     * @param master   the text of the lab's annotated master
     * @param lab      1..{@value #LABS}
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
     * @param lab 1..{@value #LABS}
     * @return the text of lab {@code lab}'s annotated master, read from the labs jar (or the build's classes)
     * @throws IOException when the resource is missing, which means the labs module was built without it
     */
    public static String masterFromClasspath(int lab) throws IOException {
        String resource = MASTER_DIR + master(lab) + ".java";
        try (var in = LabSources.class.getResourceAsStream(resource)) {
            if (in == null) throw new IOException("the labs jar has no " + resource + ": rebuild it (mvn -pl labs -am package)");
            return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
    }

    /**
     * @return the container runtime's annotated master (labs 1 to 15), read from the labs jar
     * @throws IOException when the resource is missing
     */
    public static String masterFromClasspath() throws IOException {
        return masterFromClasspath(1);
    }

    /**
     * Writes every lab's skeleton and solution: {@code OUT/skeletons/labNN/LabNN.java} and
     * {@code OUT/solutions/labNN/LabNN.java}. The labs module's build runs it (process-classes phase).
     *
     * @param args the masters' folder ({@code labs/master}) and the output directory
     * @throws IOException when a file cannot be read or written
     */
    public static void main(String[] args) throws IOException {
        if (args.length != 2) throw new IllegalArgumentException("usage: LabSources MASTER_DIR OUT_DIR");
        writeAll(Path.of(args[0]), Path.of(args[1]));
    }

    /**
     * Writes every lab's skeleton and solution under {@code out} ({@code skeletons/labNN/LabNN.java},
     * {@code solutions/labNN/LabNN.java}), each from its master in {@code masters}.
     *
     * @param masters the folder of the annotated masters ({@code labs/master}: LabRuntime.java, LabShim.java)
     * @param out     the directory to write into; created when missing
     * @throws IOException when a file cannot be read or written
     */
    public static void writeAll(Path masters, Path out) throws IOException {
        for (int n = 1; n <= LABS; n++) {
            String master = Files.readString(masters.resolve(master(n) + ".java"));
            write(out.resolve("skeletons").resolve(relative(n)), generate(master, n, false));
            write(out.resolve("solutions").resolve(relative(n)), generate(master, n, true));
        }
    }

    private static void write(Path file, String text) throws IOException {
        Files.createDirectories(file.getParent());
        Files.writeString(file, text);
    }
}
