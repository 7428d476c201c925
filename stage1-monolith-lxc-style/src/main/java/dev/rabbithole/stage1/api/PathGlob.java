package dev.rabbithole.stage1.api;

import dev.rabbithole.stage1.errdefs.InvalidParameterException;

/**
 * Shell-style patterns as Go's {@code path.Match} reads them, which Docker uses for the {@code reference} filter
 * of {@code GET /images/json}: {@code *} is any run of characters other than {@code /}, {@code ?} one character
 * other than {@code /}, {@code [abc]}, {@code [a-z]} and {@code [^a-z]} a class, {@code \} escapes the next
 * character. The whole pattern must match.
 */
final class PathGlob {
    private final String pattern;

    private PathGlob(String pattern) {
        this.pattern = pattern;
    }

    /**
     * @param pattern the pattern
     * @return the compiled pattern
     * @throws InvalidParameterException {@code syntax error in pattern} (Go's ErrBadPattern): an unclosed or
     *         empty class, a bad range, a trailing backslash
     */
    static PathGlob compile(String pattern) {
        validate(pattern);
        return new PathGlob(pattern);
    }

    /** @return whether the whole of {@code name} matches */
    boolean matches(String name) {
        return match(0, name, 0);
    }

    private boolean match(int p, String s, int i) {
        while (p < pattern.length()) {
            char c = pattern.charAt(p);
            if (c == '*') {
                while (p < pattern.length() && pattern.charAt(p) == '*') p++;
                for (int j = i; ; j++) {
                    if (match(p, s, j)) return true;
                    if (j >= s.length() || s.charAt(j) == '/') return false;
                }
            }
            if (i >= s.length()) return false;
            char x = s.charAt(i);
            if (c == '?') {
                if (x == '/') return false;
                p++;
            } else if (c == '[') {
                int end = classEnd(p);
                if (x == '/' || !inClass(p + 1, end, x)) return false;
                p = end + 1;
            } else if (c == '\\') {
                if (pattern.charAt(p + 1) != x) return false;
                p += 2;
            } else {
                if (c != x) return false;
                p++;
            }
            i++;
        }
        return i == s.length();
    }

    /** @return the index of the {@code ]} closing the class that opens at {@code open} */
    private int classEnd(int open) {
        int p = open + 1;
        if (p < pattern.length() && pattern.charAt(p) == '^') p++;
        while (p < pattern.length()) {
            char c = pattern.charAt(p);
            if (c == ']') return p;
            if (c == '\\') p++;
            p++;
        }
        throw bad();
    }

    private boolean inClass(int from, int end, char x) {
        boolean negated = pattern.charAt(from) == '^';
        int p = negated ? from + 1 : from;
        boolean hit = false;
        while (p < end) {
            char lo = pattern.charAt(p);
            if (lo == '\\') lo = pattern.charAt(++p);
            p++;
            char hi = lo;
            if (p < end && pattern.charAt(p) == '-') {
                hi = pattern.charAt(++p);
                if (hi == '\\') hi = pattern.charAt(++p);
                p++;
            }
            if (lo <= x && x <= hi) hit = true;
        }
        return hit != negated;
    }

    private static void validate(String pattern) {
        PathGlob g = new PathGlob(pattern);
        for (int p = 0; p < pattern.length(); p++) {
            char c = pattern.charAt(p);
            if (c == '\\') {
                if (p + 1 >= pattern.length()) throw bad();
                p++;
            } else if (c == '[') {
                int end = g.classEnd(p);
                int q = p + 1;
                if (pattern.charAt(q) == '^') q++;
                if (q == end) throw bad();
                while (q < end) {
                    char lo = pattern.charAt(q);
                    if (lo == '\\') lo = pattern.charAt(++q);
                    else if (lo == '-') throw bad();
                    q++;
                    if (q < end && pattern.charAt(q) == '-') {
                        if (q + 1 >= end) throw bad();
                        char hi = pattern.charAt(++q);
                        if (hi == '\\') hi = pattern.charAt(++q);
                        q++;
                        if (hi < lo) throw bad();
                    }
                }
                p = end;
            }
        }
    }

    private static InvalidParameterException bad() {
        return new InvalidParameterException("syntax error in pattern");
    }
}
