import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The book's check that every listing names and links the file it includes; the book module runs it
 * (exec-maven-plugin, {@code java ListingTitles.java ROOT DOCDIR}) before Asciidoctor renders, so a listing
 * without its title fails the book's build.
 *
 * <p>A listing is a delimited verbatim block ({@code ----} or {@code ....}) whose content is an
 * {@code include::PATH[ATTRS]} directive. Its title line, the {@code .Title} line above the block's
 * attribute line, must be
 *
 * <pre>
 * .link:{rootlink}/FILE[`FILE`]                     the whole file
 * .link:{rootlink}/FILE[`FILE`], tag `NAME`         include::...[tag=NAME]
 * .link:{rootlink}/FILE[`FILE`], lines 1 to 12      include::...[lines=1..12]
 * </pre>
 *
 * optionally followed by {@code : } and a few words, where FILE is the included file's path relative to the
 * repository's root. A generated lab file ({@code labs/target/generated-labs/solutions/labNN/LabNN.java}, not
 * in the repository) is named by the master it is generated from, {@code labs/master/LabRuntime.java} for labs 1
 * to 15 and {@code labs/master/LabShim.java} from lab 16 on, and the words after the tag must name the lab
 * ({@code lab NN}). The {@code rootlink} attribute is the
 * repository's root relative to where the page is read (the rendered HTML, or the .adoc file on a Git forge),
 * so the link works in both (Asciidoctor link macro: docs.asciidoctor.org, "Link Macro", relative files).
 *
 * <p>The check reads the book as Asciidoctor's preprocessor would, from {@code index.adoc} through its
 * {@code include::*.adoc[]} lines, keeping the attribute entries ({@code :name: value}) in order so that
 * {@code {rootdir}}, {@code {stage1-src}} and the like resolve; {@code {docdir}} is DOCDIR.
 */
public final class ListingTitles {
    /** The file the generated sources of labs 1 to 15 come from, relative to the repository's root. */
    static final String LAB_MASTER = "labs/master/LabRuntime.java";
    /** The file the generated sources of labs 16 and later come from (the shim), relative to the repository's root. */
    static final String SHIM_MASTER = "labs/master/LabShim.java";
    /** The first lab generated from {@link #SHIM_MASTER}. */
    static final int FIRST_SHIM_LAB = 16;

    private static final Pattern ATTRIBUTE_ENTRY = Pattern.compile("^:([\\w-]+):(?:\\s+(.*))?$");
    private static final Pattern INCLUDE = Pattern.compile("^include::(\\S+?)\\[(.*)]\\s*$");
    private static final Pattern ATTRIBUTE_REF = Pattern.compile("\\{([\\w-]+)}");
    private static final Pattern DELIMITER = Pattern.compile("^(-{4,}|\\.{4,}|/{4,}|\\+{4,}|={4,}|\\*{4,}|_{4,}|--)$");
    private static final Pattern GENERATED_LAB =
            Pattern.compile("^labs/target/generated-labs/(?:solutions|skeletons)/lab(\\d\\d)/Lab\\1\\.java$");
    private static final Pattern TITLE =
            Pattern.compile("^\\.link:\\{rootlink}/(\\S+?)\\[`([^`]+)`](.*)$");

    private final Path root;
    private final Path docdir;
    private final Map<String, String> attributes = new HashMap<>();
    private final List<String> errors = new ArrayList<>();
    private int listings;

    private ListingTitles(Path root, Path docdir) {
        this.root = root.toAbsolutePath().normalize();
        this.docdir = docdir.toAbsolutePath().normalize();
        attributes.put("docdir", this.docdir.toString());
    }

    /**
     * Checks the book and prints each listing whose title is missing or wrong, with the title it needs.
     *
     * @param args the repository's root and the book's source directory (the one holding index.adoc)
     * @throws IOException when a file of the book cannot be read
     */
    public static void main(String[] args) throws IOException {
        if (args.length != 2) {
            System.err.println("usage: java ListingTitles.java REPOSITORY-ROOT BOOK-SOURCE-DIR");
            System.exit(2);
        }
        ListingTitles check = new ListingTitles(Path.of(args[0]), Path.of(args[1]));
        check.read(check.docdir.resolve("index.adoc"));
        if (!check.errors.isEmpty()) {
            check.errors.forEach(System.err::println);
            System.err.printf("book: %d %s in the titles of %d listings (the convention: book/src/build/ListingTitles.java)%n",
                    check.errors.size(), check.errors.size() == 1 ? "problem" : "problems", check.listings);
            System.exit(1);
        }
        System.out.printf("book: %d listings, each titled with its file%n", check.listings);
    }

    /** A block being read: its delimiter, the title above it, and the file includes inside it. */
    private record Block(String delimiter, String title, int line, List<String> includes) {
        boolean verbatim() {
            return delimiter.startsWith("-") && delimiter.length() >= 4 || delimiter.startsWith(".")
                    || delimiter.startsWith("+") || delimiter.startsWith("/");
        }
    }

    private void read(Path file) throws IOException {
        List<String> lines = Files.readAllLines(file);
        int own = 0;
        Deque<Block> open = new ArrayDeque<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            Block top = open.peek();
            if (top != null && line.equals(top.delimiter())) {
                open.pop();
                if (!top.delimiter().startsWith("/") && !top.includes().isEmpty()) {
                    own++;
                    checkListing(file, top);
                }
                continue;
            }
            if (top != null && top.verbatim()) {
                Matcher include = INCLUDE.matcher(line);
                if (include.matches()) {
                    top.includes().add(line);
                }
                continue;
            }
            if (DELIMITER.matcher(line).matches()) {
                open.push(new Block(line, titleAbove(lines, i), i + 1, new ArrayList<>()));
                continue;
            }
            Matcher entry = ATTRIBUTE_ENTRY.matcher(line);
            if (entry.matches()) {
                attributes.put(entry.group(1), entry.group(2) == null ? "" : entry.group(2).strip());
                continue;
            }
            Matcher include = INCLUDE.matcher(line);
            if (include.matches()) {
                String target = resolve(file, i + 1, include.group(1));
                if (target == null) {
                    continue;
                }
                Path included = resolvePath(file, target);
                if (target.endsWith(".adoc")) {
                    read(included);
                } else {
                    errors.add(where(file, i + 1) + ": " + include.group(1)
                            + " is included outside a listing block: put it in a [source] or literal block with a title");
                }
            }
        }
        if (own > 0) {
            checkRootlinkDefault(file, lines);
        }
    }

    /**
     * A file with listings, read alone on a Git forge, has no book around it to define {@code rootlink}:
     * it needs its own default, the repository's root relative to its directory.
     */
    private void checkRootlinkDefault(Path file, List<String> lines) {
        String up = file.getParent().relativize(root).toString().replace('\\', '/');
        String wanted = "ifndef::rootlink[:rootlink: " + up + "]";
        if (!lines.contains(wanted)) {
            errors.add(where(file, 1) + ": the listings' links need the line\n    " + wanted
                    + "\n  near the top of the file, so that they work when the file is read alone on a Git forge");
        }
    }

    /** The block title above a delimiter: the nearest line starting with '.', past attribute lines and anchors. */
    private static String titleAbove(List<String> lines, int delimiter) {
        for (int j = delimiter - 1; j >= 0; j--) {
            String above = lines.get(j);
            if (above.startsWith("[") && above.endsWith("]")) {
                continue;
            }
            if (above.length() > 1 && above.charAt(0) == '.' && above.charAt(1) != '.' && above.charAt(1) != ' ') {
                return above;
            }
            return null;
        }
        return null;
    }

    private void checkListing(Path file, Block block) {
        if (block.includes().isEmpty()) {
            return; // typed into the page (a console session, a command): there is no file to name
        }
        listings++;
        String where = where(file, block.line());
        if (block.includes().size() > 1) {
            errors.add(where + ": a listing includes one file; split this block into one listing per include");
            return;
        }
        Matcher include = INCLUDE.matcher(block.includes().get(0));
        include.matches();
        String target = resolve(file, block.line(), include.group(1));
        if (target == null) {
            return;
        }
        Path path = resolvePath(file, target);
        if (!path.startsWith(root)) {
            errors.add(where + ": " + include.group(1) + " is outside the repository");
            return;
        }
        String relative = root.relativize(path).toString().replace('\\', '/');
        String lab = null;
        Matcher generated = GENERATED_LAB.matcher(relative);
        if (generated.matches()) {
            lab = generated.group(1);
            relative = Integer.parseInt(lab) >= FIRST_SHIM_LAB ? SHIM_MASTER : LAB_MASTER;
            if (!Files.isRegularFile(root.resolve(relative))) {
                errors.add(where + ": the lab master " + relative + " is missing");
                return;
            }
        }
        Map<String, String> selectors = selectors(include.group(2));
        String selector = "";
        if (selectors.containsKey("tag")) {
            selector = ", tag `" + selectors.get("tag") + "`";
        } else if (selectors.containsKey("tags")) {
            selector = ", tags `" + selectors.get("tags") + "`";
        } else if (selectors.containsKey("lines")) {
            selector = ", lines " + selectors.get("lines").replace("..", " to ");
        }
        String wanted = ".link:{rootlink}/" + relative + "[`" + relative + "`]" + selector
                + (lab == null ? "" : ": lab " + lab + "'s solution");
        String problem = titleProblem(block.title(), relative, selector, lab);
        if (problem != null) {
            errors.add(where + ": " + problem + "; the listing of " + include.group(1)
                    + " needs the title line\n    " + wanted);
        }
    }

    /** What is wrong with a listing's title, or null when it names the file, its selector and its lab. */
    private static String titleProblem(String title, String relative, String selector, String lab) {
        if (title == null) {
            return "no title";
        }
        Matcher m = TITLE.matcher(title);
        if (!m.matches()) {
            return "the title is not a link:{rootlink}/FILE[`FILE`]";
        }
        if (!m.group(1).equals(relative) || !m.group(2).equals(relative)) {
            return "the title names " + m.group(1) + " (text " + m.group(2) + "), not " + relative;
        }
        String rest = m.group(3);
        if (!rest.startsWith(selector) || !(rest.length() == selector.length()
                || rest.startsWith(":", selector.length()) || rest.startsWith(",", selector.length()))) {
            return "the title does not continue with \"" + selector + "\"";
        }
        if (lab != null && !rest.matches(".*\\blab " + lab + "\\b.*")) {
            return "the title does not name lab " + lab;
        }
        return null;
    }

    private static Map<String, String> selectors(String attributeList) {
        Map<String, String> result = new LinkedHashMap<>();
        for (String item : attributeList.split(",")) {
            int eq = item.indexOf('=');
            if (eq > 0) {
                result.put(item.substring(0, eq).strip(), item.substring(eq + 1).strip().replaceAll("^\"|\"$", ""));
            }
        }
        return result;
    }

    /** Substitutes the attribute references of an include target, or records an error and returns null. */
    private String resolve(Path file, int line, String target) {
        String result = target;
        for (int round = 0; round < 10 && result.contains("{"); round++) {
            Matcher ref = ATTRIBUTE_REF.matcher(result);
            StringBuilder out = new StringBuilder();
            while (ref.find()) {
                String value = attributes.get(ref.group(1));
                if (value == null) {
                    errors.add(where(file, line) + ": attribute {" + ref.group(1) + "} is not defined before this include");
                    return null;
                }
                ref.appendReplacement(out, Matcher.quoteReplacement(value));
            }
            ref.appendTail(out);
            result = out.toString();
        }
        return result;
    }

    private static Path resolvePath(Path including, String target) {
        Path path = Path.of(target);
        return (path.isAbsolute() ? path : including.getParent().resolve(path)).normalize();
    }

    private String where(Path file, int line) {
        return root.relativize(file).toString().replace('\\', '/') + ":" + line;
    }
}
