package dev.tandem.api.v1alpha1;

import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;

/**
 * The phase a migration is in. This enum owns the phase graph.
 *
 * <p>Settled phases (a step has committed) and their legal next phases:
 * <ul>
 *   <li>{@code Pending} → Expanding, RollingBack (nothing to undo: no SQL runs)</li>
 *   <li>{@code Expanded} → Backfilling, RollingBack</li>
 *   <li>{@code Backfilled} → Verifying, RollingBack</li>
 *   <li>{@code Verified} → CuttingOver, Verifying (re-verification), RollingBack</li>
 *   <li>{@code CutOver} → Contracting (the point of no return is behind: no way back)</li>
 *   <li>{@code Contracted} → none (final)</li>
 *   <li>{@code RolledBack} → none (final)</li>
 * </ul>
 * In-flight phases ({@code Expanding}, {@code Backfilling}, {@code Verifying}, {@code CuttingOver},
 * {@code Contracting}, {@code RollingBack}) record the intent to run a step before it runs; each
 * leads to its settled phase or stays (a retry). An intent never carried out is superseded by a
 * new one from the settled phase the ledger shows (e.g. a rollback asked for while an expand was
 * retrying); Expanding may turn to RollingBack directly. {@code Failed} is left when the cause is fixed.
 *
 * <p>What moves a migration: a settled phase moves to the in-flight phase of the next step toward
 * spec.targetPhase when the gates allow it (the plan hash for CutOver and Contracted); an in-flight
 * phase settles when its step commits in the database ledger. Each settled phase has one step
 * leading to it ({@link #step()}); {@link Step} keys the ledger.
 */
public enum Phase {
    Pending(0, false),
    Expanding(1, true),
    Expanded(1, false),
    Backfilling(2, true),
    Backfilled(2, false),
    Verifying(3, true),
    Verified(3, false),
    CuttingOver(4, true),
    CutOver(4, false),
    Contracting(5, true),
    Contracted(5, false),
    RollingBack(-1, true),
    RolledBack(-1, false),
    Failed(-1, false);

    /** Number of forward steps: Expanded, Backfilled, Verified, CutOver, Contracted. */
    public static final int FORWARD_STEPS = 5;

    private final int rank;
    private final boolean inFlight;

    Phase(int rank, boolean inFlight) {
        this.rank = rank;
        this.inFlight = inFlight;
    }

    /** Position on the forward path (Pending 0 … Contracted 5); -1 off the forward path. */
    public int rank() {
        return rank;
    }

    public boolean isInFlight() {
        return inFlight;
    }

    public boolean isFinal() {
        return this == Contracted || this == RolledBack;
    }

    /** True from the point of no return on: cutover committed. */
    public boolean isPastPointOfNoReturn() {
        return this == CutOver || this == Contracting || this == Contracted;
    }

    /** The in-flight phase that leads to this settled phase. */
    public Optional<Phase> inFlightPhase() {
        return switch (this) {
            case Expanded -> Optional.of(Expanding);
            case Backfilled -> Optional.of(Backfilling);
            case Verified -> Optional.of(Verifying);
            case CutOver -> Optional.of(CuttingOver);
            case Contracted -> Optional.of(Contracting);
            case RolledBack -> Optional.of(RollingBack);
            default -> Optional.empty();
        };
    }

    /** The settled phase an in-flight phase leads to (identity for settled phases). */
    public Phase settled() {
        return switch (this) {
            case Expanding -> Expanded;
            case Backfilling -> Backfilled;
            case Verifying -> Verified;
            case CuttingOver -> CutOver;
            case Contracting -> Contracted;
            case RollingBack -> RolledBack;
            default -> this;
        };
    }

    /** The settled phase before this one on the forward path. */
    public Optional<Phase> previousSettled() {
        return switch (settled()) {
            case Expanded -> Optional.of(Pending);
            case Backfilled -> Optional.of(Expanded);
            case Verified -> Optional.of(Backfilled);
            case CutOver -> Optional.of(Verified);
            case Contracted -> Optional.of(CutOver);
            default -> Optional.empty();
        };
    }

    /** Legal next phases from this one. */
    public Set<Phase> next() {
        return switch (this) {
            case Pending -> EnumSet.of(Expanding, RollingBack, Failed);
            case Expanding -> EnumSet.of(Expanded, Expanding, RollingBack, Failed);
            case Expanded -> EnumSet.of(Backfilling, RollingBack);
            case Backfilling -> EnumSet.of(Backfilled, Backfilling, RollingBack, Failed);
            case Backfilled -> EnumSet.of(Verifying, RollingBack);
            case Verifying -> EnumSet.of(Verified, Verifying, RollingBack, Failed);
            case Verified -> EnumSet.of(CuttingOver, Verifying, RollingBack);
            case CuttingOver -> EnumSet.of(CutOver, CuttingOver, Failed);
            case CutOver -> EnumSet.of(Contracting);
            case Contracting -> EnumSet.of(Contracted, Contracting, Failed);
            case RollingBack -> EnumSet.of(RolledBack, RollingBack, Failed);
            case Contracted, RolledBack -> EnumSet.noneOf(Phase.class);
            case Failed -> EnumSet.complementOf(EnumSet.of(Pending, Failed));
        };
    }

    public boolean canMoveTo(Phase target) {
        return next().contains(target);
    }

    /**
     * The next settled phase to reach from this settled phase toward {@code target}, or empty when
     * the target is reached or lies behind (phases never run backwards).
     */
    public Optional<Phase> nextToward(TargetPhase target) {
        Phase settled = settled();
        if (settled.isFinal()) {
            return Optional.empty();
        }
        if (target == TargetPhase.RolledBack) {
            return settled.isPastPointOfNoReturn() ? Optional.empty() : Optional.of(RolledBack);
        }
        if (settled.rank() >= target.phase().rank()) {
            return Optional.empty();
        }
        return Optional.of(switch (settled) {
            case Pending -> Expanded;
            case Expanded -> Backfilled;
            case Backfilled -> Verified;
            case Verified -> CutOver;
            case CutOver -> Contracted;
            default -> throw new IllegalStateException("no forward step from " + settled);
        });
    }

    /** The step that leads to this phase (settled, or in flight toward it); empty for Pending and Failed. */
    public Optional<Step> step() {
        return switch (settled()) {
            case Expanded -> Optional.of(Step.EXPAND);
            case Backfilled -> Optional.of(Step.BACKFILL);
            case Verified -> Optional.of(Step.VERIFY);
            case CutOver -> Optional.of(Step.CUTOVER);
            case Contracted -> Optional.of(Step.CONTRACT);
            case RolledBack -> Optional.of(Step.ROLLBACK);
            default -> Optional.empty();
        };
    }

    /** The settled phase a committed step leads to. */
    public static Phase after(Step step) {
        return switch (step) {
            case EXPAND -> Expanded;
            case BACKFILL -> Backfilled;
            case VERIFY -> Verified;
            case CUTOVER -> CutOver;
            case CONTRACT -> Contracted;
            case ROLLBACK -> RolledBack;
        };
    }

    /** Whether promoting to this settled phase needs promotion.planHash (it crosses or is past the point of no return). */
    public boolean needsPlanHash() {
        return this == CutOver || this == Contracted;
    }

    /** "3/5" for Verifying and Verified; empty off the forward path. */
    public String stepLabel() {
        return rank >= 0 ? rank + "/" + FORWARD_STEPS : "";
    }
}
