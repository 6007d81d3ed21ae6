package dev.tandem.testing;

import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The metric names a PromQL expression reads, for checking that dashboards and alerts query only
 * metrics that exist. Not a parser: it drops string literals, label matchers, range and subquery
 * brackets and label lists (by, without, on, ignoring, group_left, group_right), then every
 * identifier left that is not a function call, a keyword or a Grafana variable is a metric name.
 */
public final class PromQl {
    private static final Pattern STRINGS = Pattern.compile("\"(?:[^\"\\\\]|\\\\.)*\"|'(?:[^'\\\\]|\\\\.)*'|`[^`]*`");
    private static final Pattern MATCHERS = Pattern.compile("\\{[^}]*}");
    private static final Pattern RANGES = Pattern.compile("\\[[^]]*]");
    private static final Pattern LABEL_LISTS = Pattern.compile(
            "\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)");
    private static final Pattern IDENTIFIER = Pattern.compile("(?<![\\w.$])[a-zA-Z_:][a-zA-Z0-9_:]*+(?!\\s*\\()");
    private static final Set<String> KEYWORDS = Set.of("by", "without", "on", "ignoring", "group_left", "group_right",
            "and", "or", "unless", "bool", "offset", "inf", "nan", "Inf", "NaN", "atan2");

    private PromQl() {
    }

    public static Set<String> metricNames(String expr) {
        String e = STRINGS.matcher(expr).replaceAll("\"\"");
        e = MATCHERS.matcher(e).replaceAll(" ");
        e = RANGES.matcher(e).replaceAll(" ");
        e = LABEL_LISTS.matcher(e).replaceAll(" ");
        Set<String> names = new TreeSet<>();
        Matcher m = IDENTIFIER.matcher(e);
        while (m.find()) {
            if (!KEYWORDS.contains(m.group())) {
                names.add(m.group());
            }
        }
        return names;
    }
}
