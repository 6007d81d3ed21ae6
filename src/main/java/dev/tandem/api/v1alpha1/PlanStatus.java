package dev.tandem.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

import java.util.List;
import java.util.Objects;

/** Summary of the plan: every statement of every phase, hashed. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class PlanStatus {
    @JsonPropertyDescription("Hash of everything that decides which SQL runs. Copy it into spec.promotion.planHash to "
            + "promote to CutOver or Contracted.")
    private String hash;

    @JsonPropertyDescription("Statements per phase and the strongest lock each phase takes.")
    private String summary;

    @JsonPropertyDescription("ConfigMap (same namespace) holding the full plan under key plan.txt.")
    private String configMapRef;

    @JsonPropertyDescription("The lint's counts, e.g. '0 errors, 1 warning, 0 notes' (condition PlanLinted is False "
            + "while there is an error).")
    private String lint;

    @JsonPropertyDescription("What the lint found in the migration's SQL, most severe first, as 'tandem plan' prints "
            + "it (without the catalog facts that need --database).")
    private List<PlanFinding> findings;

    public PlanStatus() {
    }

    public PlanStatus(String hash, String summary, String configMapRef) {
        this.hash = hash;
        this.summary = summary;
        this.configMapRef = configMapRef;
    }

    public String getHash() { return hash; }
    public void setHash(String hash) { this.hash = hash; }
    public String getSummary() { return summary; }
    public void setSummary(String summary) { this.summary = summary; }
    public String getConfigMapRef() { return configMapRef; }
    public void setConfigMapRef(String configMapRef) { this.configMapRef = configMapRef; }
    public String getLint() { return lint; }
    public void setLint(String lint) { this.lint = lint; }
    public List<PlanFinding> getFindings() { return findings; }
    public void setFindings(List<PlanFinding> findings) { this.findings = findings; }

    @Override
    public boolean equals(Object o) {
        return o instanceof PlanStatus p && Objects.equals(hash, p.hash) && Objects.equals(summary, p.summary)
                && Objects.equals(configMapRef, p.configMapRef) && Objects.equals(lint, p.lint)
                && Objects.equals(findings, p.findings);
    }

    @Override
    public int hashCode() {
        return Objects.hash(hash, summary, configMapRef);
    }
}
