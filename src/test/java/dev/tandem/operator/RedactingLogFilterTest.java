package dev.tandem.operator;

import org.jboss.logmanager.ExtLogRecord;
import org.junit.jupiter.api.Test;

import java.util.logging.Level;

import static org.assertj.core.api.Assertions.assertThat;

/** The log filter scrubs credentials and leaves every other line as its logger formats it. */
class RedactingLogFilterTest {
    private static ExtLogRecord printf(String format, Object... parameters) {
        ExtLogRecord r = new ExtLogRecord(Level.INFO, format, ExtLogRecord.FormatStyle.PRINTF, "test");
        r.setParameters(parameters);
        return r;
    }

    @Test
    void aPrintfLineIsStillFormattedWithItsValues() {
        ExtLogRecord r = printf("%s/%s %s: %s", "shop", "users-full-name", "StepCommitted", "expand committed");
        assertThat(new RedactingLogFilter().isLoggable(r)).isTrue();
        assertThat(r.getFormattedMessage()).isEqualTo("shop/users-full-name StepCommitted: expand committed");
    }

    @Test
    void aPasswordInTheFormatOrInAValueIsScrubbedAndTheLineStillFormatted() {
        ExtLogRecord inValue = printf("could not connect to %s: %s", "postgresql://app:s3cret@db:5432/shop", "refused");
        new RedactingLogFilter().isLoggable(inValue);
        assertThat(inValue.getFormattedMessage()).doesNotContain("s3cret").contains("refused");

        ExtLogRecord inFormat = printf("connecting to postgresql://app:s3cret@db:5432/shop as %s", "app");
        new RedactingLogFilter().isLoggable(inFormat);
        assertThat(inFormat.getFormattedMessage()).doesNotContain("s3cret").endsWith("as app");
    }
}
