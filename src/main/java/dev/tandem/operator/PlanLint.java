package dev.tandem.operator;

import dev.tandem.api.v1alpha1.PlanFinding;
import dev.tandem.api.v1alpha1.PlanStatus;
import dev.tandem.api.v1alpha1.SchemaMigration;
import dev.tandem.plan.MigrationPlan;
import dev.tandem.plan.lint.Finding;
import dev.tandem.plan.lint.LintReport;
import dev.tandem.plan.lint.Linter;
import dev.tandem.plan.lint.Severity;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/** The plan's lint in the cluster: status.plan with its findings, condition PlanLinted, and an Event when they change. */
final class PlanLint {
    /** At most this many findings go into status (the rest are counted in status.plan.lint). */
    static final int MAX_FINDINGS = 30;

    /**
     * Reports by plan hash, target phase and promoted hash (all the lint depends on): every reconcile
     * publishes the plan, the lint runs once per change.
     */
    private static final Map<String, LintReport> REPORTS = java.util.Collections.synchronizedMap(
            new LinkedHashMap<>(16, 0.75f, true) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<String, LintReport> eldest) {
                    return size() > 256;
                }
            });

    private PlanLint() {
    }

    static void publish(SchemaMigration m, MigrationPlan plan, String configMap, StatusAggregator status) {
        String key = plan.hash() + "/" + m.getSpec().getTargetPhase() + "/" + m.getSpec().promotedPlanHash();
        LintReport report = REPORTS.computeIfAbsent(key, k -> Linter.lint(m.getSpec(), plan));
        PlanStatus built = new PlanStatus(plan.hash(), plan.summary(), configMap);
        built.setLint(report.summary());
        built.setFindings(report.findings().isEmpty() ? null : report.findings().stream().limit(MAX_FINDINGS)
                .map(PlanLint::finding).toList());
        PlanStatus before = status.previous().getPlan();
        boolean changed = before == null || !Objects.equals(before.getLint(), built.getLint())
                || !Objects.equals(before.getFindings(), built.getFindings());
        status.plan(built);
        status.planLinted(!report.hasErrors(), message(report), changed);
    }

    static PlanFinding finding(Finding f) {
        String where = f.table() == null ? "" : f.table() + (f.lock() == null ? "" : " (" + f.lock()
                + (f.underLock() == null ? "" : ", " + f.underLock() + " the table") + ")") + ": ";
        return new PlanFinding(f.severity().name(), f.rule(), f.location(), where + f.message(), f.fix());
    }

    /** "0 errors, 1 warning, 0 notes", and the first error when there is one. */
    static String message(LintReport report) {
        List<Finding> errors = report.findings().stream().filter(f -> f.severity() == Severity.ERROR).toList();
        String counts = "plan lint: " + report.summary();
        return errors.isEmpty() ? counts + " (status.plan.findings; 'tandem plan -f FILE' prints them)"
                : counts + "; " + errors.get(0).rule() + " at " + errors.get(0).location() + ": " + errors.get(0).message();
    }
}
