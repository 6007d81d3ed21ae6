package dev.tandem.engine;

import dev.tandem.api.v1alpha1.Reason;

/**
 * A step could not run. {@link #reason()} says why, from the closed set of reasons, and with it
 * whether retrying later may succeed without a person acting.
 */
public class EngineException extends Exception {
    private final Reason reason;

    public EngineException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public EngineException(Reason reason, String message) {
        this(reason, message, null);
    }

    public Reason reason() {
        return reason;
    }

    public boolean isTransient() {
        return reason.isTransient();
    }
}
