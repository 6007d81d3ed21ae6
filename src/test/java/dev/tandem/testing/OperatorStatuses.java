package dev.tandem.testing;

import dev.tandem.api.v1alpha1.Phase;
import dev.tandem.api.v1alpha1.PlanStatus;
import dev.tandem.api.v1alpha1.SchemaMigration;
import dev.tandem.api.v1alpha1.TargetPhase;
import dev.tandem.engine.BackfillProgress;
import dev.tandem.engine.LedgerState;
import dev.tandem.engine.VerifyState;
import dev.tandem.engine.conductor.Conductor;
import dev.tandem.operator.Observed;
import dev.tandem.operator.StatusAggregator;
import dev.tandem.plan.MigrationPlan;
import dev.tandem.plan.Planner;
import dev.tandem.api.v1alpha1.Step;

import java.time.Instant;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Statuses as the operator writes them: each reconcile goes through {@link StatusAggregator}, the
 * one class that builds the operator's status, in the order the reconciler calls it (ledger first,
 * then the outcome of the step). For tests of what dashboards, Argo CD, Flux and the metrics make
 * of a migration.
 */
public final class OperatorStatuses {
    public static final Instant T0 = Instant.parse("2026-03-01T10:00:00Z");

    private final SchemaMigration migration;
    private final MigrationPlan plan;
    private Instant now = T0;

    private OperatorStatuses(SchemaMigration migration) {
        this.migration = migration;
        this.plan = Planner.plan(migration);
    }

    /** A quick-start-shaped migration (generation 1) that the operator has not seen yet. */
    public static OperatorStatuses of(String namespace, String name, TargetPhase target) {
        SchemaMigration m = Manifests.attributeMove(namespace, name, "db", target);
        m.getMetadata().setUid("uid-" + namespace + "-" + name);
        m.getMetadata().setGeneration(1L);
        return new OperatorStatuses(m);
    }

    public SchemaMigration migration() {
        return migration;
    }

    public String uid() {
        return migration.getMetadata().getUid();
    }

    public MigrationPlan plan() {
        return plan;
    }

    public Instant now() {
        return now;
    }

    /** Time passes before the next reconcile. */
    public OperatorStatuses after(java.time.Duration d) {
        now = now.plus(d);
        return this;
    }

    /** A commit changed the spec (a promotion): generation + 1, not yet observed. */
    public OperatorStatuses promote(TargetPhase target) {
        Manifests.promote(migration, target, target == TargetPhase.CutOver || target == TargetPhase.Contracted
                ? plan.hash() : null);
        migration.getMetadata().setGeneration(migration.getMetadata().getGeneration() + 1);
        return this;
    }

    /** One reconcile: the ledger says which steps committed, then {@code outcome} records what happened. */
    public OperatorStatuses reconcile(Set<Step> committed, Consumer<StatusAggregator> outcome) {
        StatusAggregator status = new StatusAggregator(migration, now);
        Map<Step, Instant> steps = new EnumMap<>(Step.class);
        committed.forEach(s -> steps.put(s, now));
        LedgerState ledger = new LedgerState(migration.getMetadata().getNamespace() + "/"
                + migration.getMetadata().getName(), !committed.isEmpty(), committed.isEmpty() ? null : plan.hash(),
                uid(), steps, Set.of(), committed.contains(Step.CUTOVER) ? now : null);
        status.ledger(ledger);
        status.plan(new PlanStatus(plan.hash(), plan.summary(), migration.getMetadata().getName() + "-plan"));
        outcome.accept(status);
        migration.setStatus(status.build());
        return this;
    }

    /** The target is reached: Ready, and AwaitingPromotion names the next commit. */
    public OperatorStatuses ready(Set<Step> committed, Phase settled) {
        return reconcile(committed, s -> s.ready(settled, "reached " + settled,
                Observed.nextPromotion(new Conductor.Decision.Reached(settled,
                        settled.nextToward(TargetPhase.Contracted)), plan).orElse(null)));
    }

    /** The step toward {@code inFlight} is recorded as intended (the reconcile before it runs). */
    public OperatorStatuses intend(Set<Step> committed, Phase inFlight) {
        return reconcile(committed, s -> s.intend(inFlight, plan.hash(), null));
    }

    public static BackfillProgress backfillProgress(long rowsTotal, long rowsProcessed, double rowsPerSecond,
                                                    String throttledReason) {
        return new BackfillProgress(rowsTotal, rowsProcessed, rowsProcessed / 10, rowsTotal / 10, rowsPerSecond,
                rowsPerSecond / 10, "entry full-name: page " + rowsProcessed / 10, throttledReason, 0, 0, 1, false);
    }

    /** A finished verification pass with {@code mismatches} different rows. */
    public VerifyState verifyPass(int pass, long rows, long mismatches) {
        String result = mismatches == 0 ? VerifyState.PASSED : VerifyState.FAILED;
        return new VerifyState(pass, false, result, "", now.minusSeconds(30), now, rows, rows, rows, 1, 0, 0,
                mismatches, 0, mismatches == 0 ? List.of() : List.of("full-name different id=7"), List.of(),
                mismatches == 0 ? "clean" : mismatches + " rows differ", mismatches == 0 ? 1 : 0);
    }

    public static Set<Step> upTo(Step last) {
        Set<Step> steps = java.util.EnumSet.noneOf(Step.class);
        for (Step s : List.of(Step.EXPAND, Step.BACKFILL, Step.VERIFY, Step.CUTOVER, Step.CONTRACT)) {
            steps.add(s);
            if (s == last) {
                break;
            }
        }
        return steps;
    }
}
