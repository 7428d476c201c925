package dev.rabbithole.stage1.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rabbithole.stage1.errdefs.InvalidParameterException;
import dev.rabbithole.stage1.errdefs.NotFoundException;
import dev.rabbithole.stage1.image.Image;
import dev.rabbithole.stage1.image.ImageStore;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The {@code filters} parameter of {@code GET /images/json} (Engine API 1.41), as Docker 20.10's daemon applies
 * it: a JSON object from filter name to values ({@code {"reference":{"busybox":true}}}, or lists from older
 * clients). Values of one name are alternatives, except {@code label}, whose values must all match; names are
 * combined with AND.
 *
 * <ul>
 * <li>{@code dangling=true|false}: only untagged images, or only tagged ones</li>
 * <li>{@code reference=PATTERN}: a tag whose {@code name:tag} or {@code name} matches the {@link PathGlob}
 *     pattern; the image is listed with only its matching tags, untagged images never match</li>
 * <li>{@code before=IMAGE}, {@code since=IMAGE}: created strictly before / after that image</li>
 * <li>{@code label=KEY} or {@code label=KEY=VALUE}: the image config's labels</li>
 * </ul>
 */
final class ImageFilters {
    private static final Set<String> KNOWN = Set.of("dangling", "reference", "before", "since", "label");

    private final Map<String, List<String>> filters;
    private final Boolean dangling;
    private final List<PathGlob> references = new ArrayList<>();

    private ImageFilters(Map<String, List<String>> filters) {
        this.filters = filters;
        List<String> d = filters.getOrDefault("dangling", List.of());
        Boolean value = null;
        for (String v : d) {
            String lower = v.toLowerCase(Locale.ROOT);
            if (lower.equals("true") || lower.equals("1")) {
                value = Boolean.TRUE;
            } else if (lower.equals("false") || lower.equals("0")) {
                value = value == null ? Boolean.FALSE : value;
            } else {
                throw new InvalidParameterException("Invalid filter 'dangling=[" + String.join(" ", d) + "]'");
            }
        }
        this.dangling = value;
        for (String pattern : filters.getOrDefault("reference", List.of())) {
            references.add(PathGlob.compile(pattern));
        }
    }

    /**
     * Parses and checks the parameter.
     *
     * @param json  the mapper
     * @param param the URL-decoded {@code filters} value; null or empty for none
     * @return the filters
     * @throws InvalidParameterException malformed JSON, {@code Invalid filter 'x'} for a name Docker's image list
     *         does not know, {@code Invalid filter 'dangling=[x]'}, {@code syntax error in pattern}
     */
    static ImageFilters parse(ObjectMapper json, String param) {
        return new ImageFilters(FilterArgs.decode(json, param, (name, values) -> {
            if (!KNOWN.contains(name)) {
                throw new InvalidParameterException("Invalid filter '" + name + "'");
            }
        }));
    }

    /**
     * Applies the filters to the store's images.
     *
     * @param images the store ({@code before} and {@code since} images are looked up there)
     * @return the images that pass, newest first, each with only the tags that passed {@code reference}
     * @throws NotFoundException {@code No such image: NAME} for a {@code before} or {@code since} image
     */
    List<Image> apply(ImageStore images) {
        Instant before = bound(images, "before");
        Instant since = bound(images, "since");
        List<String> labels = filters.getOrDefault("label", List.of());
        List<Image> out = new ArrayList<>();
        for (Image i : images.list()) {
            Instant created = created(i);
            if (before != null && !created.isBefore(before)) continue;
            if (since != null && !created.isAfter(since)) continue;
            if (!labels.stream().allMatch(l -> label(l, labels(i)))) continue;
            List<String> tags = i.repoTags();
            if (!references.isEmpty()) {
                tags = tags.stream().filter(this::referenceMatches).toList();
                if (tags.isEmpty()) continue;
            }
            if (dangling != null && dangling != tags.isEmpty()) continue;
            out.add(tags.equals(i.repoTags()) ? i : new Image(i.id(), tags, i.manifestDigest(), i.config(),
                    i.layerDigests(), i.size(), i.createdEpochSeconds()));
        }
        return out;
    }

    private boolean referenceMatches(String tag) {
        int colon = tag.lastIndexOf(':');
        String name = colon > tag.lastIndexOf('/') ? tag.substring(0, colon) : tag;
        return references.stream().anyMatch(g -> g.matches(tag) || g.matches(name));
    }

    /** The latest creation time among the images {@code before}/{@code since} name (Docker keeps the last). */
    private Instant bound(ImageStore images, String key) {
        Instant bound = null;
        for (String ref : filters.getOrDefault(key, List.of())) {
            Image i;
            try {
                i = images.resolve(ref);
            } catch (NotFoundException e) {
                boolean tagged = ref.lastIndexOf(':') > ref.lastIndexOf('/') || ref.contains("@");
                throw new NotFoundException("No such image: " + (tagged ? ref : ref + ":latest"));
            }
            bound = created(i);
        }
        return bound;
    }

    private static Instant created(Image i) {
        String c = i.config() == null ? null : i.config().created();
        if (c != null) {
            try {
                return OffsetDateTime.parse(c).toInstant();
            } catch (RuntimeException e) {
                // fall back to the seconds the store parsed
            }
        }
        return Instant.ofEpochSecond(i.createdEpochSeconds());
    }

    private static Map<String, String> labels(Image i) {
        if (i.config() == null || i.config().config() == null || i.config().config().labels() == null) {
            return Map.of();
        }
        return i.config().config().labels();
    }

    private static boolean label(String filter, Map<String, String> labels) {
        int eq = filter.indexOf('=');
        if (eq < 0) {
            return labels.containsKey(filter);
        }
        return filter.substring(eq + 1).equals(labels.get(filter.substring(0, eq)));
    }
}
