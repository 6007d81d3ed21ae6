package dev.tandem.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

import java.util.Objects;

/** One step taken. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class HistoryEntry {
    @JsonPropertyDescription("The phase the step led to, e.g. Expanded.")
    private String phase;

    @JsonPropertyDescription("When the step started (RFC 3339).")
    private String start;

    @JsonPropertyDescription("When the step ended (RFC 3339).")
    private String end;

    @JsonPropertyDescription("Succeeded or Failed.")
    private String result;

    @JsonPropertyDescription("The plan hash the step ran with.")
    private String planHash;

    @JsonPropertyDescription("spec.promotion.reference at the time of the step.")
    private String reference;

    public HistoryEntry() {
    }

    public HistoryEntry(String phase, String start, String end, String result, String planHash, String reference) {
        this.phase = phase;
        this.start = start;
        this.end = end;
        this.result = result;
        this.planHash = planHash;
        this.reference = reference;
    }

    public String getPhase() { return phase; }
    public void setPhase(String phase) { this.phase = phase; }
    public String getStart() { return start; }
    public void setStart(String start) { this.start = start; }
    public String getEnd() { return end; }
    public void setEnd(String end) { this.end = end; }
    public String getResult() { return result; }
    public void setResult(String result) { this.result = result; }
    public String getPlanHash() { return planHash; }
    public void setPlanHash(String planHash) { this.planHash = planHash; }
    public String getReference() { return reference; }
    public void setReference(String reference) { this.reference = reference; }

    @Override
    public boolean equals(Object o) {
        return o instanceof HistoryEntry h && Objects.equals(phase, h.phase) && Objects.equals(start, h.start)
                && Objects.equals(end, h.end) && Objects.equals(result, h.result)
                && Objects.equals(planHash, h.planHash) && Objects.equals(reference, h.reference);
    }

    @Override
    public int hashCode() {
        return Objects.hash(phase, start, end, result, planHash, reference);
    }
}
