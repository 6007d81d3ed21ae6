package dev.tandem.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

import java.util.Objects;

/** Backfill progress, read from the tracking schema in the database. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class BackfillStatus {
    @JsonPropertyDescription("The backfill Job (same namespace).")
    private String jobRef;

    @JsonPropertyDescription("Estimated source rows (from PostgreSQL's statistics when the backfill started; rows outside "
            + "from.where are counted too).")
    private Long rowsTotal;

    @JsonPropertyDescription("New rows the backfill has written so far (rows a sync trigger had already written are "
            + "skipped, not counted).")
    private Long rowsProcessed;

    @JsonPropertyDescription("0-100, by source pages walked; 100 only when every row is copied and removals that raced "
            + "the copy are repaired.")
    private Integer progressPercent;

    @JsonPropertyDescription("Current copy rate over all workers.")
    private Long rowsPerSecond;

    @JsonPropertyDescription("Estimated time to go, e.g. 3m20s.")
    private String eta;

    @JsonPropertyDescription("Where the walk is, e.g. 'sync entry full-name: page 1,200 of 19,175' (the backfill walks "
            + "each source table by heap pages).")
    private String position;

    @JsonPropertyDescription("Source rows whose expressions raised an error: not copied, recorded with their key and "
            + "error in the tracking schema's sync_errors table (with onError Record); verification names them.")
    private Long failedRows;

    @JsonPropertyDescription("Why the copy is paused now (old transaction, replication lag, rate limit), if it is.")
    private String throttledReason;

    public String getJobRef() { return jobRef; }
    public void setJobRef(String jobRef) { this.jobRef = jobRef; }
    public Long getRowsTotal() { return rowsTotal; }
    public void setRowsTotal(Long rowsTotal) { this.rowsTotal = rowsTotal; }
    public Long getRowsProcessed() { return rowsProcessed; }
    public void setRowsProcessed(Long rowsProcessed) { this.rowsProcessed = rowsProcessed; }
    public Integer getProgressPercent() { return progressPercent; }
    public void setProgressPercent(Integer progressPercent) { this.progressPercent = progressPercent; }
    public Long getRowsPerSecond() { return rowsPerSecond; }
    public void setRowsPerSecond(Long rowsPerSecond) { this.rowsPerSecond = rowsPerSecond; }
    public String getEta() { return eta; }
    public void setEta(String eta) { this.eta = eta; }
    public String getPosition() { return position; }
    public void setPosition(String position) { this.position = position; }
    public Long getFailedRows() { return failedRows; }
    public void setFailedRows(Long failedRows) { this.failedRows = failedRows; }
    public String getThrottledReason() { return throttledReason; }
    public void setThrottledReason(String throttledReason) { this.throttledReason = throttledReason; }

    @Override
    public boolean equals(Object o) {
        return o instanceof BackfillStatus b && Objects.equals(jobRef, b.jobRef) && Objects.equals(rowsTotal, b.rowsTotal)
                && Objects.equals(rowsProcessed, b.rowsProcessed) && Objects.equals(progressPercent, b.progressPercent)
                && Objects.equals(rowsPerSecond, b.rowsPerSecond) && Objects.equals(eta, b.eta)
                && Objects.equals(position, b.position) && Objects.equals(failedRows, b.failedRows) && Objects.equals(throttledReason, b.throttledReason);
    }

    @Override
    public int hashCode() {
        return Objects.hash(jobRef, rowsProcessed, progressPercent);
    }
}
