package dev.rabbithole.stage1.client;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class UnitsTest {

    @ParameterizedTest
    @CsvSource({"512m,536870912", "1g,1073741824", "10k,10240", "64,64", "64b,64", "1.5g,1610612736",
            "512MB,536870912", "1GiB,1073741824", "2K,2048", "1t,1099511627776", "0,0"})
    void memorySizesAreBinaryUnits(String text, long bytes) {
        assertThat(Units.parseMemoryBytes(text)).isEqualTo(bytes);
    }

    @ParameterizedTest
    @ValueSource(strings = {"12x", "", "m", "-1m", "1.2.3m", "ten", "1 g b"})
    void invalidSizesAreRejectedWithDockersMessage(String text) {
        assertThatThrownBy(() -> Units.parseMemoryBytes(text))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("invalid size: '" + text + "'");
    }

    @ParameterizedTest
    @CsvSource({"1,1000000000", "1.5,1500000000", "0.5,500000000", "0.000000001,1", "2.000,2000000000"})
    void cpusBecomeNanoCpus(String text, long nanos) {
        assertThat(Units.parseNanoCpus(text)).isEqualTo(nanos);
    }

    @Test
    void cpusRejectTooPreciseAndNonNumbers() {
        assertThatThrownBy(() -> Units.parseNanoCpus("0.0000000001")).hasMessage("value is too precise");
        assertThatThrownBy(() -> Units.parseNanoCpus("two")).hasMessage("failed to parse two as a rational number");
        assertThatThrownBy(() -> Units.parseNanoCpus("-1")).hasMessageContaining("negative");
    }

    @ParameterizedTest
    @CsvSource({"4866048,4.87MB", "1000,1kB", "512,512B", "0,0B", "1234,1.23kB", "1234567890,1.23GB",
            "999999,1MB", "2100000,2.1MB", "10000000,10MB"})
    void sizesAreDecimalWithThreeSignificantDigits(long bytes, String text) {
        assertThat(Units.humanSize(bytes)).isEqualTo(text);
    }

    @Test
    void containerStatusWording() {
        assertThat(Units.containerStatus("running", 0, Duration.ofSeconds(3))).isEqualTo("Up 3 seconds");
        assertThat(Units.containerStatus("exited", 0, Duration.ofMinutes(2))).isEqualTo("Exited (0) 2 minutes ago");
        assertThat(Units.containerStatus("exited", 137, Duration.ofSeconds(70))).isEqualTo("Exited (137) About a minute ago");
        assertThat(Units.containerStatus("created", 0, Duration.ZERO)).isEqualTo("Created");
    }
}
