package dev.rabbithole.stage1;

/**
 * The one version of the stage-1 jar: what {@code version} prints for the client and what the daemon reports
 * in {@code GET /version} and {@code GET /info} ({@code ServerVersion}). Client and daemon are one jar, so
 * they are one version.
 */
public final class BuildInfo {
    /** The stage-1 version string, e.g. {@code 0.1.0-stage1}. */
    public static final String VERSION = "0.1.0-stage1";

    private BuildInfo() { }
}
