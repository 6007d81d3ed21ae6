package dev.tandem.engine;

/**
 * How far the backfill is, summed over entries and shards, read from the tracking schema.
 *
 * @param rowsTotal       estimate of the rows to walk (from the planner's statistics at start)
 * @param rowsProcessed   source rows walked so far
 * @param rowsWritten     new rows written (rows already written by a trigger are not written again)
 * @param rowsPerSecond   current copy rate over all workers
 * @param lastKey         last key done by the most advanced worker, as text
 * @param throttledReason why a worker is paused now, or null
 * @param shardsDone      (entry, shard) pairs finished
 * @param shardsTotal     (entry, shard) pairs planned (0 before the backfill started)
 * @param complete        every entry of the plan fully copied
 */
public record BackfillProgress(long rowsTotal, long rowsProcessed, long rowsWritten, double rowsPerSecond,
                               String lastKey, String throttledReason, int shardsDone, int shardsTotal,
                               boolean complete) {

    /** 0..100; 100 only when complete, so it never shows 100 too early nor stays below it when done. */
    public int percent() {
        if (complete) {
            return 100;
        }
        long total = Math.max(rowsTotal, rowsProcessed + 1);
        return (int) Math.min(99, rowsProcessed * 100 / total);
    }

    /** Seconds to go at the current rate, or -1 when unknown. */
    public long etaSeconds() {
        if (complete) {
            return 0;
        }
        if (rowsPerSecond <= 0) {
            return -1;
        }
        return Math.max(0, Math.round((Math.max(rowsTotal, rowsProcessed) - rowsProcessed) / rowsPerSecond));
    }
}
