package dev.rabbithole.stage1.builder;

import java.util.List;
import java.util.Map;

/**
 * The query of {@code POST /build} (Engine API 1.41, "Build an image") that the classic builder honours.
 *
 * @param tags       {@code t}: {@code name[:tag]} references given to the result, in order
 * @param dockerfile {@code dockerfile}: the Dockerfile's path in the context; null means {@code Dockerfile}
 * @param buildArgs  {@code buildargs}: {@code --build-arg} name to value (a null value: take it from nowhere)
 * @param noCache    {@code nocache}: every step runs, none is taken from the cache
 * @param rm         {@code rm}: remove intermediate containers after a successful step (Docker's default true)
 * @param forceRm    {@code forcerm}: remove them also after a failed step
 * @param labels     {@code labels}: labels added to the final image
 * @param target     {@code target}: the stage to stop at (its name); null or empty builds the last one
 * @param quiet      {@code q}: only the final image ID is streamed
 */
public record BuildOptions(List<String> tags, String dockerfile, Map<String, String> buildArgs, boolean noCache,
                           boolean rm, boolean forceRm, Map<String, String> labels, String target, boolean quiet) {
}
