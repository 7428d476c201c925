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
 * <p>{@code java -cp labs/target/classes dev.rabbithole.labs.check.LabSources LABS_DIR} rewrites
 * {@code skeletons/}, {@code solutions/} and the attendee's working copies under {@code src/main/java}.
 */
public final class LabSources {
    private LabSources() {}

    /** The number of labs. */
    public static final int LABS = 12;

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
     * @param lab      1..12
     * @param solution true for the reference solution, false for the skeleton
     * @return the Java source of class {@code dev.rabbithole.labs.labNN.LabNN}
     * @throws IllegalArgumentException on unbalanced markers
     */
    public static String generate(String master, int lab, boolean solution) {
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
        String text = out.substring(0, out.length() - 1);
        return text.replace("package dev.rabbithole.labs.master;", "package dev.rabbithole.labs.lab" + nn + ";")
                .replace("LabRuntime", "Lab" + nn)
                .replace("@@LAB@@", nn);
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
     * Writes skeletons, solutions and working copies.
     *
     * @param args the labs directory
     * @throws IOException when a file cannot be read or written
     */
    public static void main(String[] args) throws IOException {
        Path labs = Path.of(args[0]);
        String master = Files.readString(labs.resolve("master/LabRuntime.java"));
        for (int n = 1; n <= LABS; n++) {
            String skeleton = generate(master, n, false);
            write(labs.resolve("skeletons").resolve(relative(n)), skeleton);
            write(labs.resolve("solutions").resolve(relative(n)), generate(master, n, true));
            write(labs.resolve("src/main/java/dev/rabbithole/labs").resolve(relative(n)), skeleton);
        }
    }

    private static void write(Path file, String text) throws IOException {
        Files.createDirectories(file.getParent());
        Files.writeString(file, text);
    }
}
