package dev.tandem.engine.conductor;

import java.time.Instant;

/** What one cutover gate said when it was checked. */
public record GateVerdict(String name, String kind, boolean passed, String message, Instant checkedAt) {
    /** "name: message". */
    public String describe() {
        return name + " (" + kind + "): " + message;
    }
}
