package dev.rabbithole.stage1.daemon;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rabbithole.stage1.errdefs.InvalidParameterException;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class OciRuntimesTest {

    private static OciRuntimes table() {
        Map<String, String> paths = new LinkedHashMap<>();
        paths.put("runc", "runc");
        paths.put("rabbithole", "/opt/rh/bin/rabbithole-runc");
        return new OciRuntimes("rabbithole", paths);
    }

    @Test
    void withoutRuntimesAHostConfigIsKeptAndANamedRuntimeRefused() {
        assertThat(OciRuntimes.resolve(null, null)).isNull();
        assertThat(OciRuntimes.resolve(null, HostConfig.DEFAULT)).isSameAs(HostConfig.DEFAULT);
        assertThat(OciRuntimes.resolve(null, HostConfig.DEFAULT.withRuntime(""))).isNotNull();
        assertThatThrownBy(() -> OciRuntimes.resolve(null, HostConfig.DEFAULT.withRuntime("runc")))
                .isInstanceOf(InvalidParameterException.class)
                .hasMessage("--runtime (HostConfig.Runtime) is not supported by stage 1");
    }

    @Test
    void theDefaultIsRecordedAndAnUnknownNameRefusedAsDockerd() {
        assertThat(OciRuntimes.resolve(table(), null).runtime()).isEqualTo("rabbithole");
        assertThat(OciRuntimes.resolve(table(), HostConfig.DEFAULT.withRuntime("")).runtime()).isEqualTo("rabbithole");
        assertThat(OciRuntimes.resolve(table(), HostConfig.DEFAULT.withRuntime("runc")).runtime())
                .isEqualTo("runc");
        // dockerd 20.10: 400 {"message":"Unknown runtime specified foo"}
        assertThatThrownBy(() -> OciRuntimes.resolve(table(), HostConfig.DEFAULT.withRuntime("foo")))
                .isInstanceOf(InvalidParameterException.class).hasMessage("Unknown runtime specified foo");
        assertThatThrownBy(() -> new OciRuntimes("crun", Map.of("runc", "runc")))
                .hasMessage("specified default runtime 'crun' does not exist");
    }

    @Test
    void theRuntimeIsInTheJsonOnlyWhenSet() throws Exception {
        ObjectMapper json = new ObjectMapper();
        assertThat(json.valueToTree(HostConfig.DEFAULT).has("Runtime")).isFalse();
        assertThat(json.valueToTree(HostConfig.DEFAULT.withRuntime("runc")).get("Runtime").asText()).isEqualTo("runc");
        HostConfig read = json.readValue("{\"Runtime\":\"crun\",\"Memory\":7340032}", HostConfig.class);
        assertThat(read.runtime()).isEqualTo("crun");
        assertThat(read.withAutoRemove(true).runtime()).isEqualTo("crun");
        assertThat(read.withResources(0, 0, 0, 0, 0, 0, null, null).runtime()).isEqualTo("crun");
    }
}
