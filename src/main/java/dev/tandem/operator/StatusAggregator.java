package dev.tandem.operator;

import dev.tandem.engine.Redaction;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tandem.api.v1alpha1.BackfillStatus;
import dev.tandem.api.v1alpha1.DatabaseStatus;
import dev.tandem.api.v1alpha1.ErrorStatus;
import dev.tandem.api.v1alpha1.HistoryEntry;
import dev.tandem.api.v1alpha1.EventReason;
import dev.tandem.api.v1alpha1.Hold;
import dev.tandem.api.v1alpha1.Phase;
import dev.tandem.api.v1alpha1.Reason;
import dev.tandem.api.v1alpha1.PlanStatus;
import dev.tandem.api.v1alpha1.SchemaMigration;
import dev.tandem.api.v1alpha1.SchemaMigrationStatus;
import dev.tandem.engine.LedgerState;
import dev.tandem.engine.conductor.Conductor;
import dev.tandem.engine.conductor.Outcome;
import dev.tandem.engine.conductor.Crossing;
import dev.tandem.engine.conductor.GateVerdict;
import dev.tandem.engine.OldStorageState;
import dev.tandem.api.v1alpha1.GateStatus;
import dev.tandem.api.v1alpha1.OldStorageStatus;
import dev.tandem.engine.VerifyState;
import dev.tandem.api.v1alpha1.Step;
import dev.tandem.api.v1alpha1.StatusCondition;

import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Builds the whole status of one reconcile from the previous one and what was observed. Keeps a
 * condition's lastTransitionTime unless its status changed; sets observedGeneration everywhere.
 */
public final class StatusAggregator {
    static final int HISTORY_LIMIT = StatusHistory.LIMIT;
    private static final ObjectMapper COPIER = new ObjectMapper();
    private static final Map<String, Step> MILESTONES = Map.of(Names.Conditions.EXPANDED, Step.EXPAND,
            Names.Conditions.BACKFILLED, Step.BACKFILL, Names.Conditions.VERIFIED, Step.VERIFY,
            Names.Conditions.CUT_OVER, Step.CUTOVER, Names.Conditions.CONTRACTED, Step.CONTRACT);

    private final SchemaMigration migration;
    private final SchemaMigrationStatus previous;
    private final SchemaMigrationStatus status;
    private final StatusConditions conditions;
    private final long generation;
    private final String now;
    private final StatusHistory history;
    /** The settled phase the ledger shows, once known. */
    private Phase settled;

    public StatusAggregator(SchemaMigration migration, Instant now) {
        this.migration = migration;
        this.previous = migration.getStatus() == null ? new SchemaMigrationStatus() : migration.getStatus();
        this.status = COPIER.convertValue(previous, SchemaMigrationStatus.class);
        this.generation = migration.getMetadata().getGeneration() == null ? 0 : migration.getMetadata().getGeneration();
        this.now = format(now);
        this.history = new StatusHistory(status, this.now);
        this.conditions = new StatusConditions(previous, generation, this.now);
        status.setObservedGeneration(generation);
        status.setTargetPhase(migration.getSpec() == null || migration.getSpec().getTargetPhase() == null ? null
                : migration.getSpec().getTargetPhase().name());
        if (status.getPhase() == null) {
            phase(Phase.Pending);
        }
    }

    public SchemaMigrationStatus previous() {
        return previous;
    }

    public Phase currentPhase() {
        return status.getPhase();
    }

    /** Sets the phase as observed (the ledger's truth may jump ahead of a lost status). */
    private void phase(Phase phase) {
        status.setPhase(phase);
        status.setStep(phase.stepLabel().isEmpty() ? null : phase.stepLabel());
    }

    public void plan(PlanStatus plan) {
        status.setPlan(plan);
    }

    /** The plan's lint: condition PlanLinted, and an Event when its findings changed. */
    public void planLinted(boolean clean, String message, boolean findingsChanged) {
        condition(Names.Conditions.PLAN_LINTED, clean, clean ? Names.Reasons.LINT_CLEAN : Names.Reasons.LINT_ERRORS, message);
        if (findingsChanged) {
            events.add(new Event(clean ? EventReason.PlanLinted : EventReason.PlanLintFailed, message));
        }
    }

    public void database(DatabaseStatus database) {
        status.setDatabase(database);
    }

    public void databaseConnected(boolean connected, String reason, String message) {
        condition(Names.Conditions.DATABASE_CONNECTED, connected, reason, message);
    }

    /** Milestones, reversibility and the point of no return, from the ledger. */
    public void ledger(LedgerState ledger) {
        boolean rolledBack = ledger.applied(Step.ROLLBACK);
        MILESTONES.forEach((type, step) -> {
            boolean reached = ledger.applied(step) && !rolledBack;
            condition(type, reached, reached ? Names.Reasons.STEP_COMMITTED
                    : rolledBack ? Names.Reasons.ROLLED_BACK : Names.Reasons.NOT_YET,
                    reached ? step.key() + " committed at " + format(ledger.steps().get(step))
                            : rolledBack ? "the migration was rolled back" : step.key() + " has not run yet");
        });
        if (ledger.pastPointOfNoReturn()) {
            status.setPointOfNoReturnTime(format(ledger.pointOfNoReturn() != null ? ledger.pointOfNoReturn()
                    : ledger.steps().get(Step.CUTOVER)));
            condition(Names.Conditions.REVERSIBLE, false, Reason.PointOfNoReturnPassed.name(),
                    "cutover committed; the migration can only go forward");
        } else if (rolledBack) {
            condition(Names.Conditions.REVERSIBLE, false, Names.Reasons.ROLLED_BACK, "the migration was rolled back");
        } else {
            condition(Names.Conditions.REVERSIBLE, true, Names.Reasons.BEFORE_CUTOVER,
                    "before the point of no return: targetPhase RolledBack undoes the migration");
        }
        settled = ledger.settledPhase();
        Phase current = status.getPhase();
        boolean intentPending = current != null && current.isInFlight() && !ledger.applied(current.step().orElseThrow());
        if (!intentPending && current != Phase.Failed) {
            phase(ledger.settledPhase());
        }
    }

    /** An Event this reconcile earned. */
    public record Event(EventReason reason, String message) {
    }

    private final List<Event> events = new ArrayList<>();

    /** What one step of the conductor did. */
    public void outcome(Outcome o, Instant at) {
        if (o.verification() != null) {
            verification(o.verification(), o instanceof Outcome.Waiting w ? w.worker() : null, null);
        }
        if (o instanceof Outcome.Advanced a) {
            advanced(a.phase(), a.detail());
            if (a.phase() == Phase.Backfilled && previous.getBackfill() != null) {
                backfillDone();
            }
            events.add(new Event(a.phase() == Phase.CutOver ? EventReason.PointOfNoReturnPassed
                    : EventReason.StepSucceeded, a.phase() + ": " + a.detail()));
        } else if (o instanceof Outcome.Waiting w) {
            waiting(w.message(), w.progress(), w.progress() == null ? null : w.worker());
        } else if (o instanceof Outcome.Retry r) {
            boolean same = previous.getLastError() != null && r.reason().name().equals(previous.getLastError().getReason());
            retrying(r.reason(), r.message(), at.plus(r.retryIn()));
            if (!same) {
                events.add(new Event(EventReason.StepRetrying, r.message()));
            }
        } else if (o instanceof Outcome.Failed f) {
            failed(f.reason(), f.message());
        } else if (o instanceof Outcome.Held h) {
            held(h);
        }
    }

    /**
     * The step may not run yet and nothing is wrong: Ready is False with the hold as its reason,
     * Reconciling and Stalled are False (GitOps tools report the migration healthy), status says what
     * it waits for. A recorded intent that the hold overtook is superseded.
     */
    public void held(Outcome.Held h) {
        if (status.getPhase() != null && status.getPhase().isInFlight()) {
            phase(settled != null ? settled : status.getPhase().settled());
            history.supersedeOpen();
        }
        if (!h.gates().isEmpty()) {
            gates(h.gates());
        }
        if (h.oldStorage() != null || h.possibleAt() != null) {
            oldStorage(h.oldStorage(), h.possibleAt());
        }
        boolean newly = previous.condition(Names.Conditions.READY).map(c -> !h.hold().name().equals(c.getReason()))
                .orElse(true);
        String message = Redaction.scrub(h.message());
        status.setMessage(message);
        status.setLastError(null);
        status.setNextRetryTime(null);
        condition(Names.Conditions.READY, false, h.hold().name(), message);
        condition(Names.Conditions.RECONCILING, false, h.hold().name(), "waiting, nothing to do: " + message);
        condition(Names.Conditions.STALLED, false, Names.Reasons.NOT_STALLED, "");
        condition(Names.Conditions.AWAITING_PROMOTION, false, Names.Reasons.NOT_AWAITING, message);
        if (newly) {
            events.add(new Event(h.hold() == Hold.AwaitingGates ? EventReason.AwaitingGates : EventReason.AwaitingQuiet,
                    message));
        }
    }

    /** What stands before the next crossing (gates; the old-storage watch and contract's waits), for status. */
    public void crossing(Crossing c) {
        if (!c.gates().isEmpty()) {
            gates(c.gates());
        }
        if (c.oldStorage() != null || c.contractPossibleAt() != null) {
            oldStorage(c.oldStorage(), c.contractPossibleAt());
        }
    }

    private void gates(List<GateVerdict> verdicts) {
        status.setGates(CrossingStatus.gates(verdicts));
    }

    private void oldStorage(OldStorageState old, Instant possibleAt) {
        CrossingStatus.firstWrite(previous.getOldStorage(), old)
                .ifPresent(message -> events.add(new Event(EventReason.OldStorageWritten, message)));
        status.setOldStorage(CrossingStatus.oldStorage(migration, old, possibleAt));
    }

    /** Waiting at Verified: the latest pass, and a re-verification running or failed. */
    public void watch(Conductor.Watch w) {
        verification(w.state(), w.worker(), w.nextRun());
        if (w.failure() != null) {
            stalled(Reason.VerifyJobFailed, w.failure());
        } else if (w.worker() != null) {
            note("re-verifying: " + w.state().describe());
        }
    }

    /**
     * The Events this reconcile earned: its steps, a new stall (with the Event of its reason), a
     * migration newly awaiting promotion.
     */
    public List<Event> events() {
        List<Event> out = new ArrayList<>(events);
        SchemaMigrationStatus built = build();
        if (newlyStalled() && built.getLastError() != null) {
            out.add(new Event(Observed.reason(built.getLastError().getReason()).map(Reason::event)
                    .orElse(EventReason.StepFailed), built.getMessage()));
        }
        if (becameTrue(Names.Conditions.AWAITING_PROMOTION)) {
            out.add(new Event(EventReason.AwaitingPromotion, built.getMessage()));
        }
        return out;
    }

    /** Records the intent to run a step: the in-flight phase and an open history entry. */
    public void intend(Phase inFlight, String planHash, String reference) {
        if (settled != null && status.getPhase() != null && status.getPhase().isInFlight() && status.getPhase() != inFlight) {
            phase(settled); // an intent never carried out is superseded: start from what the ledger says
        }
        move(inFlight);
        history.supersedeOpen();
        status.setMessage(inFlight + ": step recorded as intended, running next");
        events.add(new Event(EventReason.StepStarted, inFlight + ": running " + inFlight.step().orElseThrow().key()
                + " of plan " + planHash));
        history.open(inFlight.settled(), planHash, reference);
        reconciling(Names.Reasons.STEP_RUNNING, status.getMessage());
    }

    /** A step committed. */
    public void advanced(Phase settled, String detail) {
        move(settled);
        settled.step().ifPresent(step -> MILESTONES.forEach((type, milestone) -> {
            if (milestone == step) {
                condition(type, true, Names.Reasons.STEP_COMMITTED, step.key() + " committed at " + now);
            }
        }));
        if (settled == Phase.CutOver) {
            status.setPointOfNoReturnTime(now);
            condition(Names.Conditions.REVERSIBLE, false, Reason.PointOfNoReturnPassed.name(),
                    "cutover committed; the migration can only go forward");
        }
        closeHistoryOf(settled, "Succeeded");
        status.setLastError(null);
        status.setNextRetryTime(null);
        status.setMessage(settled + ": " + detail);
        reconciling(Names.Reasons.PROGRESSING, status.getMessage());
    }

    /** A step is under way (a Job works): what it says now. */
    public void waiting(String message, dev.tandem.engine.BackfillProgress progress, String job) {
        status.setMessage(message);
        status.setLastError(null);
        status.setNextRetryTime(null);
        if (progress != null) {
            status.setBackfill(ProgressStatus.backfill(progress, job));
        }
        reconciling(Names.Reasons.STEP_RUNNING, message);
    }

    /** The latest verification pass; {@code job} the Job running it (null: keep the one shown). */
    public void verification(VerifyState s, String job, Instant nextRun) {
        if (s == null || s.pass() == 0 && job == null) {
            return;
        }
        status.setVerification(ProgressStatus.verification(s, status.getVerification(), job, nextRun));
        StatusCondition verified = conditions.get(Names.Conditions.VERIFIED).orElse(null);
        if (s.failed() && (verified == null || !"True".equals(verified.getStatus()))) {
            condition(Names.Conditions.VERIFIED, false, (VerifyState.INCONCLUSIVE.equals(s.result())
                    ? Reason.VerificationInconclusive : Reason.VerificationFailed).name(), s.describe());
        }
    }

    /** Adds a remark to the message of a settled migration (e.g. a re-verification running). */
    public void note(String remark) {
        status.setMessage(status.getMessage() + "; " + remark);
    }

    /** The backfill committed: its progress reads 100%. */
    public void backfillDone() {
        BackfillStatus b = status.getBackfill();
        b.setProgressPercent(100);
        b.setEta("0s");
        b.setRowsPerSecond(0L);
        b.setThrottledReason(null);
        if (b.getRowsProcessed() != null && (b.getRowsTotal() == null || b.getRowsTotal() < b.getRowsProcessed())) {
            b.setRowsTotal(b.getRowsProcessed());
        }
    }

    public void ready(Phase settled, String message, String nextPromotion) {
        phase(settled);
        status.setMessage(nextPromotion == null ? message : message + "; next: " + nextPromotion);
        status.setLastError(null);
        status.setNextRetryTime(null);
        condition(Names.Conditions.READY, true, Names.Reasons.TARGET_REACHED, status.getMessage());
        condition(Names.Conditions.RECONCILING, false, Names.Reasons.IDLE, "target reached");
        condition(Names.Conditions.STALLED, false, Names.Reasons.NOT_STALLED, "");
        condition(Names.Conditions.AWAITING_PROMOTION, nextPromotion != null,
                nextPromotion != null ? Names.Reasons.AWAITING_PROMOTION : Names.Reasons.FINISHED,
                nextPromotion != null ? nextPromotion : "the migration is finished");
    }

    public void stalled(Reason reason, String message) {
        stalled(reason.name(), message);
    }

    private void stalled(String reason, String rawMessage) {
        String message = Redaction.scrub(rawMessage);
        status.setMessage(message);
        status.setLastError(new ErrorStatus(reason, message, sameErrorTime(reason, message)));
        status.setNextRetryTime(null);
        condition(Names.Conditions.READY, false, reason, message);
        condition(Names.Conditions.RECONCILING, false, reason, "needs a person: " + message);
        condition(Names.Conditions.STALLED, true, reason, message);
        condition(Names.Conditions.AWAITING_PROMOTION, false, Names.Reasons.NOT_AWAITING, "stalled");
    }

    /** A step failed in a way that needs a person; the phase shows Failed. */
    public void failed(Reason reason, String message) {
        closeHistoryOf(status.getPhase() == null ? Phase.Failed : status.getPhase().settled(), "Failed");
        move(Phase.Failed);
        stalled(reason, message);
    }

    public void retrying(Reason reason, String rawMessage, Instant retryAt) {
        String message = Redaction.scrub(rawMessage);
        status.setMessage(message);
        status.setLastError(new ErrorStatus(reason.name(), message, sameErrorTime(reason.name(), message)));
        status.setNextRetryTime(format(retryAt));
        condition(Names.Conditions.READY, false, reason.name(), message);
        reconciling(Names.Reasons.RETRYING, "retrying at " + status.getNextRetryTime() + ": " + message);
    }

    public void suspended(Phase settled) {
        if (previous.condition(Names.Conditions.READY).map(c -> !Names.Reasons.SUSPENDED.equals(c.getReason())).orElse(true)) {
            events.add(new Event(EventReason.Suspended, "suspended at " + settled
                    + ": no step is taken until spec.suspend is false"));
        }
        phase(settled);
        status.setMessage("suspended at " + settled + ": no step is taken until spec.suspend is false");
        condition(Names.Conditions.READY, false, Names.Reasons.SUSPENDED, status.getMessage());
        condition(Names.Conditions.RECONCILING, false, Names.Reasons.SUSPENDED, status.getMessage());
        condition(Names.Conditions.STALLED, false, Names.Reasons.NOT_STALLED, "");
        condition(Names.Conditions.AWAITING_PROMOTION, false, Names.Reasons.SUSPENDED, status.getMessage());
    }

    /** A transition this reconcile makes: it must be on the phase graph (a wrong one is a bug, not an input). */
    private void move(Phase to) {
        Phase from = status.getPhase();
        if (from != null && from != to && !from.canMoveTo(to)) {
            throw new IllegalStateException("phase " + from + " cannot move to " + to);
        }
        phase(to);
    }

    private void reconciling(String reason, String message) {
        condition(Names.Conditions.READY, false, Names.Reasons.PROGRESSING, message);
        condition(Names.Conditions.RECONCILING, true, reason, message);
        condition(Names.Conditions.STALLED, false, Names.Reasons.NOT_STALLED, "");
        condition(Names.Conditions.AWAITING_PROMOTION, false, Names.Reasons.NOT_AWAITING, "working toward the target");
    }

    public SchemaMigrationStatus build() {
        status.setConditions(conditions.ordered());
        return status;
    }

    public boolean changed() {
        return !Objects.equals(build(), previous);
    }

    /** Whether a condition turned True in this reconcile (to emit an event once). */
    public boolean becameTrue(String type) {
        return conditions.becameTrue(type);
    }

    /** Whether the Stalled condition or its reason is new in this reconcile (to emit an event once). */
    public boolean newlyStalled() {
        return conditions.newlyStalled();
    }

    private void condition(String type, boolean value, String reason, String message) {
        conditions.set(type, value, reason, message);
    }

    private String sameErrorTime(String reason, String message) {
        ErrorStatus old = previous.getLastError();
        return old != null && Objects.equals(old.getReason(), reason) && Objects.equals(old.getMessage(), message)
                ? old.getTime() : now;
    }

    private void closeHistoryOf(Phase phase, String result) {
        history.close(phase, result, status.getPlan() == null ? null : status.getPlan().getHash(),
                migration.getSpec().getPromotion() == null ? null : migration.getSpec().getPromotion().getReference());
    }

    static String format(Instant instant) {
        return instant == null ? null : DateTimeFormatter.ISO_INSTANT.format(instant.truncatedTo(ChronoUnit.SECONDS));
    }
}
