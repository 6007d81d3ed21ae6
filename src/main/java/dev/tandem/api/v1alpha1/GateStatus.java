package dev.tandem.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

import java.util.Objects;

/** The latest verdict of one cutover gate. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"name", "kind", "passed", "message", "lastCheckTime"})
public class GateStatus {
    @JsonPropertyDescription("The gate's name (cutover.gates[].name; 'verification' for the implicit freshness gate).")
    private String name;

    @JsonPropertyDescription("rollout, sql or verification.")
    private String kind;

    @JsonPropertyDescription("Whether the gate held when last checked.")
    private Boolean passed;

    @JsonPropertyDescription("What the check saw, e.g. '2 of 3 replicas updated' or 'returned false'.")
    private String message;

    @JsonPropertyDescription("When the gate was last checked (RFC 3339).")
    private String lastCheckTime;

    public GateStatus() {
    }

    public GateStatus(String name, String kind, boolean passed, String message, String lastCheckTime) {
        this.name = name;
        this.kind = kind;
        this.passed = passed;
        this.message = message;
        this.lastCheckTime = lastCheckTime;
    }

    public String getName() { return name; }
    public void setName(String name) { this.name = name; }
    public String getKind() { return kind; }
    public void setKind(String kind) { this.kind = kind; }
    public Boolean getPassed() { return passed; }
    public void setPassed(Boolean passed) { this.passed = passed; }
    public String getMessage() { return message; }
    public void setMessage(String message) { this.message = message; }
    public String getLastCheckTime() { return lastCheckTime; }
    public void setLastCheckTime(String lastCheckTime) { this.lastCheckTime = lastCheckTime; }

    @Override
    public boolean equals(Object o) {
        return o instanceof GateStatus g && Objects.equals(name, g.name) && Objects.equals(kind, g.kind)
                && Objects.equals(passed, g.passed) && Objects.equals(message, g.message)
                && Objects.equals(lastCheckTime, g.lastCheckTime);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, kind, passed, message);
    }
}
