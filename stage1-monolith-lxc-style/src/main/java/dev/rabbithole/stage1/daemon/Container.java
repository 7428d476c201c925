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
 * @param restartCount how often the restart policy restarted it since its last start by a user (inspect's
 *                   {@code RestartCount}; a user's start, and a restart at the daemon's start, set it to 0)
 * @param hasBeenManuallyStopped a user stopped or killed it ({@code docker stop/kill}) since its last start: a
 *                   daemon start then leaves an {@code unless-stopped} container stopped (moby's field of that name)
 * @param mountPoints its mounts besides the rootfs ({@code -v}, {@code --mount}, volumes), fixed at create
 *                   (Docker's {@code MountPoints}); empty for none
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
        @JsonProperty("LogPath") String logPath,
        @JsonProperty("RestartCount") int restartCount,
        @JsonProperty("HasBeenManuallyStopped") boolean hasBeenManuallyStopped,
        @JsonProperty("MountPoints") List<dev.rabbithole.stage1.volume.MountPoint> mountPoints) {

    public Container {
        mountPoints = mountPoints == null ? List.of() : List.copyOf(mountPoints);
    }

    /** A container that the restart policy never restarted and no user stopped (the shape before those fields). */
    public Container(String id, String name, String created, String path, List<String> args, ContainerConfig config,
                     HostConfig hostConfig, String imageId, String driver, ContainerState state, String logPath) {
        this(id, name, created, path, args, config, hostConfig, imageId, driver, state, logPath, 0, false, List.of());
    }

    /** A container without mounts (the parameter list before {@code MountPoints} existed). */
    public Container(String id, String name, String created, String path, List<String> args, ContainerConfig config,
                     HostConfig hostConfig, String imageId, String driver, ContainerState state, String logPath,
                     int restartCount, boolean hasBeenManuallyStopped) {
        this(id, name, created, path, args, config, hostConfig, imageId, driver, state, logPath, restartCount,
                hasBeenManuallyStopped, List.of());
    }

    /** @return a copy with the given state */
    public Container withState(ContainerState newState) {
        return new Container(id, name, created, path, args, config, hostConfig, imageId, driver, newState, logPath,
                restartCount, hasBeenManuallyStopped, mountPoints);
    }

    /** @return a copy with the given {@code RestartCount} */
    public Container withRestartCount(int count) {
        return new Container(id, name, created, path, args, config, hostConfig, imageId, driver, state, logPath,
                count, hasBeenManuallyStopped, mountPoints);
    }

    /** @return a copy with {@code HasBeenManuallyStopped} as given */
    public Container withManuallyStopped(boolean stopped) {
        return new Container(id, name, created, path, args, config, hostConfig, imageId, driver, state, logPath,
                restartCount, stopped, mountPoints);
    }

    /** @return a copy under another name ({@code /web}, with its slash) */
    public Container withName(String newName) {
        return new Container(id, newName, created, path, args, config, hostConfig, imageId, driver, state, logPath,
                restartCount, hasBeenManuallyStopped, mountPoints);
    }

    /** @return a copy with the given mount points */
    public Container withMountPoints(List<dev.rabbithole.stage1.volume.MountPoint> points) {
        return new Container(id, name, created, path, args, config, hostConfig, imageId, driver, state, logPath,
                restartCount, hasBeenManuallyStopped, points);
    }

    /** @return the first 12 characters of the ID, as {@code docker ps} shows it */
    public String shortId() {
        return id.substring(0, 12);
    }
}
