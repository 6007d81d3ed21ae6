package dev.tandem.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.ResourceRequirements;

/** How the backfill copies existing rows. Tuning only: may change at any time, not part of the plan hash. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class BackfillSpec {
    @Default("auto")
    @Pattern("^(auto|[1-9][0-9]{0,5}|1000000)$")
    @JsonPropertyDescription("Rows per batch (one transaction each), 1 to 1000000, or auto to adapt the size so that a "
            + "batch takes about targetBatchTime.")
    private String batchSize;

    @Default("200ms")
    @Pattern(SchemaMigrationSpec.DURATION_PATTERN)
    @ValidationRule(value = "duration(self) >= duration('10ms') && duration(self) <= duration('10m')",
            message = "targetBatchTime must be a duration from 10ms to 10m")
    @JsonPropertyDescription("How long one batch should take with batchSize auto (it also bounds how long source rows "
            + "stay locked by a batch).")
    private String targetBatchTime;

    @Default("0")
    @Min(0)
    @Max(1000000000)
    @JsonPropertyDescription("Upper limit on rows copied per second over all workers; 0 means unlimited.")
    private Integer maxRowsPerSecond;

    @Default("1")
    @Min(1)
    @Max(64)
    @JsonPropertyDescription("Workers: with more than 1, an Indexed Job whose worker i copies the i-th range of the "
            + "source table's pages (no key order is needed, so skewed keys split evenly too).")
    private Integer parallelism;

    @JsonPropertyDescription("When the copy pauses.")
    private ThrottleSpec throttle;

    @JsonPropertyDescription("Resources of the backfill Job's pods.")
    private ResourceRequirements resources;

    public String getBatchSize() { return batchSize; }
    public void setBatchSize(String batchSize) { this.batchSize = batchSize; }
    public String getTargetBatchTime() { return targetBatchTime; }
    public void setTargetBatchTime(String targetBatchTime) { this.targetBatchTime = targetBatchTime; }
    public Integer getMaxRowsPerSecond() { return maxRowsPerSecond; }
    public void setMaxRowsPerSecond(Integer maxRowsPerSecond) { this.maxRowsPerSecond = maxRowsPerSecond; }
    public Integer getParallelism() { return parallelism; }
    public void setParallelism(Integer parallelism) { this.parallelism = parallelism; }
    public ThrottleSpec getThrottle() { return throttle; }
    public void setThrottle(ThrottleSpec throttle) { this.throttle = throttle; }
    public ResourceRequirements getResources() { return resources; }
    public void setResources(ResourceRequirements resources) { this.resources = resources; }

    /** When the backfill pauses. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class ThrottleSpec {
        @Default("10s")
        @Pattern(SchemaMigrationSpec.DURATION_PATTERN)
        @ValidationRule(value = "duration(self) >= duration('1s') && duration(self) <= duration('24h')",
                message = "maxReplicationLag must be a duration from 1s to 24h")
        @JsonPropertyDescription("Pause while any replica replays more than this far behind the primary.")
        private String maxReplicationLag;

        @Default("5m")
        @Pattern(SchemaMigrationSpec.DURATION_PATTERN)
        @ValidationRule(value = "duration(self) >= duration('1s') && duration(self) <= duration('168h')",
                message = "maxTransactionAge must be a duration from 1s to 168h")
        @JsonPropertyDescription("Pause while another transaction has been open longer than this (it holds back "
                + "vacuum, and the copy would only add to the bloat).")
        private String maxTransactionAge;

        public String getMaxReplicationLag() { return maxReplicationLag; }
        public void setMaxReplicationLag(String maxReplicationLag) { this.maxReplicationLag = maxReplicationLag; }
        public String getMaxTransactionAge() { return maxTransactionAge; }
        public void setMaxTransactionAge(String maxTransactionAge) { this.maxTransactionAge = maxTransactionAge; }
    }
}
