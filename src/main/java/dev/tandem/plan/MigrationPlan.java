package dev.tandem.plan;

import dev.tandem.api.v1alpha1.Step;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Every statement of every step of a migration, in order, and the hash that binds promotions to
 * it.
 *
 * @param namespace namespace of the migration (the ledger key is namespace/name)
 * @param name      name of the migration
 * @param trackingSchema schema of the ledger and of the tables the sync triggers write to
 * @param steps     one entry per {@link Step}, in step order
 * @param sync      the compiled sync entries (their triggers are in the expand step; the backfill and
 *                  verification assemble their batches from them)
 * @param checks    spec.verify.checks, run in every verification pass
 * @param hash      hash over everything that decides which SQL runs
 */
public record MigrationPlan(String namespace, String name, String trackingSchema, List<PlanStep> steps, List<CompiledSync> sync,
                            List<PlannedCheck> checks, String hash) {

    public MigrationPlan {
        checks = checks == null ? List.of() : List.copyOf(checks);
    }

    /** Whether verification has anything to compare or check (else the Verify step commits at once). */
    public boolean verifies() {
        return !sync.isEmpty() || !checks.isEmpty();
    }

    /** namespace/name: the key of this migration in the ledger. */
    public String key() {
        return namespace + "/" + name;
    }

    public PlanStep step(Step step) {
        return steps.stream().filter(s -> s.step() == step).findFirst()
                .orElseGet(() -> PlanStep.of(step, List.of()));
    }

    public Optional<PlanStep> find(Step step) {
        return steps.stream().filter(s -> s.step() == step).findFirst();
    }

    public int statementCount() {
        return steps.stream().mapToInt(s -> s.statements().size()).sum();
    }

    /** One line per step: statement count and strongest lock. */
    public String summary() {
        return steps.stream().map(s -> {
            int count = s.statements().size();
            String text = s.step().key() + " " + count + (count == 1 ? " statement" : " statements");
            return count == 0 ? text : text + " (" + s.strongestLock().sqlName() + ")";
        }).collect(Collectors.joining("; "));
    }
}
