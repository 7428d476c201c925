package dev.rabbithole.stage4.runc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rabbithole.stage2.libcontainer.process.InnerHooks;
import dev.rabbithole.stage3.runc.RuncException;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link Stage4Extension}: what create takes out of the config, the hooks' state, runc 1.1's exit statuses. */
class Stage4ExtensionTest {
    static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void createTakesTheInContainerHooksOutOfTheConfigAndLeavesTheOthers() throws Exception {
        JsonNode spec = JSON.readTree("{\"ociVersion\":\"1.2.0\",\"hooks\":{"
                + "\"prestart\":[{\"path\":\"/p\"}],"
                + "\"createContainer\":[{\"path\":\"/c\",\"args\":[\"/c\",\"1\"],\"timeout\":3}],"
                + "\"startContainer\":[{\"path\":\"/s\",\"env\":[\"A=B\"]}]}}");
        JsonNode converted = new Stage4Extension(true).spec(spec);
        assertThat(converted.get("hooks").fieldNames()).toIterable().containsExactly("prestart");
        assertThat(spec.get("hooks").has("createContainer")).as("the caller's config is unchanged").isTrue();
        assertThat(Stage4Extension.parse(spec.get("hooks").get("createContainer"), "createContainer"))
                .containsExactly(new InnerHooks.Hook("/c", List.of("/c", "1"), null, 3));
        assertThat(Stage4Extension.parse(spec.get("hooks").get("startContainer"), "startContainer"))
                .containsExactly(new InnerHooks.Hook("/s", List.of(), List.of("A=B"), 0));
    }

    @Test
    void aMalformedHookIsRefusedNamingItsField() {
        assertThatThrownBy(() -> new Stage4Extension(true).spec(JSON.readTree(
                "{\"hooks\":{\"startContainer\":[{\"path\":\"relative\"}]}}")))
                .isInstanceOf(RuncException.class)
                .hasMessage("hooks.startContainer[0].path: relative is not an absolute path");
        assertThatThrownBy(() -> new Stage4Extension(true).spec(JSON.readTree(
                "{\"hooks\":{\"createContainer\":[{\"path\":\"/x\",\"timeout\":0}]}}")))
                .hasMessage("hooks.createContainer[0].timeout: 0 is not a number of seconds greater than zero");
        assertThatThrownBy(() -> new Stage4Extension(true).spec(JSON.readTree(
                "{\"hooks\":{\"createContainer\":[{\"path\":\"/x\",\"args\":[1]}]}}")))
                .hasMessage("hooks.createContainer[0].args: not an array of strings");
    }

    @Test
    void noPivotIsRefusedBeforeAnythingIsMade() {
        assertThatThrownBy(() -> new Stage4Extension(true, true).spec(JSON.readTree("{}")))
                .isInstanceOf(RuncException.class).hasMessageStartingWith("--no-pivot: not supported");
    }

    @Test
    void theStateHasTheSpecsFieldsWithSlotsForPidAndStatus() throws Exception {
        String state = Stage4Extension.stateTemplate(JSON.readTree(
                "{\"ociVersion\":\"1.2.0\",\"annotations\":{\"k\":\"v\"}}"), "c1", Path.of("/b"));
        InnerHooks hooks = new InnerHooks(List.of(), List.of(), state);
        assertThat(JSON.readTree(hooks.stateFor("creating", 1))).isEqualTo(JSON.readTree(
                "{\"ociVersion\":\"1.2.0\",\"id\":\"c1\",\"status\":\"creating\",\"pid\":1,\"bundle\":\"/b\","
                        + "\"annotations\":{\"k\":\"v\"}}"));
    }

    @Test
    void runcsExitStatusAndWords() {
        Stage4Extension e = new Stage4Extension(true);
        assertThat(e.exitStatus("exec", "exec failed: container does not exist")).isEqualTo(255);
        assertThat(e.exitStatus("start", "container does not exist")).isEqualTo(1);
        assertThat(e.message("create", "container with given ID already exists"))
                .isEqualTo("runc create failed: container with given ID already exists");
        assertThat(e.message("run", "runc run failed: x")).isEqualTo("runc run failed: x");
        assertThat(e.message("exec", "exec failed: cannot exec in a paused container"))
                .isEqualTo("exec failed: cannot exec in a paused container (use --ignore-paused to override)");
        assertThat(e.message("kill", "container not running")).isEqualTo("container not running");
    }
}
