package dev.rabbithole.stage4.distribution;

import dev.rabbithole.stage1.errdefs.InvalidParameterException;

import java.util.regex.Pattern;

/**
 * An image reference as the docker CLI and dockerd read one (the grammar of distribution's {@code reference}
 * package): {@code [DOMAIN/]PATH[:TAG][@sha256:HEX]}. The first component is a registry domain when it holds a
 * {@code .} or a {@code :} or is {@code localhost}; otherwise the domain is Docker Hub's, {@code docker.io}, and a
 * one-component path gets {@code library/}.
 *
 * @param domain {@code 127.0.0.1:5000}, {@code localhost:5000}, {@code docker.io}
 * @param path   the repository inside the registry, e.g. {@code app}, {@code library/busybox}
 * @param tag    the tag, {@code latest} when neither tag nor digest is given; null with a digest only
 * @param digest {@code sha256:<hex>} or null
 */
public record ImageReference(String domain, String path, String tag, String digest) {
    /** Docker Hub's domain in references. */
    public static final String DOCKER_HUB = "docker.io";
    private static final Pattern COMPONENT = Pattern.compile("[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*");
    private static final Pattern TAG = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");
    private static final Pattern DIGEST = Pattern.compile("sha256:[0-9a-f]{64}");
    private static final Pattern DOMAIN = Pattern.compile("(?:[a-zA-Z0-9-]+(?:\\.[a-zA-Z0-9-]+)*|\\[[0-9a-fA-F:]+\\])(?::[0-9]+)?");

    /**
     * Parses {@code fromImage} with an optional separate tag, as {@code POST /images/create?fromImage=&tag=} gives
     * them (the tag parameter may also hold a digest).
     *
     * @throws InvalidParameterException not a valid reference ({@code invalid reference format})
     */
    public static ImageReference parse(String fromImage, String tag) {
        String ref = fromImage == null ? "" : fromImage;
        if (tag != null && !tag.isEmpty()) {
            ref = ref + (tag.startsWith("sha256:") ? "@" : ":") + tag;
        }
        return parse(ref);
    }

    /**
     * @param ref {@code [DOMAIN/]PATH[:TAG][@DIGEST]}
     * @throws InvalidParameterException not a valid reference
     */
    public static ImageReference parse(String ref) {
        if (ref == null || ref.isEmpty() || ref.length() > 4096) throw invalid(ref);
        String rest = ref;
        String digest = null;
        int at = rest.indexOf('@');
        if (at >= 0) {
            digest = rest.substring(at + 1);
            rest = rest.substring(0, at);
            if (!DIGEST.matcher(digest).matches()) throw invalid(ref);
        }
        String tag = null;
        int colon = rest.lastIndexOf(':');
        if (colon > rest.lastIndexOf('/')) {
            tag = rest.substring(colon + 1);
            rest = rest.substring(0, colon);
            if (!TAG.matcher(tag).matches()) throw invalid(ref);
        }
        String domain = DOCKER_HUB;
        String path = rest;
        int slash = rest.indexOf('/');
        if (slash > 0) {
            String first = rest.substring(0, slash);
            if (first.contains(".") || first.contains(":") || first.equals("localhost")) {
                if (!DOMAIN.matcher(first).matches()) throw invalid(ref);
                domain = first;
                path = rest.substring(slash + 1);
            }
        }
        if (domain.equals("index.docker.io")) domain = DOCKER_HUB;
        if (domain.equals(DOCKER_HUB) && !path.contains("/")) path = "library/" + path;
        for (String c : path.split("/", -1)) {
            if (!COMPONENT.matcher(c).matches()) throw invalid(ref);
        }
        if (tag == null && digest == null) tag = "latest";
        return new ImageReference(domain, path, tag, digest);
    }

    private static InvalidParameterException invalid(String ref) {
        return new InvalidParameterException("invalid reference format: " + ref);
    }

    /** @return the name as Docker shows it: {@code 127.0.0.1:5000/app}, {@code busybox} for Docker Hub's library */
    public String familiarName() {
        if (domain.equals(DOCKER_HUB)) {
            return path.startsWith("library/") ? path.substring("library/".length()) : path;
        }
        return domain + "/" + path;
    }

    /** @return the tag, or the digest when there is no tag: what goes into {@code /v2/NAME/manifests/REF} */
    public String tagOrDigest() {
        return digest != null ? digest : tag;
    }

    /** @return {@code familiarName:tag}, or {@code familiarName@digest} without a tag */
    @Override
    public String toString() {
        return familiarName() + (digest != null ? "@" + digest : ":" + tag);
    }
}
