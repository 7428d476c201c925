package dev.rabbithole.stage1.builder;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The patterns of a {@code .dockerignore} file (the Dockerfile reference, ".dockerignore file"): one per line,
 * {@code #} lines are comments, patterns are Go {@code filepath.Match} globs on paths relative to the context root
 * ({@code *} and {@code ?} stay within one path component, {@code **} crosses any number of them), a leading
 * {@code /} and {@code ./} are dropped, a pattern that matches a directory excludes everything below it, and a
 * {@code !} line re-includes what an earlier line excluded. The last matching line wins.
 */
public final class DockerIgnore {

    private record Rule(Pattern pattern, boolean exclusion, int components) { }

    private final List<Rule> rules;

    private DockerIgnore(List<Rule> rules) {
        this.rules = rules;
    }

    /** No patterns: nothing is excluded. */
    public static final DockerIgnore NONE = new DockerIgnore(List.of());

    /**
     * Reads the file's text.
     *
     * @throws DockerfileException a pattern that is not a valid glob ({@code [} unterminated)
     */
    public static DockerIgnore parse(String text) {
        List<Rule> rules = new ArrayList<>();
        for (String line : text.split("\n")) {
            String p = line.strip();
            if (p.isEmpty() || p.startsWith("#")) {
                continue;
            }
            boolean exclusion = p.startsWith("!");
            if (exclusion) {
                p = p.substring(1).strip();
            }
            p = clean(p);
            if (p.isEmpty() || p.equals(".")) {
                continue;
            }
            rules.add(new Rule(Pattern.compile(globToRegex(p)), exclusion, p.split("/").length));
        }
        return new DockerIgnore(List.copyOf(rules));
    }

    /**
     * @param path a path relative to the context root, {@code /}-separated
     * @return whether the path (or a directory above it) is excluded
     */
    public boolean excluded(String path) {
        String p = clean(path);
        String[] parts = p.split("/");
        boolean excluded = false;
        for (Rule r : rules) {
            boolean match = r.pattern.matcher(p).matches();
            if (!match && r.components < parts.length) {
                // a pattern that matches a parent directory covers everything below it
                String parent = String.join("/", java.util.Arrays.copyOf(parts, r.components));
                match = r.pattern.matcher(parent).matches();
            }
            if (match) {
                excluded = !r.exclusion;
            }
        }
        return excluded;
    }

    /** @return whether any rule re-includes something ({@code !}): a directory must then be walked, not skipped */
    public boolean hasExclusions() {
        return rules.stream().anyMatch(Rule::exclusion);
    }

    /** Lexical clean (Go's filepath.Clean) without a leading {@code /} or {@code ./}. */
    static String clean(String path) {
        List<String> out = new ArrayList<>();
        for (String part : path.split("/")) {
            if (part.isEmpty() || part.equals(".")) {
                continue;
            }
            if (part.equals("..")) {
                if (!out.isEmpty()) {
                    out.remove(out.size() - 1);
                }
                continue;
            }
            out.add(part);
        }
        return String.join("/", out);
    }

    /** A glob as a regular expression over the whole path. */
    static String globToRegex(String glob) {
        StringBuilder re = new StringBuilder();
        int n = glob.length();
        for (int i = 0; i < n; i++) {
            char c = glob.charAt(i);
            switch (c) {
                case '*' -> {
                    if (i + 1 < n && glob.charAt(i + 1) == '*') {
                        i++;
                        if (i + 1 < n && glob.charAt(i + 1) == '/') {
                            i++;
                            re.append("(?:.*/)?");
                        } else {
                            re.append(".*");
                        }
                    } else {
                        re.append("[^/]*");
                    }
                }
                case '?' -> re.append("[^/]");
                case '[' -> {
                    int end = glob.indexOf(']', i + 1);
                    if (end < 0) {
                        throw new DockerfileException("syntax error in pattern: " + glob);
                    }
                    String cls = glob.substring(i + 1, end);
                    if (cls.startsWith("^") || cls.startsWith("!")) {
                        cls = "^" + cls.substring(1);
                    }
                    re.append('[').append(cls.replace("\\", "\\\\")).append(']');
                    i = end;
                }
                case '\\' -> {
                    if (i + 1 < n) {
                        re.append(Pattern.quote(String.valueOf(glob.charAt(++i))));
                    }
                }
                default -> re.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return re.toString();
    }
}
