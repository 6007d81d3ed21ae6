package dev.tandem.engine.conductor;

import dev.tandem.api.v1alpha1.Phase;
import dev.tandem.api.v1alpha1.Reason;
import dev.tandem.api.v1alpha1.TargetPhase;
import dev.tandem.engine.Engine;
import dev.tandem.engine.EngineException;
import dev.tandem.engine.LedgerState;
import dev.tandem.engine.VerifyState;
import dev.tandem.plan.MigrationPlan;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * Drives a migration toward its target, whoever asks: the operator's reconciler and
 * {@code tandem run} both call it, so the cluster and the laptop follow the same rules. Given what
 * the ledger says (the database is the source of truth), {@link #decide} answers stop (and why),
 * reached, or the phase to reach next; {@link #advance} takes one step toward that phase, through
 * the class that owns it; {@link #watch} keeps verifying while a migration waits at Verified.
 */
public final class Conductor {
    private final StepPhase steps;
    private final BackfillPhase backfill;
    private final VerifyPhase verify;
    private final CutoverGates gates;
    private final ContractWait contractWait;

    public Conductor(Engine engine) {
        this.steps = new StepPhase(engine);
        this.backfill = new BackfillPhase(engine, steps);
        this.verify = new VerifyPhase(engine, steps);
        this.gates = new CutoverGates(engine);
        this.contractWait = new ContractWait(engine);
    }

    /** Where a migration is asked to go: spec.targetPhase and spec.promotion.planHash (or their flags). */
    public record Promotion(TargetPhase target, String planHash) {
    }

    /** What to do now. */
    public sealed interface Decision {
        /** A person must act; nothing runs. */
        record Stop(Reason reason, String message) implements Decision {
        }

        /** The target is reached; {@code next} is the phase a promotion could ask for next, if any. */
        record Reached(Phase phase, Optional<Phase> next) implements Decision {
        }

        /** Take the step to the settled phase {@code phase}. */
        record Next(Phase phase) implements Decision {
        }
    }

    /**
     * The rules about where a migration may go, checked against the ledger, so they hold even where
     * the API server runs no CEL rules or status was lost.
     */
    public static Decision decide(MigrationPlan plan, LedgerState ledger, Promotion promotion) {
        TargetPhase target = promotion.target();
        Phase settled = ledger.settledPhase();
        if (ledger.started() && ledger.planHash() != null && !ledger.planHash().equals(plan.hash())
                && !ledger.acceptsRevisedContract(plan.hash(), plan.baseHash())) {
            return new Decision.Stop(Reason.SpecImmutable, "the migration's definition changed after expand "
                    + "(database, expand, sync, cutover and rollback are immutable from then on; contract may change only "
                    + "after cutover): the database "
                    + "ran plan " + ledger.planHash() + ", the spec now gives plan " + plan.hash() + "; revert the change "
                    + "(only targetPhase, promotion, suspend and tuning may change)");
        }
        if (settled == Phase.RolledBack && target != TargetPhase.RolledBack) {
            return new Decision.Stop(Reason.RolledBackIsFinal, "the migration was rolled back; a rolled-back migration "
                    + "is final: set targetPhase back to RolledBack, or start a new migration under another name");
        }
        if (settled.isPastPointOfNoReturn() && (target.phase().rank() < settled.rank() || target == TargetPhase.RolledBack)) {
            return new Decision.Stop(Reason.PointOfNoReturnPassed, "the migration cut over at " + ledger.pointOfNoReturn()
                    + " (the point of no return) and is at " + settled + "; targetPhase " + target + " would go back: "
                    + "only forward is allowed, set targetPhase to " + (settled == Phase.Contracted ? "Contracted"
                    : "CutOver or Contracted"));
        }
        if (target != TargetPhase.RolledBack && settled.rank() > target.phase().rank()) {
            return new Decision.Stop(Reason.TargetPhaseBehind, "the migration is at " + settled + ", past targetPhase "
                    + target + "; phases never run backwards: set targetPhase to " + settled + " or later, or to "
                    + "RolledBack to undo the migration");
        }
        Optional<Phase> next = settled.nextToward(target);
        if (next.isEmpty()) {
            return new Decision.Reached(settled, settled.nextToward(TargetPhase.Contracted));
        }
        if (next.get().needsPlanHash() && !plan.hash().equals(promotion.planHash())) {
            String given = promotion.planHash();
            return new Decision.Stop(Reason.PlanHashMismatch, "targetPhase " + target + " needs the plan hash \""
                    + plan.hash() + "\" as promotion.planHash, but it is " + (given == null ? "missing" : "\"" + given
                    + "\"") + ": review the plan, then promote with that hash");
        }
        return new Decision.Next(next.get());
    }

    /**
     * Whether the step to {@code next} may run now: for cutover every gate must hold (a stale proof
     * starts a new verification pass), for contract the waits must be over. Other steps are open.
     * Drivers ask before they record the intent to run a step, so a held migration stays settled.
     */
    public Crossing crossing(Phase next, StepRequest request) {
        try {
            return switch (next) {
                case CutOver -> gates.check(request, true);
                case Contracted -> contractWait.check(request);
                default -> Crossing.OPEN;
            };
        } catch (EngineException e) { // never open on an error: look again
            return new Crossing(java.util.List.of(), null, null, new Outcome.Held(next == Phase.CutOver
                    ? dev.tandem.api.v1alpha1.Hold.AwaitingGates : dev.tandem.api.v1alpha1.Hold.AwaitingQuiet,
                    "could not check whether " + next + " may run: " + e.getMessage(), CutoverGates.RECHECK,
                    java.util.List.of(), null, null));
        }
    }

    /**
     * What stands before the next crossing of a settled migration, for status, without starting
     * anything: the gates at Verified, the old-storage watch and contract's waits at CutOver.
     */
    public Crossing preview(Phase settled, StepRequest request) {
        try {
            if (settled == Phase.Verified) {
                return gates.check(request, false);
            }
            if (settled == Phase.CutOver) {
                return contractWait.check(request);
            }
        } catch (EngineException e) {
            // shown again on the next reconcile
        }
        return Crossing.OPEN;
    }

    /** Takes one step toward the settled phase {@code next}; safe to call again after any outcome. */
    public Outcome advance(Phase next, StepRequest request) {
        if (next == Phase.CutOver || next == Phase.Contracted) {
            Crossing crossing = crossing(next, request);
            if (!crossing.allowed()) {
                return crossing.held();
            }
            Outcome done = steps.apply(next.step().orElseThrow(), request);
            return done instanceof Outcome.Advanced a && !crossing.gates().isEmpty()
                    ? new Outcome.Advanced(a.phase(), a.ranNow(), a.detail() + "; gates passed: " + crossing.gates().stream()
                    .map(GateVerdict::name).collect(java.util.stream.Collectors.joining(", ")), a.verification())
                    : done;
        }
        return switch (next) {
            case Expanded, RolledBack -> steps.apply(next.step().orElseThrow(), request);
            case Backfilled -> backfill.advance(request);
            case Verified -> verify.advance(request);
            default -> throw new IllegalArgumentException("no step leads to " + next);
        };
    }

    /**
     * While waiting at Verified: the latest pass, and a new pass once reverifyEvery has passed.
     *
     * @param recheck when to look again (null: no re-verification)
     * @param state   the latest pass
     * @param worker  who runs a pass now, or null
     * @param failure why that pass's work failed, or null
     * @param nextRun when the next pass is due, or null
     */
    public record Watch(Duration recheck, VerifyState state, String worker, String failure, Instant nextRun) {
    }

    public Optional<Watch> watch(StepRequest request) {
        return verify.watch(request);
    }
}
