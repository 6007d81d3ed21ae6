package dev.tandem.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

import java.util.Objects;

/** Backfill progress, read from the tracking schema in the database. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class BackfillStatus {
    @JsonPropertyDescription("The backfill Job (same namespace).")
    private String jobRef;

    @JsonPropertyDescription("Estimated rows to walk (from PostgreSQL's statistics when the backfill started).")
    private Long rowsTotal;

    @JsonPropertyDescription("Source rows walked so far.")
    private Long rowsProcessed;

    @JsonPropertyDescription("0-100; 100 only when every row is copied.")
    private Integer progressPercent;

    @JsonPropertyDescription("Current copy rate over all workers.")
    private Long rowsPerSecond;

    @JsonPropertyDescription("Estimated time to go, e.g. 3m20s.")
    private String eta;

    @JsonPropertyDescription("Last key copied by the most advanced worker.")
    private String lastKey;

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
    public String getLastKey() { return lastKey; }
    public void setLastKey(String lastKey) { this.lastKey = lastKey; }
    public String getThrottledReason() { return throttledReason; }
    public void setThrottledReason(String throttledReason) { this.throttledReason = throttledReason; }

    @Override
    public boolean equals(Object o) {
        return o instanceof BackfillStatus b && Objects.equals(jobRef, b.jobRef) && Objects.equals(rowsTotal, b.rowsTotal)
                && Objects.equals(rowsProcessed, b.rowsProcessed) && Objects.equals(progressPercent, b.progressPercent)
                && Objects.equals(rowsPerSecond, b.rowsPerSecond) && Objects.equals(eta, b.eta)
                && Objects.equals(lastKey, b.lastKey) && Objects.equals(throttledReason, b.throttledReason);
    }

    @Override
    public int hashCode() {
        return Objects.hash(jobRef, rowsProcessed, progressPercent);
    }
}
