package dev.rabbithole.stage1.daemon;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;

import java.util.List;

/**
 * A snapshot of one container, as the daemon persists it in {@code DATA_ROOT/containers/ID/config.v2.json}
 * (the file name and PascalCase keys follow Docker's daemon). Immutable; {@link Daemon#inspect} returns the
 * current one.
 *
 * @param id         64 hex characters
 * @param name       the name with a leading slash, {@code /quirky_curie}
 * @param created    RFC 3339 (nanoseconds) creation time
 * @param path       the program: first element of Entrypoint + Cmd after merging the image's defaults
 * @param args       the program's arguments
 * @param config     the create request's config merged with the image's defaults (Env, Cmd, Entrypoint,
 *                   WorkingDir, User) and the hostname filled in
 * @param hostConfig the create request's HostConfig
 * @param imageId    {@code sha256:<hex>} of the image the container was created from
 * @param driver     the storage driver's name
 * @param state      the run state
 * @param logPath    absolute path of the json-file log, {@code DATA_ROOT/containers/ID/ID-json.log}
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record Container(
        @JsonProperty("ID") String id,
        @JsonProperty("Name") String name,
        @JsonProperty("Created") String created,
        @JsonProperty("Path") String path,
        @JsonProperty("Args") List<String> args,
        @JsonProperty("Config") ContainerConfig config,
        @JsonProperty("HostConfig") HostConfig hostConfig,
        @JsonProperty("Image") String imageId,
        @JsonProperty("Driver") String driver,
        @JsonProperty("State") ContainerState state,
        @JsonProperty("LogPath") String logPath) {

    /** @return a copy with the given state */
    public Container withState(ContainerState newState) {
        return new Container(id, name, created, path, args, config, hostConfig, imageId, driver, newState, logPath);
    }

    /** @return the first 12 characters of the ID, as {@code docker ps} shows it */
    public String shortId() {
        return id.substring(0, 12);
    }
}
