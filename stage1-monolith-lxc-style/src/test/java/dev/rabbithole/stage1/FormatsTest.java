package dev.rabbithole.stage1;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

class FormatsTest {

    @ParameterizedTest
    @CsvSource({"0,Less than a second", "1,1 second", "3,3 seconds", "59,59 seconds", "60,About a minute",
            "119,About a minute", "120,2 minutes", "3599,59 minutes", "3600,About an hour", "5399,About an hour",
            "5400,2 hours", "169200,47 hours", "172800,2 days", "1209600,2 weeks", "5184000,2 months",
            "63072000,2 years"})
    void durationsReadLikeDockers(long seconds, String text) {
        assertThat(Formats.humanDuration(Duration.ofSeconds(seconds))).isEqualTo(text);
    }

    @Test
    void subSecondAndNegativeDurations() {
        assertThat(Formats.humanDuration(Duration.ofMillis(999))).isEqualTo("Less than a second");
        assertThat(Formats.humanDuration(Duration.ofSeconds(-5))).isEqualTo("Less than a second");
    }

    @Test
    void yearsCountWholeHoursAsGoUnitsDoes() {
        // 17520 h minus a second: rounded up it is two years' worth of hours, but go-units divides int(d.Hours())
        assertThat(Formats.humanDuration(Duration.ofSeconds(17520L * 3600 - 1))).isEqualTo("1 years");
        assertThat(Formats.humanDuration(Duration.ofSeconds(17520L * 3600))).isEqualTo("2 years");
    }
}
