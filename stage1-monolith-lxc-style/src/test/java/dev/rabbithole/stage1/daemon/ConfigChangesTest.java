package dev.rabbithole.stage1.daemon;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rabbithole.stage1.errdefs.InvalidParameterException;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link ConfigChanges}: the {@code --change} instructions as dockerd 20.10 applied them (its outputs, checked by hand). */
class ConfigChangesTest {

    private static ObjectNode config(String json) throws Exception {
        return (ObjectNode) new ObjectMapper().readTree(json);
    }

    @Test
    void cmdExecAndShellForm() throws Exception {
        ObjectNode c = config("{\"Cmd\":[\"true\"]}");
        ConfigChanges.apply(c, List.of("CMD [\"cat\",\"/hello\"]"));
        assertThat(c.get("Cmd").toString()).isEqualTo("[\"cat\",\"/hello\"]");
        ConfigChanges.apply(c, List.of("CMD echo hi"));
        assertThat(c.get("Cmd").toString()).isEqualTo("[\"/bin/sh\",\"-c\",\"echo hi\"]");
    }

    @Test
    void entrypointResetsTheInheritedCmdButNotOneSetBefore() throws Exception {
        ObjectNode c = config("{\"Cmd\":[\"true\"]}");
        ConfigChanges.apply(c, List.of("ENTRYPOINT [\"sh\",\"-c\"]"));
        assertThat(c.get("Entrypoint").toString()).isEqualTo("[\"sh\",\"-c\"]");
        assertThat(c.get("Cmd").isNull()).isTrue();
        ObjectNode d = config("{\"Cmd\":[\"true\"]}");
        ConfigChanges.apply(d, List.of("CMD [\"x\"]", "ENTRYPOINT [\"e\"]"));
        assertThat(d.get("Cmd").toString()).isEqualTo("[\"x\"]");
    }

    @Test
    void envLabelExposeVolumeUserWorkdir() throws Exception {
        ObjectNode c = config("{\"Env\":[\"PATH=/bin\",\"A=0\"],\"WorkingDir\":\"/w\"}");
        ConfigChanges.apply(c, List.of("ENV A=1 B=\"two words\"", "ENV PATH=$PATH:/x", "ENV C 3 4",
                "LABEL a=b \"c d\"=e", "EXPOSE 80 53/udp", "VOLUME [\"/data\"]", "VOLUME /v1 /v2", "USER nobody",
                "WORKDIR sub", "ONBUILD RUN echo x"));
        assertThat(c.get("Env").toString()).isEqualTo("[\"PATH=/bin:/x\",\"A=1\",\"B=two words\",\"C=3 4\"]");
        assertThat(c.get("Labels").toString()).isEqualTo("{\"a\":\"b\",\"c d\":\"e\"}");
        assertThat(c.get("ExposedPorts").toString()).isEqualTo("{\"80/tcp\":{},\"53/udp\":{}}");
        assertThat(c.get("Volumes").toString()).isEqualTo("{\"/data\":{},\"/v1\":{},\"/v2\":{}}");
        assertThat(c.get("User").asText()).isEqualTo("nobody");
        assertThat(c.get("WorkingDir").asText()).isEqualTo("/w/sub");
        assertThat(c.get("OnBuild").toString()).isEqualTo("[\"RUN echo x\"]");
    }

    @Test
    void healthcheck() throws Exception {
        ObjectNode c = config("{}");
        ConfigChanges.apply(c, List.of("HEALTHCHECK --interval=30s --retries=2 CMD curl -f http://localhost/"));
        assertThat(c.get("Healthcheck").toString()).isEqualTo(
                "{\"Interval\":30000000000,\"Retries\":2,\"Test\":[\"CMD-SHELL\",\"curl -f http://localhost/\"]}");
    }

    @Test
    void otherInstructionsAreRefusedWithDockersMessage() throws Exception {
        ObjectNode c = config("{\"Cmd\":[\"true\"]}");
        assertThatThrownBy(() -> ConfigChanges.apply(c, List.of("CMD [\"x\"]", "RUN true")))
                .isInstanceOf(InvalidParameterException.class).hasMessage("run is not a valid change command");
        assertThatThrownBy(() -> ConfigChanges.apply(c, List.of("STOPSIGNAL SIGINT")))
                .hasMessage("stopsignal is not a valid change command");
        assertThat(c.get("Cmd").toString()).isEqualTo("[\"true\"]");       // checked first: nothing applied
    }
}
