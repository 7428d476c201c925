package dev.rabbithole.stage3.runc;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rabbithole.stage2.libcontainer.configs.ExecConfig;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The runtime-spec {@code process} object, as containerd's shim writes it for {@code runc exec --process}. */
class ProcessSpecsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void aShimsProcessJson() throws Exception {
        ExecConfig e = ProcessSpecs.parse(JSON.readTree("""
                {"terminal":true,"consoleSize":{"height":24,"width":80},
                 "user":{"uid":1000,"gid":100,"additionalGids":[10,20]},
                 "args":["sh","-c","id"],"env":["PATH=/bin","TERM=xterm"],"cwd":"/tmp",
                 "capabilities":{"bounding":["CAP_CHOWN","CAP_KILL"],"effective":["CAP_CHOWN"],
                                 "permitted":["CAP_CHOWN"],"inheritable":[],"ambient":[]},
                 "rlimits":[{"type":"RLIMIT_NOFILE","hard":1024,"soft":512}],
                 "noNewPrivileges":true,"oomScoreAdj":0,"apparmorProfile":""}"""));
        assertThat(e.terminal()).isTrue();
        assertThat(e.process().args()).containsExactly("sh", "-c", "id");
        assertThat(e.process().env()).containsExactly("PATH=/bin", "TERM=xterm");
        assertThat(e.process().cwd()).isEqualTo("/tmp");
        assertThat(e.process().uid()).isEqualTo(1000);
        assertThat(e.process().gid()).isEqualTo(100);
        assertThat(e.process().additionalGids()).containsExactly(10, 20);
        assertThat(e.process().parentDeathSignal()).isZero();
        assertThat(e.capabilities().bounding()).containsExactly("CHOWN", "KILL");
        assertThat(e.capabilities().effective()).containsExactly("CHOWN");
        assertThat(e.rlimits()).hasSize(1);
        assertThat(e.rlimits().get(0).soft()).isEqualTo(512);
        assertThat(e.noNewPrivileges()).isTrue();
        assertThat(e.seccomp()).isNull(); // the container's
    }

    @Test
    void absentSecurityFieldsMeanTheContainers() throws Exception {
        ExecConfig e = ProcessSpecs.parse(JSON.readTree("{\"args\":[\"true\"],\"cwd\":\"/\"}"));
        assertThat(e.capabilities()).isNull();
        assertThat(e.rlimits()).isNull();
        assertThat(e.noNewPrivileges()).isNull();
        assertThat(e.terminal()).isFalse();
        assertThat(e.process().uid()).isZero();
        assertThat(e.process().env()).isEqualTo(List.of());
    }

    @Test
    void badInputNamesTheField() {
        assertThatThrownBy(() -> ProcessSpecs.parse(JSON.readTree("{\"args\":[],\"cwd\":\"/\"}")))
                .hasMessage("process.args: must not be empty");
        assertThatThrownBy(() -> ProcessSpecs.parse(JSON.readTree("{\"args\":[\"x\"],\"cwd\":\"tmp\"}")))
                .hasMessageContaining("process.cwd");
        assertThatThrownBy(() -> ProcessSpecs.parse(JSON.readTree("{\"args\":[\"x\"],\"user\":{\"uid\":-1}}")))
                .hasMessageContaining("process.user.uid");
        assertThatThrownBy(() -> ProcessSpecs.parse(JSON.readTree("{\"args\":[1]}")))
                .hasMessageContaining("process.args");
        assertThatThrownBy(() -> ProcessSpecs.parse(JSON.readTree("[]"))).hasMessageContaining("object");
    }
}
