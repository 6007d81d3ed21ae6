package dev.tandem.plan.lint;

import com.fasterxml.jackson.annotation.JsonIgnore;

import java.util.List;

/**
 * The findings of one lint, most severe first.
 *
 * @param findings  every finding
 * @param notParsed statements the SQL parser does not know ("spec.expand.sql statement 3"): the lexer read them
 * @param catalog   whether a database catalog was consulted (sizes and catalog rules)
 */
public record LintReport(List<Finding> findings, List<String> notParsed, boolean catalog) {

    public long count(Severity severity) {
        return findings.stream().filter(f -> f.severity() == severity).count();
    }

    @JsonIgnore
    public boolean hasErrors() {
        return count(Severity.ERROR) > 0;
    }

    /** Whether a policy that fails on {@code threshold} (null: never) fails this report. */
    public boolean fails(Severity threshold) {
        return findings.stream().anyMatch(f -> f.severity().atLeast(threshold));
    }

    /** "1 error, 2 warnings, 0 notes". */
    public String summary() {
        return plural(count(Severity.ERROR), "error") + ", " + plural(count(Severity.WARNING), "warning") + ", "
                + plural(count(Severity.INFO), "note");
    }

    private static String plural(long n, String word) {
        return n + " " + word + (n == 1 ? "" : "s");
    }
}
