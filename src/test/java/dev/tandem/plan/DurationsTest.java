package dev.tandem.plan;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DurationsTest {

    @Test
    void parsesMilliseconds() {
        assertThat(Durations.parse("500ms")).isEqualTo(Duration.ofMillis(500));
    }

    @Test
    void parsesSeconds() {
        assertThat(Durations.parse("2s")).isEqualTo(Duration.ofSeconds(2));
    }

    @Test
    void parsesFractionalMinutes() {
        assertThat(Durations.parse("1.5m")).isEqualTo(Duration.ofSeconds(90));
    }

    @Test
    void parsesCompoundHoursAndMinutes() {
        assertThat(Durations.parse("1h30m")).isEqualTo(Duration.ofMinutes(90));
        assertThat(Durations.parse("1m5s")).isEqualTo(Duration.ofSeconds(65));
    }

    @ParameterizedTest
    @ValueSource(strings = {"soon", "", "5", "2S", "1m30", "-2s", "2 s"})
    void rejectsNonDurationsWithAMessageGivingAnExample(String text) {
        assertThatThrownBy(() -> Durations.parse(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'" + text + "'")
                .hasMessageContaining("500ms")
                .hasMessageContaining("2s");
    }

    @Test
    void rejectsNull() {
        assertThatThrownBy(() -> Durations.parse(null)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("e.g.");
    }

    @Test
    void parseOrFallsBackOnlyForMissingValues() {
        assertThat(Durations.parseOr(null, Duration.ofSeconds(7))).isEqualTo(Duration.ofSeconds(7));
        assertThat(Durations.parseOr("  ", Duration.ofSeconds(7))).isEqualTo(Duration.ofSeconds(7));
        assertThat(Durations.parseOr("3s", Duration.ofSeconds(7))).isEqualTo(Duration.ofSeconds(3));
        assertThatThrownBy(() -> Durations.parseOr("soon", Duration.ofSeconds(7)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void formatsForPostgresInWholeMillisecondsAndNeverZero() {
        assertThat(Durations.toPostgres(Duration.ofSeconds(2))).isEqualTo("2000ms");
        assertThat(Durations.toPostgres(Duration.ZERO)).isEqualTo("1ms");
    }
}
