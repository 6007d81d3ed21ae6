package dev.tandem.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

import java.util.Objects;

/** One finding of the plan's lint, as 'tandem plan' prints it. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"severity", "rule", "statement", "message", "fix"})
public class PlanFinding {
    @JsonPropertyDescription("ERROR, WARNING or INFO. 'tandem plan' exits with code 2 on an ERROR (by default).")
    private String severity;

    @JsonPropertyDescription("The rule, e.g. table-rewrite or check-without-not-valid (see docs/plan-lint.md).")
    private String rule;

    @JsonPropertyDescription("Where: the spec field and the statement's number in it, e.g. 'spec.expand.sql statement 2'.")
    private String statement;

    @JsonPropertyDescription("What the statement does: the table, the lock it takes, whether it scans or rewrites the "
            + "table under that lock, and why it matters.")
    private String message;

    @JsonPropertyDescription("The safe form.")
    private String fix;

    public PlanFinding() {
    }

    public PlanFinding(String severity, String rule, String statement, String message, String fix) {
        this.severity = severity;
        this.rule = rule;
        this.statement = statement;
        this.message = message;
        this.fix = fix;
    }

    public String getSeverity() { return severity; }
    public void setSeverity(String severity) { this.severity = severity; }
    public String getRule() { return rule; }
    public void setRule(String rule) { this.rule = rule; }
    public String getStatement() { return statement; }
    public void setStatement(String statement) { this.statement = statement; }
    public String getMessage() { return message; }
    public void setMessage(String message) { this.message = message; }
    public String getFix() { return fix; }
    public void setFix(String fix) { this.fix = fix; }

    @Override
    public boolean equals(Object o) {
        return o instanceof PlanFinding f && Objects.equals(severity, f.severity) && Objects.equals(rule, f.rule)
                && Objects.equals(statement, f.statement) && Objects.equals(message, f.message) && Objects.equals(fix, f.fix);
    }

    @Override
    public int hashCode() {
        return Objects.hash(severity, rule, statement, message);
    }
}
