package dev.rabbithole.stage1.image;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

import java.util.List;
import java.util.Map;

/**
 * The image configuration blob ({@code application/vnd.oci.image.config.v1+json}),
 * as the OCI image-spec's config.md defines it; unknown fields are ignored.
 *
 * @param architecture {@code amd64}, {@code arm64}, ... (Go's GOARCH names)
 * @param os           {@code linux}
 * @param created      RFC 3339 time the image was created, may be null
 * @param config       the defaults a container of this image starts with
 * @param rootfs       {@code type = "layers"} and the uncompressed layer digests, lowest first
 * @param history      one entry per layer and per step that made no layer ({@link History#emptyLayer}), oldest
 *                     first; null when the image has none (the image-spec's {@code history})
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ImageConfig(
        @JsonProperty("architecture") String architecture,
        @JsonProperty("os") String os,
        @JsonProperty("created") String created,
        @JsonProperty("config") Defaults config,
        @JsonProperty("rootfs") RootFs rootfs,
        @JsonProperty("history") List<History> history) {

    /** A config without history (the parameter list before that field existed). */
    public ImageConfig(String architecture, String os, String created, Defaults config, RootFs rootfs) {
        this(architecture, os, created, config, rootfs, null);
    }

    /**
     * One entry of the image-spec's {@code history} (config.md): how a layer, or a step without one, was made.
     * {@code docker history} lists these newest first.
     *
     * @param created    RFC 3339 time, may be null
     * @param createdBy  the command that made it ({@code docker commit}: the container's Cmd joined by spaces)
     * @param author     who made it, may be null
     * @param comment    {@code docker commit -m}, {@code docker import -m} or {@code Imported from -}; may be null
     * @param emptyLayer true when this step added no layer to {@code rootfs.diff_ids}; null is false
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record History(
            @JsonProperty("created") String created,
            @JsonProperty("author") String author,
            @JsonProperty("created_by") String createdBy,
            @JsonProperty("comment") String comment,
            @JsonProperty("empty_layer") Boolean emptyLayer) {

        /** @return true when this step added no layer */
        public boolean isEmptyLayer() {
            return Boolean.TRUE.equals(emptyLayer);
        }
    }

    /**
     * The execution defaults: the image-spec's {@code config} object (Docker spells keys in PascalCase);
     * {@code StopSignal} is the signal {@code docker stop} sends first to a container of this image; {@code Healthcheck},
     * {@code OnBuild} (the Dockerfile instructions an image built FROM this one runs first) and {@code Shell} (what
     * a shell-form RUN, CMD or ENTRYPOINT runs under) come from {@code docker build}.
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Defaults(
            @JsonProperty("User") String user,
            @JsonProperty("Env") List<String> env,
            @JsonProperty("Entrypoint") List<String> entrypoint,
            @JsonProperty("Cmd") List<String> cmd,
            @JsonProperty("WorkingDir") String workingDir,
            @JsonProperty("Labels") Map<String, String> labels,
            @JsonProperty("StopSignal") String stopSignal,
            @JsonProperty("ExposedPorts") Map<String, Map<String, Object>> exposedPorts,
            @JsonProperty("Volumes") Map<String, Map<String, Object>> volumes,
            @JsonProperty("Healthcheck") Healthcheck healthcheck,
            @JsonProperty("OnBuild") List<String> onBuild,
            @JsonProperty("Shell") List<String> shell) {

        /** Defaults without the build's Healthcheck, OnBuild and Shell (the parameter list before those fields existed). */
        public Defaults(String user, List<String> env, List<String> entrypoint, List<String> cmd, String workingDir,
                        Map<String, String> labels, String stopSignal, Map<String, Map<String, Object>> exposedPorts,
                        Map<String, Map<String, Object>> volumes) {
            this(user, env, entrypoint, cmd, workingDir, labels, stopSignal, exposedPorts, volumes, null, null, null);
        }

        /** Defaults without exposed ports and volumes (the parameter list before those fields existed). */
        public Defaults(String user, List<String> env, List<String> entrypoint, List<String> cmd, String workingDir,
                        Map<String, String> labels, String stopSignal) {
            this(user, env, entrypoint, cmd, workingDir, labels, stopSignal, null, null);
        }

        /** Defaults without a StopSignal (the parameter list before that field existed). */
        public Defaults(String user, List<String> env, List<String> entrypoint, List<String> cmd, String workingDir,
                        Map<String, String> labels) {
            this(user, env, entrypoint, cmd, workingDir, labels, null);
        }
    }

    /**
     * The {@code HEALTHCHECK} of a Dockerfile, as Docker records it in the image config (Engine API "HealthConfig").
     *
     * @param test        {@code ["NONE"]}, {@code ["CMD", arg...]} or {@code ["CMD-SHELL", command]}
     * @param interval    nanoseconds between checks; null or 0 is Docker's default (30 s)
     * @param timeout     nanoseconds a check may take; null or 0 is the default (30 s)
     * @param startPeriod nanoseconds of start-up during which failures do not count; null or 0 is the default
     * @param retries     failures in a row that make the container unhealthy; null or 0 is the default (3)
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Healthcheck(
            @JsonProperty("Test") List<String> test,
            @JsonProperty("Interval") Long interval,
            @JsonProperty("Timeout") Long timeout,
            @JsonProperty("StartPeriod") Long startPeriod,
            @JsonProperty("Retries") Integer retries) {
    }

    /** {@code rootfs}: {@code type} is always {@code "layers"}; {@code diff_ids} are sha256 of the uncompressed tars. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record RootFs(@JsonProperty("type") String type, @JsonProperty("diff_ids") List<String> diffIds) {
    }
}
