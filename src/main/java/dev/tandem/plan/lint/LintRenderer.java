package dev.tandem.plan.lint;

import dev.tandem.api.v1alpha1.SchemaMigrationSpec;
import dev.tandem.plan.MigrationPlan;

import java.util.ArrayList;
import java.util.List;

/** The lint as text: what a reviewer signs (target, hash, timeouts) and every finding with its fix. */
public final class LintRenderer {
    static final String DEFAULT_LOCK_TIMEOUT = "2s";
    static final String DEFAULT_STATEMENT_TIMEOUT = "15m";

    private LintRenderer() {
    }

    /** Lines for the plan's header: the target phase and promotion, the timeouts. */
    public static List<String> review(SchemaMigrationSpec spec, MigrationPlan plan) {
        List<String> lines = new ArrayList<>();
        String promoted = spec.promotedPlanHash();
        String binding = promoted == null || promoted.isBlank() ? "no promotion.planHash"
                : promoted.equals(plan.hash()) ? "promotion.planHash " + promoted + " matches this plan"
                : "promotion.planHash " + abbreviate(promoted) + " does NOT match this plan";
        String reference = spec.getPromotion() == null || spec.getPromotion().getReference() == null ? ""
                : "; reference " + spec.getPromotion().getReference();
        lines.add("target phase: " + spec.getTargetPhase() + " (" + binding + reference + ")");
        lines.add("timeouts: lockTimeout " + orDefault(spec.getLockTimeout(), DEFAULT_LOCK_TIMEOUT)
                + ", statementTimeout " + orDefault(spec.getStatementTimeout(), DEFAULT_STATEMENT_TIMEOUT));
        return lines;
    }

    public static String section(LintReport report) {
        StringBuilder out = new StringBuilder();
        out.append('\n').append("== Lint — ").append(report.summary())
                .append(report.catalog() ? " (with the database's catalog)" : " (table sizes and catalog rules: --database URL)")
                .append('\n');
        if (report.findings().isEmpty()) {
            out.append("  nothing to report\n");
        }
        for (Finding f : report.findings()) {
            out.append("  ").append(f.severity()).append(' ').append(f.rule()).append(" — ").append(f.location());
            if (f.table() != null) {
                out.append(", ").append(f.table());
            }
            String under = underLock(f);
            if (!under.isEmpty()) {
                out.append(": ").append(under);
            }
            out.append('\n');
            out.append("      ").append(f.message()).append('\n');
            out.append("      fix: ").append(f.fix()).append('\n');
        }
        if (!report.notParsed().isEmpty()) {
            out.append("  not parsed by the SQL parser (read by the lexer): ").append(String.join(", ", report.notParsed()))
                    .append('\n');
        }
        return out.toString();
    }

    /** "rewrites 40 GB (1.2 M rows) under ACCESS EXCLUSIVE", "ACCESS EXCLUSIVE", or empty. */
    static String underLock(Finding f) {
        List<String> parts = new ArrayList<>();
        if (f.underLock() != null) {
            parts.add(f.underLock() + (f.size() != null ? " " + f.size() : " the table"));
        }
        if (f.lock() != null) {
            parts.add((f.underLock() != null ? "under " : "") + f.lock());
        }
        return String.join(" ", parts);
    }

    private static String orDefault(String value, String fallback) {
        return value == null ? fallback + " (default)" : value;
    }

    private static String abbreviate(String s) {
        return s.length() > 40 ? s.substring(0, 40) + "…" : s;
    }
}
