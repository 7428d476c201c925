package dev.rabbithole.stage1.builder;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * A parsed Dockerfile, as Docker's classic builder reads one (the Dockerfile reference): parser directives
 * ({@code # escape=`}) at the very top, comment lines ({@code #} first on the line) and empty lines skipped,
 * lines ending with the escape character continued on the next (comment lines inside a continuation skipped),
 * then one instruction per logical line, its keyword case-insensitive.
 *
 * @param escape       the escape character, {@code \} unless a directive changed it
 * @param instructions the instructions, in order
 */
public record Dockerfile(char escape, List<Instruction> instructions) {

    /** The instructions the classic builder knows, lower case. */
    public static final Set<String> KEYWORDS = Set.of("from", "run", "cmd", "entrypoint", "copy", "add", "env",
            "arg", "workdir", "user", "label", "expose", "volume", "shell", "stopsignal", "healthcheck", "onbuild",
            "maintainer");

    /** The instructions whose arguments may be a JSON array (the exec form). */
    private static final Set<String> JSON_FORMS = Set.of("run", "cmd", "entrypoint", "copy", "add", "volume",
            "shell", "healthcheck");

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * One instruction.
     *
     * @param keyword  lower case ({@code run})
     * @param original the logical line as written, continuations joined (what {@code Step N/M : } shows)
     * @param flags    leading {@code --name=value} flags ({@code --from=build}, {@code --chown=1:1}), as written
     * @param rest     the arguments after the keyword and flags, trimmed
     * @param json     the arguments of the exec form, or null for the shell form
     * @param line     1-based line of the keyword
     */
    public record Instruction(String keyword, String original, List<String> flags, String rest, List<String> json,
                              int line) {

        /** @return the value of {@code --name=value}, or null when the flag is not there */
        public String flag(String name) {
            for (String f : flags) {
                if (f.equals("--" + name)) {
                    return "";
                }
                if (f.startsWith("--" + name + "=")) {
                    return f.substring(name.length() + 3);
                }
            }
            return null;
        }
    }

    /**
     * Parses a Dockerfile's text.
     *
     * @throws DockerfileException {@code dockerfile parse error line N: unknown instruction: FOO}, an empty file
     *                             ({@code the Dockerfile (Dockerfile) cannot be empty}), a bad directive
     */
    public static Dockerfile parse(String text) {
        String[] lines = text.replace("\r\n", "\n").split("\n", -1);
        char escape = '\\';
        int i = 0;
        // parser directives: only at the top, before any comment, empty line or instruction
        for (; i < lines.length; i++) {
            String t = lines[i].strip();
            if (!t.startsWith("#")) {
                break;
            }
            String body = t.substring(1).strip();
            int eq = body.indexOf('=');
            if (eq <= 0 || body.substring(0, eq).strip().contains(" ")) {
                break;
            }
            String key = body.substring(0, eq).strip().toLowerCase(Locale.ROOT);
            String value = body.substring(eq + 1).strip();
            if (key.equals("escape")) {
                if (!value.equals("\\") && !value.equals("`")) {
                    throw new DockerfileException("invalid ESCAPE '" + value + "'. Must be ` or \\");
                }
                escape = value.charAt(0);
            } else if (!key.equals("syntax")) {
                break;
            }
        }
        List<Instruction> out = new ArrayList<>();
        StringBuilder logical = null;
        int startLine = 0;
        for (; i < lines.length; i++) {
            String raw = lines[i];
            String stripped = raw.stripLeading();
            if (stripped.startsWith("#")) {
                continue; // a comment, also inside a continuation
            }
            if (logical == null) {
                if (stripped.isBlank()) {
                    continue;
                }
                logical = new StringBuilder();
                startLine = i + 1;
                raw = stripped;
            } else if (stripped.isBlank()) {
                continue; // an empty continuation line
            }
            String trimmedEnd = raw.stripTrailing();
            if (!trimmedEnd.isEmpty() && trimmedEnd.charAt(trimmedEnd.length() - 1) == escape) {
                logical.append(trimmedEnd, 0, trimmedEnd.length() - 1);
                continue;
            }
            logical.append(raw);
            out.add(instruction(logical.toString().strip(), startLine));
            logical = null;
        }
        if (logical != null && !logical.toString().isBlank()) {
            out.add(instruction(logical.toString().strip(), startLine));
        }
        if (out.isEmpty()) {
            throw new DockerfileException("the Dockerfile (Dockerfile) cannot be empty");
        }
        return new Dockerfile(escape, List.copyOf(out));
    }

    private static Instruction instruction(String line, int lineNo) {
        int sp = 0;
        while (sp < line.length() && !Character.isWhitespace(line.charAt(sp))) {
            sp++;
        }
        String word = line.substring(0, sp);
        String keyword = word.toLowerCase(Locale.ROOT);
        if (!KEYWORDS.contains(keyword)) {
            throw new DockerfileException("dockerfile parse error line " + lineNo + ": unknown instruction: "
                    + word.toUpperCase(Locale.ROOT));
        }
        String rest = line.substring(sp).strip();
        List<String> flags = new ArrayList<>();
        if (Set.of("from", "copy", "add", "healthcheck", "run").contains(keyword)) {
            while (rest.startsWith("--")) {
                int end = 0;
                while (end < rest.length() && !Character.isWhitespace(rest.charAt(end))) {
                    end++;
                }
                String flag = rest.substring(0, end);
                if (flag.equals("--")) {
                    break;
                }
                flags.add(flag);
                rest = rest.substring(end).strip();
            }
        }
        List<String> json = null;
        if (JSON_FORMS.contains(keyword) && rest.startsWith("[")) {
            json = jsonArray(rest);
        }
        if (keyword.equals("healthcheck")) {
            String upper = rest.toUpperCase(Locale.ROOT);
            if (upper.startsWith("CMD") && rest.length() > 3 && Character.isWhitespace(rest.charAt(3))) {
                String cmd = rest.substring(3).strip();
                json = cmd.startsWith("[") ? jsonArray(cmd) : null;
            }
        }
        if (rest.isEmpty() && !Set.of("cmd", "entrypoint", "run").contains(keyword)) {
            throw new DockerfileException("dockerfile parse error line " + lineNo + ": " + keyword.toUpperCase(Locale.ROOT)
                    + " requires at least one argument");
        }
        return new Instruction(keyword, line, List.copyOf(flags), rest, json, lineNo);
    }

    /** A JSON array of strings, or null when the text is not one (then it is the shell form). */
    private static List<String> jsonArray(String text) {
        try {
            JsonNode n = JSON.readTree(text);
            if (n == null || !n.isArray()) {
                return null;
            }
            List<String> words = new ArrayList<>();
            for (JsonNode e : n) {
                if (!e.isTextual()) {
                    return null;
                }
                words.add(e.asText());
            }
            return List.copyOf(words);
        } catch (Exception e) {
            return null;
        }
    }

    /**
     * Splits {@code KEY=VALUE KEY2="a b"} (ENV, LABEL) or the legacy {@code KEY VALUE} form into pairs; quotes and
     * escapes are kept for the substitution that follows.
     *
     * @throws DockerfileException {@code ENV names can not be blank}, a pair without {@code =} after the first
     */
    public static List<String[]> nameValues(String keyword, String rest, char escape) {
        List<String> words = rawWords(rest, escape);
        List<String[]> pairs = new ArrayList<>();
        if (words.isEmpty()) {
            throw new DockerfileException(keyword.toUpperCase(Locale.ROOT) + " requires at least one argument");
        }
        if (!words.get(0).contains("=")) {
            // legacy form: the first word is the name, the rest of the line its value
            String name = words.get(0);
            String value = rest.strip().substring(name.length()).strip();
            if (value.isEmpty() && keyword.equals("env")) {
                throw new DockerfileException("ENV must have two arguments");
            }
            pairs.add(new String[] {name, value});
            return pairs;
        }
        for (String w : words) {
            int eq = w.indexOf('=');
            if (eq < 0) {
                throw new DockerfileException("Syntax error - can't find = in \"" + w + "\". Must be of the form: name=value");
            }
            if (eq == 0) {
                throw new DockerfileException(keyword.toUpperCase(Locale.ROOT) + " names can not be blank");
            }
            pairs.add(new String[] {w.substring(0, eq), w.substring(eq + 1)});
        }
        return pairs;
    }

    /** Whitespace-separated words, quotes and escapes kept (Docker's parseWords). */
    static List<String> rawWords(String text, char escape) {
        List<String> words = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        char quote = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (quote == 0 && Character.isWhitespace(c)) {
                if (cur.length() > 0) {
                    words.add(cur.toString());
                    cur.setLength(0);
                }
                continue;
            }
            cur.append(c);
            if (c == escape && i + 1 < text.length() && quote != '\'') {
                cur.append(text.charAt(++i));
            } else if (quote == 0 && (c == '"' || c == '\'')) {
                quote = c;
            } else if (c == quote) {
                quote = 0;
            }
        }
        if (cur.length() > 0) {
            words.add(cur.toString());
        }
        return words;
    }
}
