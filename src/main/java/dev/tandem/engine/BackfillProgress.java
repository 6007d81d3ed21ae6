package dev.tandem.engine;

/**
 * How far the backfill is, summed over entries and shards, read from the tracking schema.
 *
 * @param rowsTotal       estimate of the source rows (from PostgreSQL's statistics when each entry started)
 * @param rowsProcessed   new rows written by the backfill so far (rows a trigger had written are not counted)
 * @param pagesDone       source pages walked
 * @param pagesTotal      source pages to walk (the size of each source table when its entry started)
 * @param rowsPerSecond   current copy rate over all workers
 * @param pagesPerSecond  current walk rate over all workers
 * @param position        where the walk is, e.g. "entry full-name: page 1,200 of 19,175", or null
 * @param throttledReason why a worker is paused now, or null
 * @param failedRows      rows whose expressions raised (recorded in sync_errors, not copied)
 * @param shardsDone      (entry, shard) pairs finished
 * @param shardsTotal     (entry, shard) pairs planned (0 before the backfill started)
 * @param complete        every entry of the plan fully copied, and removals that raced it repaired
 */
public record BackfillProgress(long rowsTotal, long rowsProcessed, long pagesDone, long pagesTotal,
                               double rowsPerSecond, double pagesPerSecond, String position, String throttledReason,
                               long failedRows, int shardsDone, int shardsTotal, boolean complete) {

    /** 0..100 by pages walked; 100 only when complete, so it never shows 100 too early nor stays below it when done. */
    public int percent() {
        if (complete) {
            return 100;
        }
        if (pagesTotal <= 0) {
            return 0;
        }
        return (int) Math.min(99, pagesDone * 100 / pagesTotal);
    }

    /** Seconds to go at the current rate, or -1 when unknown. */
    public long etaSeconds() {
        if (complete) {
            return 0;
        }
        if (pagesPerSecond <= 0) {
            return -1;
        }
        return Math.max(0, Math.round(Math.max(0, pagesTotal - pagesDone) / pagesPerSecond));
    }
}
