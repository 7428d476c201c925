package dev.rabbithole.stage1.image;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link LegacyConfig} and {@link SaveArchive#v1Layers} against what Debian's dockerd 20.10.24 wrote for an image it
 * built with EXPOSE, VOLUME, HEALTHCHECK, STOPSIGNAL, SHELL, ONBUILD (with {@code <} and {@code &}), WORKDIR, USER,
 * ENTRYPOINT, LABEL and a RUN: the files under {@code docker-save/} are its {@code docker save} archive's config,
 * {@code manifest.json} and per-layer {@code json}, and its {@code docker image inspect} fields.
 */
class LegacyConfigTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static byte[] fixture(String name) throws IOException {
        try (InputStream in = LegacyConfigTest.class.getResourceAsStream("docker-save/" + name)) {
            assertThat(in).as(name).isNotNull();
            return in.readAllBytes();
        }
    }

    @Test
    void v1IdsAndJsonFilesAreDockersByteForByte() throws IOException {
        byte[] config = fixture("rich-config.json");
        JsonNode manifest = JSON.readTree(fixture("rich-manifest.json"));
        List<String> dockersIds = new ArrayList<>();
        manifest.get(0).get("Layers").forEach(l -> dockersIds.add(l.asText().replace("/layer.tar", "")));

        List<SaveArchive.V1Layer> ours = SaveArchive.v1Layers(config);

        assertThat(ours).extracting(SaveArchive.V1Layer::id).containsExactlyElementsOf(dockersIds);
        for (SaveArchive.V1Layer l : ours) {
            // Docker's files end without a newline; ours are the same bytes
            assertThat(new String(l.json(), StandardCharsets.UTF_8)).as(l.id())
                    .isEqualTo(new String(fixture("rich-" + l.id() + ".json"), StandardCharsets.UTF_8));
        }
    }

    @Test
    void inspectsConfigAndContainerConfigAreDockersShape() throws IOException {
        JsonNode raw = JSON.readTree(fixture("rich-config.json"));
        JsonNode docker = JSON.readTree(fixture("rich-inspect.json"));

        // same keys in the same order, same values
        assertThat(JSON.writeValueAsString(LegacyConfig.containerConfig(raw.get("config"))))
                .isEqualTo(JSON.writeValueAsString(docker.get("Config")));
        assertThat(JSON.writeValueAsString(LegacyConfig.containerConfig(raw.get("container_config"))))
                .isEqualTo(JSON.writeValueAsString(docker.get("ContainerConfig")));
    }

    @Test
    void anEmptyOrOciConfigGetsEveryFieldDockerAlwaysPrints() throws IOException {
        assertThat(JSON.writeValueAsString(LegacyConfig.containerConfig(null))).isEqualTo(
                "{\"Hostname\":\"\",\"Domainname\":\"\",\"User\":\"\",\"AttachStdin\":false,\"AttachStdout\":false,"
                        + "\"AttachStderr\":false,\"Tty\":false,\"OpenStdin\":false,\"StdinOnce\":false,\"Env\":null,"
                        + "\"Cmd\":null,\"Image\":\"\",\"Volumes\":null,\"WorkingDir\":\"\",\"Entrypoint\":null,"
                        + "\"OnBuild\":null,\"Labels\":null}");
        // an OCI config (skopeo's conversion): a lone-string Cmd is a list, keys matched case-insensitively,
        // unknown keys dropped, maps sorted
        JsonNode oci = JSON.readTree("{\"cmd\":\"sh\",\"Labels\":{\"z\":\"1\",\"a\":\"2\"},\"x-unknown\":1,"
                + "\"StopTimeout\":0}");
        assertThat(JSON.writeValueAsString(LegacyConfig.containerConfig(oci)))
                .contains("\"Cmd\":[\"sh\"]").contains("\"Labels\":{\"a\":\"2\",\"z\":\"1\"}")
                .contains("\"StopTimeout\":0").doesNotContain("x-unknown");
    }

    @Test
    void goJsonEscapesAsGoAndTimesAsRfc3339Nano() {
        assertThat(new String(LegacyConfig.goJson(JSON.createObjectNode().put("a", "<x>&\u2028é\n\u0001")),
                StandardCharsets.UTF_8)).isEqualTo("{\"a\":\"\\u003cx\\u003e\\u0026\\u2028é\\n\\u0001\"}");
        assertThat(LegacyConfig.goTime("2026-12-02T00:55:51.295987690Z")).isEqualTo("2026-12-02T00:55:51.29598769Z");
        assertThat(LegacyConfig.goTime("2020-01-01T00:00:00+02:00")).isEqualTo("2020-01-01T00:00:00+02:00");
        assertThat(LegacyConfig.goTime("not a time")).isEqualTo("not a time");
    }
}
