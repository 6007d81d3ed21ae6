package dev.tandem.plan;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parses durations written like Kubernetes and Go do: 500ms, 2s, 1.5m, 1h30m. */
public final class Durations {
    private static final Pattern WHOLE = Pattern.compile("^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$");
    private static final Pattern PART = Pattern.compile("([0-9]+(?:\\.[0-9]+)?)(ms|s|m|h)");

    private Durations() {
    }

    /** @throws IllegalArgumentException when the text is not a duration */
    public static Duration parse(String text) {
        if (text == null || !WHOLE.matcher(text.strip()).matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a duration; write e.g. 500ms, 2s, 5m or 1h30m");
        }
        Matcher m = PART.matcher(text.strip());
        double millis = 0;
        while (m.find()) {
            double value = Double.parseDouble(m.group(1));
            millis += switch (m.group(2)) {
                case "ms" -> value;
                case "s" -> value * 1_000;
                case "m" -> value * 60_000;
                default -> value * 3_600_000;
            };
        }
        return Duration.ofMillis(Math.round(millis));
    }

    public static Duration parseOr(String text, Duration fallback) {
        return text == null || text.isBlank() ? fallback : parse(text);
    }

    /** Formats the way manifests write durations: 500ms, 2s, 5m, 1h30m. */
    public static String format(Duration d) {
        long ms = d.toMillis();
        if (ms % 1_000 != 0 || ms == 0) {
            return ms + "ms";
        }
        long s = ms / 1_000;
        StringBuilder out = new StringBuilder();
        if (s >= 3_600) {
            out.append(s / 3_600).append('h');
            s %= 3_600;
        }
        if (s >= 60) {
            out.append(s / 60).append('m');
            s %= 60;
        }
        if (s > 0) {
            out.append(s).append('s');
        }
        return out.toString();
    }

    /** Formats for PostgreSQL settings such as lock_timeout: whole milliseconds. */
    public static String toPostgres(Duration d) {
        return Math.max(1, d.toMillis()) + "ms";
    }
}
