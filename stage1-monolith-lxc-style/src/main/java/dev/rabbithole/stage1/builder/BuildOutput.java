package dev.rabbithole.stage1.builder;

/**
 * Where a build writes its progress: the JSON message stream of {@code POST /build} ({@code {"stream": ...}} lines,
 * {@code {"aux": {"ID": ...}}} when a stage's image is done), as the docker CLI prints it.
 */
public interface BuildOutput {

    /** Text for the user's terminal, newlines included ({@code Step 1/5 : FROM busybox}, a RUN's output). */
    void stream(String text);

    /** The image a stage ended with, {@code sha256:<hex>}. */
    void aux(String imageId);
}
