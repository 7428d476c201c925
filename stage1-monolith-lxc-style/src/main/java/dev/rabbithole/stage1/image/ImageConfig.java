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
     * {@code StopSignal} is the signal {@code docker stop} sends first to a container of this image.
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
            @JsonProperty("Volumes") Map<String, Map<String, Object>> volumes) {

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

    /** {@code rootfs}: {@code type} is always {@code "layers"}; {@code diff_ids} are sha256 of the uncompressed tars. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record RootFs(@JsonProperty("type") String type, @JsonProperty("diff_ids") List<String> diffIds) {
    }
}
