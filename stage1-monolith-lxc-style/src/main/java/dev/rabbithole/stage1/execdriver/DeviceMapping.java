package dev.rabbithole.stage1.execdriver;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * One {@code docker run --device HOST[:CONTAINER[:PERMISSIONS]]}: an entry of {@code HostConfig.Devices} in
 * the Engine API 1.41 ({@code POST /containers/create}). The docker CLI fills in {@code PathInContainer} with
 * the host path and {@code CgroupPermissions} with {@code rwm} when they are not given.
 *
 * @param pathOnHost        a device node, or a directory whose device nodes are all given, on the host
 * @param pathInContainer   where the node appears in the container, an absolute path
 * @param cgroupPermissions what the container may do with it: a combination of {@code r}, {@code w}, {@code m}
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record DeviceMapping(@JsonProperty("PathOnHost") String pathOnHost,
                            @JsonProperty("PathInContainer") String pathInContainer,
                            @JsonProperty("CgroupPermissions") String cgroupPermissions) {
}
