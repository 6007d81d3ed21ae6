package dev.tandem.cli;

import dev.tandem.plan.Durations;
import picocli.CommandLine;

import java.time.Duration;

/** Command-line durations written like the manifest's: 500ms, 2s, 5m, 1h30m; positive. */
final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
        try {
            Duration d = Durations.parse(value);
            if (d.isZero()) {
                throw new CommandLine.TypeConversionException("'" + value + "' is zero; give a positive duration such as 2s");
            }
            return d;
        } catch (IllegalArgumentException | ArithmeticException e) {
            throw new CommandLine.TypeConversionException(e instanceof ArithmeticException ? "'" + value + "' is too long"
                    : e.getMessage());
        }
    }
}
