package dev.rabbithole.stage1.daemon;

import com.fasterxml.jackson.annotation.JsonProperty;

import java.util.List;

/**
 * The answer to a create: the 201 body of {@code POST /containers/create} (Engine API 1.41).
 *
 * @param id       the new container's ID, 64 hex characters
 * @param warnings messages for the user, usually empty
 */
public record CreateResult(@JsonProperty("Id") String id, @JsonProperty("Warnings") List<String> warnings) {
}
