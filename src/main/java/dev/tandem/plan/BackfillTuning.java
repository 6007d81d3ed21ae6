package dev.tandem.plan;

import dev.tandem.api.v1alpha1.BackfillSpec;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * How the backfill copies (spec.backfill): tuning, not part of the plan hash.
 *
 * @param batchSize         fixed rows per batch, or null for auto
 * @param targetBatchTime   what auto aims at
 * @param maxRowsPerSecond  over all workers; 0 for unlimited
 * @param maxReplicationLag pause while a replica is further behind
 * @param maxTransactionAge pause while another transaction is open longer
 * @param pausePoll         how often a paused worker looks again
 * @param parallelism       workers (key ranges)
 */
public record BackfillTuning(Integer batchSize, Duration targetBatchTime, int maxRowsPerSecond,
                             Duration maxReplicationLag, Duration maxTransactionAge, Duration pausePoll,
                             int parallelism) {

    public static BackfillTuning defaults() {
        return new BackfillTuning(null, Duration.ofMillis(200), 0, Duration.ofSeconds(10), Duration.ofMinutes(5),
                Duration.ofSeconds(1), 1);
    }

    public static BackfillTuning from(BackfillSpec spec) {
        BackfillTuning d = defaults();
        if (spec == null) {
            return d;
        }
        BackfillSpec.ThrottleSpec t = spec.getThrottle();
        return new BackfillTuning(
                spec.getBatchSize() == null || "auto".equals(spec.getBatchSize()) ? null : Integer.valueOf(spec.getBatchSize()),
                Durations.parseOr(spec.getTargetBatchTime(), d.targetBatchTime()),
                spec.getMaxRowsPerSecond() == null ? 0 : spec.getMaxRowsPerSecond(),
                t == null ? d.maxReplicationLag() : Durations.parseOr(t.getMaxReplicationLag(), d.maxReplicationLag()),
                t == null ? d.maxTransactionAge() : Durations.parseOr(t.getMaxTransactionAge(), d.maxTransactionAge()),
                d.pausePoll(),
                spec.getParallelism() == null ? 1 : Math.max(1, spec.getParallelism()));
    }

    /** The same tuning as command-line options of {@code tandem backfill}. */
    public List<String> toArgs() {
        List<String> args = new ArrayList<>();
        args.add("--batch-size=" + (batchSize == null ? "auto" : batchSize));
        args.add("--target-batch-time=" + targetBatchTime.toMillis() + "ms");
        args.add("--max-rows-per-second=" + maxRowsPerSecond);
        args.add("--max-replication-lag=" + maxReplicationLag.toMillis() + "ms");
        args.add("--max-transaction-age=" + maxTransactionAge.toMillis() + "ms");
        return args;
    }
}
