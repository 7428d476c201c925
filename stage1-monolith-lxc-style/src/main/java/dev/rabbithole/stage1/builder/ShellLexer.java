package dev.rabbithole.stage1.builder;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Variable substitution in Dockerfile instructions, the rules of Docker's builder (the Dockerfile reference,
 * "Environment replacement"): {@code $VAR} and {@code ${VAR}}; {@code ${VAR:-word}} (word when VAR is unset or
 * empty), {@code ${VAR:+word}} (word when VAR is set and not empty, else empty), {@code ${VAR-word}} and
 * {@code ${VAR+word}} (the same, testing only whether VAR is set), {@code ${VAR:?msg}} (an error when unset or empty);
 * single quotes keep everything literal, double quotes keep spaces but substitute, and the escape character
 * ({@code \} or the {@code # escape=} directive's) makes the next character literal ({@code \$VAR} stays
 * {@code $VAR}). Quotes are removed from the result.
 */
public final class ShellLexer {

    private final char escape;

    /** @param escape the Dockerfile's escape character, {@code \} or {@code `} */
    public ShellLexer(char escape) {
        this.escape = escape;
    }

    /** @return the escape character */
    public char escape() {
        return escape;
    }

    /**
     * One word: substitutes and removes quotes, whitespace kept.
     *
     * @param env the variables in scope (build args and ENV), name to value
     * @throws DockerfileException a bad substitution ({@code ${}}, an unterminated quote or brace, {@code :?})
     */
    public String word(String text, Map<String, String> env) {
        List<String> w = process(text, env, false);
        return w.isEmpty() ? "" : w.get(0);
    }

    /**
     * Words split on unquoted whitespace after substitution, as EXPOSE, VOLUME (shell form) and the words of COPY
     * take them; a variable's value is not split again (Docker's behaviour).
     *
     * @throws DockerfileException a bad substitution
     */
    public List<String> words(String text, Map<String, String> env) {
        return process(text, env, true);
    }

    private List<String> process(String text, Map<String, String> env, boolean split) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        boolean inWord = false;
        int i = 0;
        int n = text.length();
        while (i < n) {
            char c = text.charAt(i);
            if (split && Character.isWhitespace(c)) {
                if (inWord) {
                    out.add(cur.toString());
                    cur.setLength(0);
                    inWord = false;
                }
                i++;
                continue;
            }
            inWord = true;
            if (c == escape) {
                if (i + 1 < n) {
                    cur.append(text.charAt(i + 1));
                    i += 2;
                } else {
                    i++; // a trailing escape character disappears
                }
            } else if (c == '\'') {
                int end = text.indexOf('\'', i + 1);
                if (end < 0) {
                    throw new DockerfileException("unexpected end of statement while looking for matching single-quote");
                }
                cur.append(text, i + 1, end);
                i = end + 1;
            } else if (c == '"') {
                i++;
                boolean closed = false;
                while (i < n) {
                    char d = text.charAt(i);
                    if (d == '"') {
                        closed = true;
                        i++;
                        break;
                    }
                    if (d == escape && i + 1 < n && "\"$".indexOf(text.charAt(i + 1)) >= 0
                            || d == escape && i + 1 < n && text.charAt(i + 1) == escape) {
                        cur.append(text.charAt(i + 1));
                        i += 2;
                    } else if (d == '$') {
                        i = dollar(text, i, env, cur);
                    } else {
                        cur.append(d);
                        i++;
                    }
                }
                if (!closed) {
                    throw new DockerfileException("unexpected end of statement while looking for matching double-quote");
                }
            } else if (c == '$') {
                i = dollar(text, i, env, cur);
            } else {
                cur.append(c);
                i++;
            }
        }
        if (inWord || !split) {
            out.add(cur.toString());
        }
        return out;
    }

    /** Substitutes the {@code $...} at {@code i}; returns the index after it. */
    private int dollar(String text, int i, Map<String, String> env, StringBuilder out) {
        int n = text.length();
        if (i + 1 >= n) {
            out.append('$');
            return i + 1;
        }
        char c = text.charAt(i + 1);
        if (c != '{') {
            int j = i + 1;
            while (j < n && (Character.isLetterOrDigit(text.charAt(j)) || text.charAt(j) == '_')) {
                j++;
            }
            if (j == i + 1) {
                out.append('$');
                return i + 1;
            }
            String v = env.get(text.substring(i + 1, j));
            out.append(v == null ? "" : v);
            return j;
        }
        int j = i + 2;
        while (j < n && (Character.isLetterOrDigit(text.charAt(j)) || text.charAt(j) == '_')) {
            j++;
        }
        String name = text.substring(i + 2, j);
        if (name.isEmpty() || j >= n) {
            throw new DockerfileException("failed to process \"" + text + "\": bad substitution");
        }
        char m = text.charAt(j);
        if (m == '}') {
            String v = env.get(name);
            out.append(v == null ? "" : v);
            return j + 1;
        }
        boolean colon = m == ':';
        int opAt = colon ? j + 1 : j;
        if (opAt >= n) {
            throw new DockerfileException("failed to process \"" + text + "\": bad substitution");
        }
        char op = text.charAt(opAt);
        if ("-+?".indexOf(op) < 0) {
            throw new DockerfileException("failed to process \"" + text + "\": unsupported modifier (" + op + ") in substitution");
        }
        // the word runs to the matching brace; it is itself substituted
        int depth = 0;
        int k = opAt + 1;
        while (k < n) {
            char d = text.charAt(k);
            if (d == escape && k + 1 < n) {
                k += 2;
                continue;
            }
            if (d == '{') {
                depth++;
            } else if (d == '}') {
                if (depth == 0) {
                    break;
                }
                depth--;
            }
            k++;
        }
        if (k >= n) {
            throw new DockerfileException("failed to process \"" + text + "\": missing '}'");
        }
        String wordText = text.substring(opAt + 1, k);
        String value = env.get(name);
        boolean set = value != null && (!colon || !value.isEmpty());
        switch (op) {
            case '-' -> out.append(set ? value : word(wordText, env));
            case '+' -> out.append(set ? word(wordText, env) : "");
            default -> {
                if (!set) {
                    String msg = word(wordText, env);
                    throw new DockerfileException("failed to process \"" + text + "\": " + name + ": "
                            + (msg.isEmpty() ? "is not allowed to be unset" : msg));
                }
                out.append(value);
            }
        }
        return k + 1;
    }
}
