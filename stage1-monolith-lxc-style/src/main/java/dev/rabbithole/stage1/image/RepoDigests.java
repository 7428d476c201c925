package dev.rabbithole.stage1.image;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Digest references ({@code name@sha256:<hex>}, the Engine API's {@code RepoDigests}) as the store keeps them in
 * {@code index.json}: descriptors annotated {@code org.opencontainers.image.ref.name} with the reference.
 */
final class RepoDigests {
    private RepoDigests() {
    }

    /**
     * @param ref {@code name@sha256:<hex>}; a tag on the name is dropped, as Docker drops it
     * @return {@code name@sha256:<hex>} with Docker Hub's {@code docker.io/library/} prefix removed, or null when it
     *         is not a valid digest reference
     */
    static String normalize(String ref) {
        int at = ref == null ? -1 : ref.indexOf('@');
        if (at <= 0) return null;
        String digest = ref.substring(at + 1);
        if (!Digests.isDigest(digest)) return null;
        String name = ref.substring(0, at);
        String tagged = References.normalize(name.lastIndexOf(':') > name.lastIndexOf('/') ? name : name + ":latest");
        if (tagged == null) return null;
        return tagged.substring(0, tagged.lastIndexOf(':')) + "@" + digest;
    }

    /** The repository of {@code name:tag} or {@code name@digest}. */
    static String repository(String ref) {
        int at = ref.indexOf('@');
        if (at >= 0) return ref.substring(0, at);
        int colon = ref.lastIndexOf(':');
        return colon > ref.lastIndexOf('/') ? ref.substring(0, colon) : ref;
    }

    /**
     * After {@code removed} left the index: when it was a tag and no other tag of its repository names the image,
     * removes the image's digest references of that repository too (Docker's image delete does).
     *
     * @param index    the index, changed in place
     * @param removed  the reference just removed
     * @param imageOf  a descriptor's image ID
     * @param imageId  the image
     * @return {@code Untagged: name@sha256:...} lines for what went
     */
    static List<String> dropOrphaned(List<Oci.Descriptor> index, String removed,
                                     Function<Oci.Descriptor, String> imageOf, String imageId) {
        List<String> out = new ArrayList<>();
        if (removed.contains("@")) return out;
        String repo = repository(removed);
        boolean tagLeft = index.stream().anyMatch(d -> {
            String r = d.annotation(Oci.ANNOTATION_REF_NAME);
            return r != null && !r.contains("@") && repository(r).equals(repo) && imageId.equals(imageOf.apply(d));
        });
        if (tagLeft) return out;
        index.removeIf(d -> {
            String r = d.annotation(Oci.ANNOTATION_REF_NAME);
            boolean gone = r != null && r.contains("@") && repository(r).equals(repo) && imageId.equals(imageOf.apply(d));
            if (gone && !out.contains("Untagged: " + r)) out.add("Untagged: " + r);
            return gone;
        });
        return out;
    }
}
