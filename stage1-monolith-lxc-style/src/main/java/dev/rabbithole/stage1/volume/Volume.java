package dev.rabbithole.stage1.volume;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

import java.util.Map;

/**
 * One volume of the {@code local} driver, as the Engine API 1.41 {@code Volume} object ({@code GET /volumes},
 * {@code GET /volumes/{name}}, {@code POST /volumes/create}) shows it; also the metadata the store keeps in
 * {@code DATA_ROOT/volumes/NAME/volume.json}.
 *
 * @param name       {@code [a-zA-Z0-9][a-zA-Z0-9_.-]+}; 64 hex characters for an anonymous volume
 * @param driver     always {@code local}
 * @param mountpoint the host directory holding the data, {@code DATA_ROOT/volumes/NAME/_data}
 * @param createdAt  RFC 3339 time of its creation, seconds
 * @param labels     user labels; null for none (as dockerd)
 * @param options    driver options; null for none (the local driver's {@code type}/{@code device}/{@code o} are
 *                   not supported)
 * @param scope      always {@code local}
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.ALWAYS)
public record Volume(@JsonProperty("Name") String name,
                     @JsonProperty("Driver") String driver,
                     @JsonProperty("Mountpoint") String mountpoint,
                     @JsonProperty("CreatedAt") String createdAt,
                     @JsonProperty("Labels") Map<String, String> labels,
                     @JsonProperty("Options") Map<String, String> options,
                     @JsonProperty("Scope") String scope) {
}
