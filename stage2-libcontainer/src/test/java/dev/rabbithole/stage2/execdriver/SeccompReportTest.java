package dev.rabbithole.stage2.execdriver;

import dev.rabbithole.stage1.security.Capabilities;
import dev.rabbithole.stage1.security.SeccompProfiles;
import dev.rabbithole.stage2.libcontainer.seccomp.SeccompCompiler;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 7, item 16: what the compiler skips of Docker's default profile is said once by the daemon, in one line;
 * compiling it for a container logs nothing at info level or above.
 */
class SeccompReportTest {

    @Test
    void compilingTheDefaultProfileLogsNothingAboveDebug() {
        Logger logger = Logger.getLogger(SeccompCompiler.class.getName());
        List<LogRecord> records = new ArrayList<>();
        Handler capture = new Handler() {
            @Override
            public void publish(LogRecord r) {
                records.add(r);
            }

            @Override
            public void flush() { }

            @Override
            public void close() { }
        };
        Level before = logger.getLevel();
        logger.setLevel(Level.ALL);
        logger.addHandler(capture);
        try {
            var program = SeccompCompiler.compile(DockerProfiles.toConfig(
                    SeccompProfiles.defaultFor(Capabilities.DOCKER_DEFAULT)));
            assertThat(program.warnings()).as("the compiler still says what it skipped").isNotEmpty();
        } finally {
            logger.removeHandler(capture);
            logger.setLevel(before);
        }
        assertThat(records).as("per container: debug level only").isNotEmpty()
                .allSatisfy(r -> assertThat(r.getLevel().intValue()).isLessThan(Level.INFO.intValue()));
    }

    @Test
    void theDaemonsSummaryIsOneLineWithCounts() {
        String line = SeccompReport.defaultProfileSummary();
        assertThat(line).doesNotContain("\n").startsWith("seccomp: default seccomp profile: ")
                .contains("BPF instructions").contains("SCMP_ARCH_X86").containsPattern("\\d+ syscall names unknown on");
    }
}
