package dev.tandem.engine;

import java.time.Duration;

/**
 * How the engine runs DDL.
 *
 * @param trackingSchema   schema of the ledger
 * @param lockTimeout      lock_timeout of every DDL transaction
 * @param statementTimeout statement_timeout of every DDL transaction
 * @param maxAttempts      attempts of a step on lock timeout before giving up (at least 1)
 * @param backoffBase      first retry delay; doubles per attempt, with full jitter
 * @param backoffMax       cap on a retry delay
 * @param runner           who runs steps, recorded in the ledger (e.g. operator, cli)
 */
public record EngineSettings(String trackingSchema, Duration lockTimeout, Duration statementTimeout,
                             int maxAttempts, Duration backoffBase, Duration backoffMax, String runner) {
    public static final String DEFAULT_SCHEMA = "tandem";

    public EngineSettings {
        if (trackingSchema == null || !trackingSchema.matches("[a-z_][a-z0-9_]{0,62}")) {
            throw new IllegalArgumentException("tracking schema must be a lower-case SQL identifier");
        }
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("maxAttempts must be at least 1");
        }
    }

    public static EngineSettings defaults(String runner) {
        return new EngineSettings(DEFAULT_SCHEMA, Duration.ofSeconds(2), Duration.ofMinutes(15), 5,
                Duration.ofMillis(250), Duration.ofSeconds(10), runner);
    }

    public EngineSettings withTimeouts(Duration lock, Duration statement) {
        return new EngineSettings(trackingSchema, lock, statement, maxAttempts, backoffBase, backoffMax, runner);
    }

    public EngineSettings withTrackingSchema(String schema) {
        return new EngineSettings(schema, lockTimeout, statementTimeout, maxAttempts, backoffBase, backoffMax, runner);
    }

    public EngineSettings withRetries(int attempts, Duration base, Duration max) {
        return new EngineSettings(trackingSchema, lockTimeout, statementTimeout, attempts, base, max, runner);
    }
}
