package dev.tandem.operator;

import dev.tandem.api.v1alpha1.SchemaMigrationSpec;
import dev.tandem.engine.DatabaseTarget;
import dev.tandem.engine.EngineSettings;
import dev.tandem.engine.MigrationEngine;
import dev.tandem.plan.Durations;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.config.inject.ConfigProperty;

import java.time.Duration;

/** Builds the engine for a migration from its spec and the operator's DDL retry settings. */
@ApplicationScoped
public class EngineFactory {
    private final int maxAttempts;
    private final Duration backoffBase;
    private final Duration backoffMax;

    public EngineFactory(@ConfigProperty(name = "tandem.ddl.max-attempts", defaultValue = "5") int maxAttempts,
                         @ConfigProperty(name = "tandem.ddl.backoff-base", defaultValue = "PT0.25S") Duration backoffBase,
                         @ConfigProperty(name = "tandem.ddl.backoff-max", defaultValue = "PT10S") Duration backoffMax) {
        this.maxAttempts = maxAttempts;
        this.backoffBase = backoffBase;
        this.backoffMax = backoffMax;
    }

    public MigrationEngine create(DatabaseTarget target, SchemaMigrationSpec spec) {
        EngineSettings settings = EngineSettings.defaults("operator")
                .withTrackingSchema(spec.getDatabase().effectiveTrackingSchema())
                .withTimeouts(Durations.parseOr(spec.getLockTimeout(), Duration.ofSeconds(2)),
                        Durations.parseOr(spec.getStatementTimeout(), Duration.ofMinutes(15)))
                .withRetries(maxAttempts, backoffBase, backoffMax);
        return new MigrationEngine(target, settings);
    }
}
