package dev.tandem.plan;

import dev.tandem.api.v1alpha1.VerifySpec;

import java.time.Duration;
import java.util.List;

/**
 * How verification runs (spec.verify without its checks): tuning, not part of the plan hash.
 *
 * @param cleanPasses           consecutive clean passes before Verified
 * @param reverifyEvery         pause between re-verification passes at Verified, or null for none
 * @param chunkSize             source rows per chunk
 * @param maxRecordedMismatches mismatching rows recorded per pass
 * @param parallelism           workers comparing a pass's chunks at once
 * @param wholeTableRows        an entry whose old and new tables are estimated at no more rows each is first
 *                              compared whole, in one snapshot; 0: always chunk by chunk
 */
public record VerifyTuning(int cleanPasses, Duration reverifyEvery, int chunkSize, int maxRecordedMismatches,
                           int parallelism, long wholeTableRows) {
    public static final int DEFAULT_CHUNK_SIZE = 200_000;
    public static final int DEFAULT_MAX_RECORDED = 1_000;
    public static final int DEFAULT_PARALLELISM = 2;
    /** About ten seconds of one snapshot on a small machine (two million rows a second or more). */
    public static final long DEFAULT_WHOLE_TABLE_ROWS = 20_000_000;
    /**
     * A whole-table comparison that runs longer is cancelled and the entry compared chunk by chunk:
     * its snapshot holds back VACUUM no longer than this (the statement timeout, when shorter).
     */
    public static final Duration WHOLE_TABLE_TIMEOUT = Duration.ofMinutes(5);

    public VerifyTuning {
        parallelism = Math.max(1, parallelism);
        wholeTableRows = Math.max(0, wholeTableRows);
    }

    public static VerifyTuning defaults() {
        return new VerifyTuning(1, null, DEFAULT_CHUNK_SIZE, DEFAULT_MAX_RECORDED, DEFAULT_PARALLELISM,
                DEFAULT_WHOLE_TABLE_ROWS);
    }

    public static VerifyTuning from(VerifySpec spec) {
        if (spec == null) {
            return defaults();
        }
        return new VerifyTuning(spec.getCleanPasses() == null ? 1 : Math.max(1, spec.getCleanPasses()),
                spec.getReverifyEvery() == null ? null : Durations.parseOr(spec.getReverifyEvery(), null),
                spec.getChunkSize() == null ? DEFAULT_CHUNK_SIZE : Math.max(1, spec.getChunkSize()),
                spec.getMaxRecordedMismatches() == null ? DEFAULT_MAX_RECORDED : Math.max(0, spec.getMaxRecordedMismatches()),
                spec.getParallelism() == null ? DEFAULT_PARALLELISM : spec.getParallelism(),
                spec.getWholeTableRows() == null ? DEFAULT_WHOLE_TABLE_ROWS : spec.getWholeTableRows());
    }

    public VerifyTuning withChunkSize(int rows) {
        return new VerifyTuning(cleanPasses, reverifyEvery, rows, maxRecordedMismatches, parallelism, wholeTableRows);
    }

    public VerifyTuning withParallelism(int workers) {
        return new VerifyTuning(cleanPasses, reverifyEvery, chunkSize, maxRecordedMismatches, workers, wholeTableRows);
    }

    /** The same tuning with entries whose tables hold up to {@code rows} rows each first compared whole (0: never). */
    public VerifyTuning withWholeTableRows(long rows) {
        return new VerifyTuning(cleanPasses, reverifyEvery, chunkSize, maxRecordedMismatches, parallelism, rows);
    }

    /** The options of {@code tandem verify} that carry this tuning. */
    public List<String> toArgs() {
        return List.of("--chunk-size=" + chunkSize, "--max-recorded-mismatches=" + maxRecordedMismatches,
                "--workers=" + parallelism, "--whole-table-rows=" + wholeTableRows);
    }
}
