package dev.rabbithole.stage1.image;

import java.util.regex.Pattern;

/** Image references as the docker CLI writes them: {@code busybox} means {@code busybox:latest}. */
public final class References {
    // name components: lower-case alphanumerics with separators, optional registry host[:port]; tag: 128 chars
    private static final Pattern NAME_TAG = Pattern.compile(
            "(?:[a-zA-Z0-9.-]+(?::[0-9]+)?/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
                    + "(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");

    private References() { }

    /**
     * @return {@code name:tag} with {@code :latest} added when no tag is given and Docker Hub's
     *         {@code docker.io/library/} prefix removed; null when {@code ref} is not a valid reference
     */
    public static String normalize(String ref) {
        if (ref == null || ref.isEmpty() || ref.contains("@")) return null;
        String r = ref;
        for (String prefix : new String[] {"docker.io/library/", "index.docker.io/library/", "docker.io/", "index.docker.io/"}) {
            if (r.startsWith(prefix)) { r = r.substring(prefix.length()); break; }
        }
        int slash = r.lastIndexOf('/');
        if (r.indexOf(':', slash + 1) < 0) r = r + ":latest";
        return NAME_TAG.matcher(r).matches() ? r : null;
    }
}
