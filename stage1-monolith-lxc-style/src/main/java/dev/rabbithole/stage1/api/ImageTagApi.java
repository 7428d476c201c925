package dev.rabbithole.stage1.api;

import dev.rabbithole.stage1.daemon.Daemon;
import dev.rabbithole.stage1.errdefs.InvalidParameterException;
import dev.rabbithole.stage1.image.Image;

import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code docker tag}: {@code POST /images/{name}/tag?repo=REPO&tag=TAG} (Engine API 1.41, ImageTag): points
 * {@code REPO:TAG} ({@code :latest} when no tag is given) at the image {@code name} resolves to; a tag that named
 * another image moves, which keeps its other names or stays untagged. 201 with no body and an image {@code tag}
 * event (actor the image ID, {@code name} the new reference), as dockerd; 400 for an invalid reference or a digest,
 * 404 for no such image.
 */
final class ImageTagApi {

    private static final Pattern TAG = Pattern.compile("^/images/(.+)/tag$");

    private ImageTagApi() {
    }

    /** @return whether the path was {@code POST /images/{name}/tag} (then it was answered) */
    static boolean route(Daemon daemon, Exchange ex, String path, boolean post) {
        Matcher m = TAG.matcher(path);
        if (!post || !m.matches()) {
            return false;
        }
        String repo = ex.param("repo") == null ? "" : ex.param("repo");
        String tag = ex.param("tag") == null ? "" : ex.param("tag");
        if (repo.isEmpty()) {
            throw new InvalidParameterException("repository name (repo parameter) is required");
        }
        if (repo.contains("@") || tag.startsWith("sha256:")) {
            throw new InvalidParameterException("refusing to create a tag with a digest reference");
        }
        Image image = daemon.images().resolve(m.group(1));
        String normalized = daemon.images().tag(image.id(), tag.isEmpty() ? repo : repo + ":" + tag);
        daemon.events().emit("image", "tag", image.id(), Map.of("name", normalized));
        ex.empty(201);
        return true;
    }
}
