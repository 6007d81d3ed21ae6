package dev.tandem.plan.lint;

/** How much a finding matters: ERROR fails {@code tandem plan} (exit code 2), WARNING is shown, INFO is a note. */
public enum Severity {
    ERROR, WARNING, INFO;

    /** Whether a finding of this severity fails a policy that fails on {@code threshold} (null: never). */
    public boolean atLeast(Severity threshold) {
        return threshold != null && ordinal() <= threshold.ordinal();
    }
}
