package dev.tandem.engine;

import java.time.Instant;
import java.util.List;

/**
 * The latest verification pass of a migration, read from the tracking schema.
 *
 * @param pass             number of the latest pass (0: none yet)
 * @param running          the pass has started and not finished
 * @param result           Passed, Failed or Inconclusive once finished, else null
 * @param retryToken       spec.verify.retry when the pass was requested
 * @param startedAt        when the pass started
 * @param finishedAt       when it finished, or null
 * @param rowsEstimate     old rows to walk (from the planner's statistics)
 * @param rowsWalked       old rows walked so far
 * @param rowsChecked      rows compared (old rows within from.where, plus extra new rows)
 * @param chunksDone       chunks compared
 * @param missing          old rows whose new row is missing
 * @param extra            new rows no old row maps to
 * @param different        new rows with other values than the mapping gives
 * @param rowsPerSecond    comparison rate of the pass
 * @param samples          a few mismatches as "entry kind key"
 * @param failedChecks     checks that returned false or could not run, with the reason
 * @param message          the pass's summary, once finished
 * @param consecutivePassed finished passes in a row, newest first, that Passed
 */
public record VerifyState(int pass, boolean running, String result, String retryToken, Instant startedAt,
                          Instant finishedAt, long rowsEstimate, long rowsWalked, long rowsChecked, long chunksDone,
                          long missing, long extra, long different, double rowsPerSecond, List<String> samples,
                          List<String> failedChecks, String message, int consecutivePassed) {
    public static final String PASSED = "Passed";
    public static final String FAILED = "Failed";
    public static final String INCONCLUSIVE = "Inconclusive";

    public static VerifyState none() {
        return new VerifyState(0, false, null, "", null, null, 0, 0, 0, 0, 0, 0, 0, 0, List.of(), List.of(), null, 0);
    }

    /** This pass as it ends with {@code result}. */
    VerifyState finishedWith(String result, List<String> checks) {
        return new VerifyState(pass, false, result, retryToken, startedAt, Instant.now(), rowsEstimate, rowsWalked,
                rowsChecked, chunksDone, missing, extra, different, 0, samples, checks, null, consecutivePassed);
    }

    public long mismatches() {
        return missing + extra + different;
    }

    public boolean finished() {
        return pass > 0 && !running;
    }

    public boolean passed() {
        return finished() && PASSED.equals(result);
    }

    /** The latest pass finished and did not pass. */
    public boolean failed() {
        return finished() && !PASSED.equals(result);
    }

    /** 0..100 for the running pass; 100 once finished. */
    public int percent() {
        if (finished()) {
            return 100;
        }
        long total = Math.max(rowsEstimate, rowsWalked + 1);
        return (int) Math.min(99, rowsWalked * 100 / total);
    }

    /** Seconds to go at the current rate, or -1 when unknown. */
    public long etaSeconds() {
        if (finished()) {
            return 0;
        }
        if (rowsPerSecond <= 0) {
            return -1;
        }
        return Math.max(0, Math.round((Math.max(rowsEstimate, rowsWalked) - rowsWalked) / rowsPerSecond));
    }

    /** One line: what the pass found, naming counts and sample keys. */
    public String describe() {
        StringBuilder b = new StringBuilder("verification pass ").append(pass);
        if (running) {
            return b.append(" running: ").append(percent()).append("% (").append(rowsChecked).append(" rows checked, ")
                    .append(mismatches()).append(" mismatches so far)").toString();
        }
        b.append(' ').append(result == null ? "not finished" : result.toLowerCase(java.util.Locale.ROOT)).append(": ")
                .append(rowsChecked).append(" rows checked, ").append(mismatches()).append(" mismatched (")
                .append(missing).append(" missing in new, ").append(extra).append(" extra in new, ").append(different)
                .append(" different)");
        if (!samples.isEmpty()) {
            b.append("; e.g. ").append(String.join("; ", samples));
        }
        if (!failedChecks.isEmpty()) {
            b.append("; checks: ").append(String.join("; ", failedChecks));
        }
        return b.toString();
    }
}
