package dev.tandem.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.ResourceRequirements;

import java.util.ArrayList;
import java.util.List;

/**
 * How old and new storage are proven to agree before cutover. The checks are part of the plan
 * (and its hash); the other fields are tuning and may change at any time.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class VerifySpec {
    @Default("1")
    @Min(1)
    @Max(100)
    @JsonPropertyDescription("Consecutive clean verification passes needed before the migration is Verified.")
    private Integer cleanPasses;

    @Pattern(SchemaMigrationSpec.DURATION_PATTERN)
    @ValidationRule(value = "duration(self) >= duration('1s') && duration(self) <= duration('720h')",
            message = "reverifyEvery must be a duration from 1s to 720h")
    @JsonPropertyDescription("While the migration waits at Verified, run another pass this long after the last one "
            + "finished, e.g. 30m. A pass that finds a mismatch revokes Verified and stalls the migration, so cutover is "
            + "refused until a clean pass. Unset: no re-verification.")
    private String reverifyEvery;

    @Default("200000")
    @Min(100)
    @Max(1000000)
    @JsonPropertyDescription("Source rows per chunk (about: the bounds are cut once per pass from a sample of the "
            + "keys). Each chunk is read in one REPEATABLE READ snapshot (both sides), compared by an aggregate hash first "
            + "and row by row only when the hashes differ.")
    private Integer chunkSize;

    @Default("2")
    @Min(1)
    @Max(64)
    @JsonPropertyDescription("Workers comparing a pass's chunks at once, each on its own connection (each keeps about "
            + "one database core busy; 1 on a database without a spare core): each pass is an Indexed Job whose worker i "
            + "compares every parallelism-th chunk (tandem run starts as many threads). An entry compared whole, or one "
            + "whose new key is not its old key, is compared by one worker with parallelism - 1 of PostgreSQL's parallel "
            + "workers.")
    private Integer parallelism;

    @Default("20000000")
    @Min(0)
    @Max(1000000000)
    @JsonPropertyDescription("An entry keyed by its old key whose old and new tables each hold at most this many rows "
            + "(the planner's estimates) is first compared whole: both tables hashed in one REPEATABLE READ snapshot by "
            + "sequential scans, with parallelism - 1 of PostgreSQL's parallel workers (whatever the server's "
            + "max_parallel_workers_per_gather; its max_parallel_workers still caps them) while the other workers wait, "
            + "about twice as fast as key ranges. Only when the whole differs (or runs 5 minutes) are its chunks "
            + "compared, finding the rows; an entry with onDelete: Keep is always compared chunk by chunk. That snapshot "
            + "holds back VACUUM while it lasts (about a second per two million rows on a small machine) and a pass "
            + "killed during it compares the entry again. 0: always chunk by chunk.")
    private Integer wholeTableRows;

    @Default("1000")
    @Min(0)
    @Max(100000)
    @JsonPropertyDescription("Mismatching rows recorded per pass in the tracking schema (table verify_mismatches); "
            + "all of them are counted.")
    private Integer maxRecordedMismatches;

    @JsonPropertyDescription("Set to a new value (e.g. the current date) to run verification again after a pass "
            + "failed or was inconclusive, once the cause is fixed.")
    private String retry;

    @JsonPropertyDescription("SQL checks that must each return true (one row, one boolean column), run read-only in "
            + "every pass after the row comparison. Part of the plan: immutable once the migration has expanded.")
    private List<VerifyCheck> checks = new ArrayList<>();

    @JsonPropertyDescription("Resources of the verification Job's pods.")
    private ResourceRequirements resources;

    public Integer getCleanPasses() { return cleanPasses; }
    public void setCleanPasses(Integer cleanPasses) { this.cleanPasses = cleanPasses; }
    public String getReverifyEvery() { return reverifyEvery; }
    public void setReverifyEvery(String reverifyEvery) { this.reverifyEvery = reverifyEvery; }
    public Integer getChunkSize() { return chunkSize; }
    public void setChunkSize(Integer chunkSize) { this.chunkSize = chunkSize; }
    public Integer getParallelism() { return parallelism; }
    public void setParallelism(Integer parallelism) { this.parallelism = parallelism; }
    public Integer getWholeTableRows() { return wholeTableRows; }
    public void setWholeTableRows(Integer wholeTableRows) { this.wholeTableRows = wholeTableRows; }
    public Integer getMaxRecordedMismatches() { return maxRecordedMismatches; }
    public void setMaxRecordedMismatches(Integer maxRecordedMismatches) { this.maxRecordedMismatches = maxRecordedMismatches; }
    public String getRetry() { return retry; }
    public void setRetry(String retry) { this.retry = retry; }
    public List<VerifyCheck> getChecks() { return checks; }
    public void setChecks(List<VerifyCheck> checks) { this.checks = checks; }
    public ResourceRequirements getResources() { return resources; }
    public void setResources(ResourceRequirements resources) { this.resources = resources; }

    /** One user check. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class VerifyCheck {
        @JsonPropertyDescription("Name of the check, shown in status when it fails.")
        private String name;

        @JsonPropertyDescription("A query returning one boolean, true when the data is right, e.g. "
                + "SELECT count(*) = 0 FROM users_pii p LEFT JOIN users u ON u.id = p.user_id WHERE u.id IS NULL")
        private String sql;

        public VerifyCheck() {
        }

        public VerifyCheck(String name, String sql) {
            this.name = name;
            this.sql = sql;
        }

        public String getName() { return name; }
        public void setName(String name) { this.name = name; }
        public String getSql() { return sql; }
        public void setSql(String sql) { this.sql = sql; }
    }
}
