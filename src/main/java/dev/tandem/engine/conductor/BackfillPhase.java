package dev.tandem.engine.conductor;

import dev.tandem.api.v1alpha1.Reason;
import dev.tandem.api.v1alpha1.Step;
import dev.tandem.engine.BackfillProgress;
import dev.tandem.engine.Engine;
import dev.tandem.engine.EngineException;

import java.time.Duration;

/**
 * Copies existing rows: starts the backfill (a Job, or in-process), follows its progress in the
 * tracking schema, and commits the Backfilled step once every row is copied and the removals that
 * raced the copy are repaired. With no sync entries there is nothing to copy.
 */
final class BackfillPhase {
    static final Duration RECHECK = Duration.ofSeconds(2);

    private final Engine engine;
    private final StepPhase steps;

    BackfillPhase(Engine engine, StepPhase steps) {
        this.engine = engine;
        this.steps = steps;
    }

    Outcome advance(StepRequest r) {
        if (r.plan().sync().isEmpty() || r.workers() == null) {
            return steps.apply(Step.BACKFILL, r);
        }
        BackfillProgress progress;
        try {
            progress = engine.backfillProgress(r.plan());
        } catch (EngineException e) {
            return StepPhase.failure(e, StepPhase.RETRY_OTHER);
        }
        if (progress.complete()) {
            return steps.apply(Step.BACKFILL, r);
        }
        Workers.Worker worker = r.workers().backfill(r.plan(), r.tuning(), false);
        if (worker.state() == Workers.State.FAILED) {
            return new Outcome.Failed(worker.reason() != null ? worker.reason() : Reason.BackfillJobFailed,
                    "the backfill (" + worker.name() + ") failed: " + worker.failure() + "; fix the cause, then "
                            + worker.retryHint() + " (it resumes from its checkpoint)");
        }
        if (worker.state() == Workers.State.SUCCEEDED) {
            BackfillProgress after = progressOr(r, progress); // in-process: it has just finished
            if (after.complete()) {
                return steps.apply(Step.BACKFILL, r);
            }
            return new Outcome.Failed(Reason.BackfillJobFailed, "the backfill (" + worker.name() + ") finished but "
                    + (after.shardsTotal() - after.shardsDone()) + " page ranges are not done; " + worker.retryHint());
        }
        String message = "backfilling: " + progress.percent() + "% (" + progress.rowsProcessed() + " rows written, "
                + Math.round(progress.rowsPerSecond()) + " rows/s" + (progress.position() == null ? "" : ", "
                + progress.position()) + ")" + (progress.throttledReason() == null ? ""
                : ", paused: " + progress.throttledReason());
        return new Outcome.Waiting(message, RECHECK, progress, worker.name());
    }

    private BackfillProgress progressOr(StepRequest r, BackfillProgress before) {
        try {
            return engine.backfillProgress(r.plan());
        } catch (EngineException e) {
            return before;
        }
    }
}
