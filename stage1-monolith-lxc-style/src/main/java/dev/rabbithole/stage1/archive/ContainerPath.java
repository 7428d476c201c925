package dev.rabbithole.stage1.archive;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Docker's lexical rules for the {@code path} of the archive endpoints (moby {@code pkg/archive} copy helpers, Engine
 * API 1.41 {@code /containers/{id}/archive}): the path is taken as absolute in the container, cleaned, and keeps a
 * trailing {@code /} ("must be a directory") or {@code /.} ("the directory's content, not the directory").
 * Nothing here touches the file system.
 *
 * @param abs  the cleaned absolute path with its trailing {@code /} or {@code /.} kept, e.g. {@code /etc/},
 *             {@code /d/.}, {@code /}
 * @param dir  what is resolved in the container's root, every symlink followed: {@code abs} up to its last
 *             {@code /}, without that slash ({@code ""} for the root)
 * @param base the last element, never followed: {@code ""} when {@code abs} ends with {@code /}, {@code .} for
 *             {@code /.}
 * @param name the name the archive's entries start with and the stat header reports (Go's {@code filepath.Base}):
 *             {@code /} for the root
 */
public record ContainerPath(String abs, String dir, String base, String name) {

    /**
     * @param path as the client sent it: absolute or relative to {@code /}, maybe with {@code ..}, {@code .}, a
     *             trailing {@code /} or {@code /.}
     * @throws IllegalArgumentException an empty path, or one holding a NUL byte
     */
    public static ContainerPath of(String path) {
        if (path == null || path.isEmpty()) throw new IllegalArgumentException("path cannot be empty");
        if (path.indexOf('\0') >= 0) throw new IllegalArgumentException("path contains a NUL byte");
        String abs = clean("/" + path);
        if (!lastElement(abs).equals(".") && lastElement(path).equals(".")) {
            abs = (abs.endsWith("/") ? abs : abs + "/") + ".";
        }
        if (!abs.endsWith("/") && path.endsWith("/")) abs += "/";
        int slash = abs.lastIndexOf('/');
        String dir = abs.substring(0, slash);
        String base = abs.substring(slash + 1);
        return new ContainerPath(abs, clean("/" + dir), base, lastElement(abs));
    }

    /** @return {@code p} relative to the container's root, for openat2 under {@code RESOLVE_IN_ROOT}: {@code .} for the root */
    static String relative(String p) {
        String c = clean("/" + p);
        return c.equals("/") ? "." : c.substring(1);
    }

    /** Go's {@code path.Clean} for an absolute path: no empty, {@code .} or {@code ..} elements; {@code ..} stops at {@code /}. */
    static String clean(String absolute) {
        Deque<String> parts = new ArrayDeque<>();
        for (String c : absolute.split("/")) {
            if (c.isEmpty() || c.equals(".")) continue;
            if (c.equals("..")) {
                if (!parts.isEmpty()) parts.removeLast();
            } else {
                parts.addLast(c);
            }
        }
        return "/" + String.join("/", parts);
    }

    /** Go's {@code filepath.Base}: trailing slashes dropped, then the last element; {@code /} for the root. */
    static String lastElement(String p) {
        String s = p;
        while (s.length() > 1 && s.endsWith("/")) s = s.substring(0, s.length() - 1);
        if (s.equals("/")) return "/";
        if (s.isEmpty()) return ".";
        return s.substring(s.lastIndexOf('/') + 1);
    }
}
