package dev.tandem.operator;

import dev.tandem.api.v1alpha1.BackfillStatus;
import dev.tandem.api.v1alpha1.VerificationStatus;
import dev.tandem.engine.BackfillProgress;
import dev.tandem.engine.VerifyState;

import java.util.ArrayList;

/** What the backfill and the verification report, as the status shows it. */
final class ProgressStatus {
    private ProgressStatus() {
    }

    static BackfillStatus backfill(BackfillProgress progress, String job) {
        BackfillStatus b = new BackfillStatus();
        b.setJobRef(job);
        b.setRowsTotal(Math.max(progress.rowsTotal(), progress.rowsProcessed()));
        b.setRowsProcessed(progress.rowsProcessed());
        b.setProgressPercent(progress.percent());
        b.setRowsPerSecond(Math.round(progress.rowsPerSecond()));
        b.setEta(duration(progress.etaSeconds()));
        b.setPosition(progress.position());
        b.setFailedRows(progress.failedRows() > 0 ? progress.failedRows() : null);
        b.setThrottledReason(progress.throttledReason());
        return b;
    }

    /** @param before the verification shown so far (its Job is kept when {@code job} is null) */
    static VerificationStatus verification(VerifyState s, VerificationStatus before, String job, java.time.Instant nextRun) {
        VerificationStatus v = new VerificationStatus();
        v.setJobRef(job != null ? job : before == null ? null : before.getJobRef());
        v.setPass(s.pass());
        v.setCleanPasses(s.consecutivePassed());
        v.setResult(s.running() ? "Running" : s.result());
        v.setCheckedRows(s.rowsChecked());
        v.setMismatchedRows(s.mismatches());
        v.setMissingRows(s.missing());
        v.setExtraRows(s.extra());
        v.setDifferentRows(s.different());
        v.setSampleMismatches(new ArrayList<>(s.samples()));
        v.setFailedChecks(new ArrayList<>(s.failedChecks()));
        v.setChunksDone(s.chunksDone());
        v.setProgressPercent(s.percent());
        if (s.running()) {
            v.setRowsPerSecond(Math.round(s.rowsPerSecond()));
            v.setEta(duration(s.etaSeconds()));
        }
        v.setLastRunTime(StatusAggregator.format(s.finishedAt() != null ? s.finishedAt() : s.startedAt()));
        v.setNextRunTime(StatusAggregator.format(nextRun));
        if (s.pass() == 0) {
            v.setResult("Running"); // the first pass's Job is starting
            v.setPass(1);
        }
        return v;
    }

    static String duration(long seconds) {
        return seconds < 0 ? null : seconds >= 3600 ? seconds / 3600 + "h" + (seconds % 3600) / 60 + "m"
                : seconds >= 60 ? seconds / 60 + "m" + seconds % 60 + "s" : seconds + "s";
    }
}
