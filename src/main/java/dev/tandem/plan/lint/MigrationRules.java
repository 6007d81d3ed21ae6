package dev.tandem.plan.lint;

import dev.tandem.api.v1alpha1.SchemaMigrationSpec;
import dev.tandem.api.v1alpha1.Step;
import dev.tandem.api.v1alpha1.TargetPhase;
import dev.tandem.plan.MigrationPlan;
import dev.tandem.plan.Planner;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The rules about the migration as a whole: the promoted hash, rollback SQL, phases that are no longer atomic. */
final class MigrationRules {
    private static final Map<String, Step> STEPS = Map.of(Linter.EXPAND, Step.EXPAND, Linter.CUTOVER, Step.CUTOVER,
            Linter.CONTRACT, Step.CONTRACT, Linter.ROLLBACK, Step.ROLLBACK);

    private MigrationRules() {
    }

    static List<Finding> check(SchemaMigrationSpec spec, MigrationPlan plan, Map<String, Script> scripts) {
        List<Finding> out = new ArrayList<>();
        planHash(spec, plan).ifPresent(out::add);
        Script expand = scripts.get(Linter.EXPAND);
        if (!expand.statements().isEmpty() && scripts.get(Linter.ROLLBACK).statements().isEmpty()) {
            List<String> created = expand.created().stream().sorted().toList();
            out.add(Finding.field(Severity.WARNING, Rules.ROLLBACK_MISSING, Linter.ROLLBACK, null,
                    "expand runs " + expand.statements().size() + " statement(s)" + (created.isEmpty() ? ""
                            : " (creating " + String.join(", ", created) + ")") + " but there is no rollback SQL: "
                            + "targetPhase RolledBack would remove the sync triggers and leave the rest",
                    "give spec.rollback.sql that undoes expand" + (created.isEmpty() ? ""
                            : ", e.g. DROP TABLE IF EXISTS " + String.join(", ", created))));
        }
        for (Script script : scripts.values()) {
            splitPhase(plan, script, out);
        }
        return out;
    }

    private static java.util.Optional<Finding> planHash(SchemaMigrationSpec spec, MigrationPlan plan) {
        String promoted = spec.promotedPlanHash();
        boolean needed = spec.getTargetPhase() == TargetPhase.CutOver || spec.getTargetPhase() == TargetPhase.Contracted;
        String fix = "review this plan, then set spec.promotion.planHash: " + plan.hash();
        if (promoted != null && !promoted.isBlank() && !promoted.equals(plan.hash())) {
            boolean looksLikeHash = promoted.matches("[0-9a-f]{" + Planner.HASH_LENGTH + "}");
            return java.util.Optional.of(Finding.field(Severity.ERROR, Rules.PLAN_HASH, "spec.promotion.planHash", null,
                    "'" + abbreviate(promoted) + "' does not match this plan (" + plan.hash() + "): " + (looksLikeHash
                            ? "the plan changed since that hash was reviewed" : "it is not a plan hash ("
                            + Planner.HASH_LENGTH + " hex digits from 'tandem plan -o hash')")
                            + (needed ? "; the promotion to " + spec.getTargetPhase() + " would be refused" : ""), fix));
        }
        if ((promoted == null || promoted.isBlank()) && needed) {
            return java.util.Optional.of(Finding.field(Severity.ERROR, Rules.PLAN_HASH, "spec.promotion.planHash", null,
                    "targetPhase " + spec.getTargetPhase() + " crosses the point of no return, and no plan hash binds "
                            + "it to a reviewed plan", fix));
        }
        return java.util.Optional.empty();
    }

    private static void splitPhase(MigrationPlan plan, Script script, List<Finding> out) {
        int units = plan.step(STEPS.get(script.field())).units().size();
        if (units < 2) {
            return;
        }
        boolean pointOfNoReturn = script.field().equals(Linter.CUTOVER) || script.field().equals(Linter.CONTRACT);
        for (Stmt s : script.statements()) {
            if (s.transactional()) {
                continue;
            }
            out.add(Finding.of(pointOfNoReturn ? Severity.ERROR : Severity.WARNING, Rules.CONCURRENTLY_SPLITS_PHASE, s,
                    s.facts().table(), null, "cannot run in a transaction, so " + STEPS.get(script.field()).key()
                            + " commits in " + units + " parts: a failure after one leaves the earlier parts applied"
                            + (pointOfNoReturn ? ", and this phase must be all or nothing"
                            : " (Tandem records each part in the ledger and goes on from there)"),
                    pointOfNoReturn ? "build indexes CONCURRENTLY in expand; keep cutover and contract transactional"
                            : "keep it if the index is worth it; rollback SQL must undo a partial expand (IF EXISTS)"));
        }
    }

    private static String abbreviate(String s) {
        return s.length() > 40 ? s.substring(0, 40) + "…" : s;
    }
}
