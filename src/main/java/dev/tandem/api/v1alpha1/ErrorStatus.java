package dev.tandem.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

import java.util.Objects;

/** An error as shown to a person. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class ErrorStatus {
    @JsonPropertyDescription("Machine-readable reason, e.g. LockTimeout, SecretNotFound, SqlError.")
    private String reason;

    @JsonPropertyDescription("What went wrong and what to do about it.")
    private String message;

    @JsonPropertyDescription("When it happened (RFC 3339).")
    private String time;

    public ErrorStatus() {
    }

    public ErrorStatus(String reason, String message, String time) {
        this.reason = reason;
        this.message = message;
        this.time = time;
    }

    public String getReason() { return reason; }
    public void setReason(String reason) { this.reason = reason; }
    public String getMessage() { return message; }
    public void setMessage(String message) { this.message = message; }
    public String getTime() { return time; }
    public void setTime(String time) { this.time = time; }

    @Override
    public boolean equals(Object o) {
        return o instanceof ErrorStatus e && Objects.equals(reason, e.reason) && Objects.equals(message, e.message)
                && Objects.equals(time, e.time);
    }

    @Override
    public int hashCode() {
        return Objects.hash(reason, message, time);
    }
}
