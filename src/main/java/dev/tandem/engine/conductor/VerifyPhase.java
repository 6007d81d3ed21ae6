package dev.tandem.engine.conductor;

import dev.tandem.api.v1alpha1.Reason;
import dev.tandem.api.v1alpha1.Step;
import dev.tandem.engine.Engine;
import dev.tandem.engine.EngineException;
import dev.tandem.engine.VerifyState;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * Proves old and new storage agree: runs verification passes (a Job each, or in-process), follows
 * them in the tracking schema, and commits the Verified step after spec.verify.cleanPasses clean
 * passes in a row. A pass that did not pass stops the migration until spec.verify.retry changes.
 * While the migration waits at Verified, {@link #watch} runs a new pass every reverifyEvery; a pass
 * that finds a mismatch withdraws Verified (the engine does it, in the database), so cutover waits
 * for a clean pass. With no sync entries and no checks there is nothing to compare.
 */
final class VerifyPhase {
    static final Duration RECHECK = Duration.ofSeconds(2);

    private final Engine engine;
    private final StepPhase steps;

    VerifyPhase(Engine engine, StepPhase steps) {
        this.engine = engine;
        this.steps = steps;
    }

    Outcome advance(StepRequest r) {
        if (!r.plan().verifies() || r.workers() == null) {
            return steps.apply(Step.VERIFY, r);
        }
        VerifyState state;
        try {
            state = engine.verification(r.plan());
        } catch (EngineException e) {
            return StepPhase.failure(e, StepPhase.RETRY_OTHER);
        }
        int needed = r.verifyTuning().cleanPasses();
        if (state.passed() && state.consecutivePassed() >= needed) {
            Outcome result = steps.apply(Step.VERIFY, r);
            return result instanceof Outcome.Advanced a
                    ? new Outcome.Advanced(a.phase(), a.ranNow(), a.detail() + " after " + state.consecutivePassed()
                    + (state.consecutivePassed() == 1 ? " clean pass" : " clean passes") + " (" + state.rowsChecked()
                    + " rows checked)", state)
                    : result;
        }
        if (state.failed() && Objects.equals(state.retryToken(), r.retryToken())) {
            return new Outcome.Failed(VerifyState.INCONCLUSIVE.equals(state.result()) ? Reason.VerificationInconclusive
                    : Reason.VerificationFailed, state.describe() + "; every mismatch is listed in table "
                    + engine.trackingSchema() + ".verify_mismatches (pass " + state.pass() + "). Fix the data, then "
                    + "verify again (spec.verify.retry set to a new value, or tandem run again), or roll back", state);
        }
        int pass = state.running() ? state.pass() : state.pass() + 1;
        Workers.Worker worker = r.workers().verify(r.plan(), pass, r.retryToken(), r.verifyTuning(), false);
        if (worker.state() == Workers.State.FAILED) {
            return new Outcome.Failed(worker.reason() != null ? worker.reason() : Reason.VerifyJobFailed,
                    "verification pass " + pass + " (" + worker.name() + ") failed: " + worker.failure()
                            + "; fix the cause, then " + worker.retryHint() + " (it resumes from its checkpoint)", state);
        }
        String progress = state.running() ? state.describe() : "verification pass " + pass + " starting";
        return new Outcome.Waiting(progress + "; " + Math.min(state.consecutivePassed(), needed) + " of " + needed
                + (needed == 1 ? " clean pass" : " clean passes") + " so far", RECHECK, null, state, worker.name());
    }

    /** While waiting at Verified: what the latest pass says, and a new pass once reverifyEvery has passed. */
    Optional<Conductor.Watch> watch(StepRequest r) {
        if (!r.plan().verifies() || r.workers() == null) {
            return Optional.empty();
        }
        VerifyState state;
        try {
            state = engine.verification(r.plan());
        } catch (EngineException e) {
            return Optional.empty();
        }
        Duration every = r.verifyTuning().reverifyEvery();
        Instant due = every == null ? null : state.finishedAt() == null ? r.now() : state.finishedAt().plus(every);
        int pass;
        if (state.running()) {
            pass = state.pass();
        } else if (due != null && !r.now().isBefore(due)) {
            pass = state.pass() + 1;
        } else {
            return Optional.of(new Conductor.Watch(due == null ? null : Duration.between(r.now(), due), state, null, null, due));
        }
        Workers.Worker worker = r.workers().verify(r.plan(), pass, r.retryToken(), r.verifyTuning(), false);
        String failure = worker.state() == Workers.State.FAILED ? "re-verification (" + worker.name() + ") failed: "
                + worker.failure() + "; fix the cause, then " + worker.retryHint() : null;
        return Optional.of(new Conductor.Watch(RECHECK, state, worker.name(), failure, null));
    }
}
