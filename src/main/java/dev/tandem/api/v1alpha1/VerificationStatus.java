package dev.tandem.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/** The latest verification pass, read from the tracking schema in the database. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"result", "pass", "cleanPasses", "jobRef", "checkedRows", "mismatchedRows", "missingRows",
        "extraRows", "differentRows", "sampleMismatches", "failedChecks", "progressPercent", "chunksDone",
        "rowsPerSecond", "eta", "lastRunTime", "nextRunTime"})
public class VerificationStatus {
    @JsonPropertyDescription("Running, or the result of the pass: Passed (no mismatch, every check true), Failed "
            + "(a mismatch or a check returned false) or Inconclusive (a check could not run).")
    private String result;

    @JsonPropertyDescription("Number of the pass shown, from 1.")
    private Integer pass;

    @JsonPropertyDescription("Consecutive clean passes so far.")
    private Integer cleanPasses;

    @JsonPropertyDescription("The verification Job running or last running the pass (same namespace).")
    private String jobRef;

    @JsonPropertyDescription("Rows compared so far in this pass (old and new side counted once per key).")
    private Long checkedRows;

    @JsonPropertyDescription("Rows that differ: missingRows + extraRows + differentRows.")
    private Long mismatchedRows;

    @JsonPropertyDescription("Old rows whose new row is missing.")
    private Long missingRows;

    @JsonPropertyDescription("New rows (within to.where) that no old row maps to.")
    private Long extraRows;

    @JsonPropertyDescription("New rows whose values differ from the mapping of their old row.")
    private Long differentRows;

    @JsonPropertyDescription("Some mismatches as 'entry kind key', e.g. 'full-name missing user_id=17'. The full list "
            + "is in the tracking schema, table verify_mismatches.")
    private List<String> sampleMismatches = new ArrayList<>();

    @JsonPropertyDescription("Checks that returned false or could not run, with the reason.")
    private List<String> failedChecks = new ArrayList<>();

    @JsonPropertyDescription("0-100 while the pass runs (from the estimated row count).")
    private Integer progressPercent;

    @JsonPropertyDescription("Chunks compared so far in this pass.")
    private Long chunksDone;

    @JsonPropertyDescription("Current comparison rate.")
    private Long rowsPerSecond;

    @JsonPropertyDescription("Estimated time to go for the running pass, e.g. 1m20s.")
    private String eta;

    @JsonPropertyDescription("When the pass shown finished (or started, while it runs).")
    private String lastRunTime;

    @JsonPropertyDescription("When the next re-verification pass is due (with spec.verify.reverifyEvery at Verified).")
    private String nextRunTime;

    public String getResult() { return result; }
    public void setResult(String result) { this.result = result; }
    public Integer getPass() { return pass; }
    public void setPass(Integer pass) { this.pass = pass; }
    public Integer getCleanPasses() { return cleanPasses; }
    public void setCleanPasses(Integer cleanPasses) { this.cleanPasses = cleanPasses; }
    public String getJobRef() { return jobRef; }
    public void setJobRef(String jobRef) { this.jobRef = jobRef; }
    public Long getCheckedRows() { return checkedRows; }
    public void setCheckedRows(Long checkedRows) { this.checkedRows = checkedRows; }
    public Long getMismatchedRows() { return mismatchedRows; }
    public void setMismatchedRows(Long mismatchedRows) { this.mismatchedRows = mismatchedRows; }
    public Long getMissingRows() { return missingRows; }
    public void setMissingRows(Long missingRows) { this.missingRows = missingRows; }
    public Long getExtraRows() { return extraRows; }
    public void setExtraRows(Long extraRows) { this.extraRows = extraRows; }
    public Long getDifferentRows() { return differentRows; }
    public void setDifferentRows(Long differentRows) { this.differentRows = differentRows; }
    public List<String> getSampleMismatches() { return sampleMismatches; }
    public void setSampleMismatches(List<String> sampleMismatches) { this.sampleMismatches = sampleMismatches; }
    public List<String> getFailedChecks() { return failedChecks; }
    public void setFailedChecks(List<String> failedChecks) { this.failedChecks = failedChecks; }
    public Integer getProgressPercent() { return progressPercent; }
    public void setProgressPercent(Integer progressPercent) { this.progressPercent = progressPercent; }
    public Long getChunksDone() { return chunksDone; }
    public void setChunksDone(Long chunksDone) { this.chunksDone = chunksDone; }
    public Long getRowsPerSecond() { return rowsPerSecond; }
    public void setRowsPerSecond(Long rowsPerSecond) { this.rowsPerSecond = rowsPerSecond; }
    public String getEta() { return eta; }
    public void setEta(String eta) { this.eta = eta; }
    public String getLastRunTime() { return lastRunTime; }
    public void setLastRunTime(String lastRunTime) { this.lastRunTime = lastRunTime; }
    public String getNextRunTime() { return nextRunTime; }
    public void setNextRunTime(String nextRunTime) { this.nextRunTime = nextRunTime; }

    @Override
    public boolean equals(Object o) {
        return o instanceof VerificationStatus v && Objects.equals(result, v.result) && Objects.equals(pass, v.pass)
                && Objects.equals(cleanPasses, v.cleanPasses) && Objects.equals(jobRef, v.jobRef)
                && Objects.equals(checkedRows, v.checkedRows) && Objects.equals(mismatchedRows, v.mismatchedRows)
                && Objects.equals(missingRows, v.missingRows) && Objects.equals(extraRows, v.extraRows)
                && Objects.equals(differentRows, v.differentRows) && Objects.equals(sampleMismatches, v.sampleMismatches)
                && Objects.equals(failedChecks, v.failedChecks) && Objects.equals(progressPercent, v.progressPercent)
                && Objects.equals(chunksDone, v.chunksDone) && Objects.equals(rowsPerSecond, v.rowsPerSecond)
                && Objects.equals(eta, v.eta) && Objects.equals(lastRunTime, v.lastRunTime)
                && Objects.equals(nextRunTime, v.nextRunTime);
    }

    @Override
    public int hashCode() {
        return Objects.hash(result, pass, checkedRows);
    }
}
