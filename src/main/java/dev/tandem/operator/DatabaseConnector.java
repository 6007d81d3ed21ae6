package dev.tandem.operator;

import dev.tandem.api.v1alpha1.SchemaMigration;
import dev.tandem.api.v1alpha1.SchemaMigrationSpec;
import dev.tandem.engine.DatabaseTarget;
import dev.tandem.engine.Engine;
import dev.tandem.engine.EngineException;
import dev.tandem.engine.EngineSettings;
import dev.tandem.engine.LedgerState;
import dev.tandem.engine.MigrationEngine;
import dev.tandem.plan.Durations;
import dev.tandem.plan.MigrationPlan;
import io.fabric8.kubernetes.api.model.Secret;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.config.inject.ConfigProperty;

import java.time.Duration;
import java.time.Instant;

/**
 * Reaches a migration's database: the connection from its Secret, an engine with the spec's
 * timeouts and the operator's DDL retry settings, and what the ledger says. A failure is recorded in
 * status (Stalled for a Secret or credentials a person must fix, retried when the database is away).
 */
@ApplicationScoped
public class DatabaseConnector {
    static final Duration RECHECK = Duration.ofMinutes(2);

    private final int maxAttempts;
    private final Duration backoffBase;
    private final Duration backoffMax;

    public DatabaseConnector(@ConfigProperty(name = "tandem.ddl.max-attempts", defaultValue = "5") int maxAttempts,
                             @ConfigProperty(name = "tandem.ddl.backoff-base", defaultValue = "PT0.25S") Duration backoffBase,
                             @ConfigProperty(name = "tandem.ddl.backoff-max", defaultValue = "PT10S") Duration backoffMax) {
        this.maxAttempts = maxAttempts;
        this.backoffBase = backoffBase;
        this.backoffMax = backoffMax;
    }

    /** What a reconcile reached: the engine, the ledger, the server's version and the Secret. */
    public record Connected(MigrationEngine engine, LedgerState ledger, String version, Secret secret) {
    }

    /** The engine for a migration's database, from its Secret. */
    public MigrationEngine engine(SchemaMigration m, Secret secret) throws CredentialsResolver.CredentialsException {
        DatabaseTarget target = CredentialsResolver.resolve(secret, m.getMetadata().getNamespace(),
                m.getSpec().getDatabase().getSecretRef().getName());
        SchemaMigrationSpec spec = m.getSpec();
        EngineSettings settings = EngineSettings.defaults("operator")
                .withTrackingSchema(spec.getDatabase().effectiveTrackingSchema())
                .withTimeouts(Durations.parseOr(spec.getLockTimeout(), Duration.ofSeconds(2)),
                        Durations.parseOr(spec.getStatementTimeout(), Duration.ofMinutes(15)))
                .withRetries(maxAttempts, backoffBase, backoffMax);
        return new MigrationEngine(target, settings);
    }

    /** Connects and reads the ledger; on failure records why in {@code status} and returns null. */
    public Connected connect(SchemaMigration m, Secret secret, MigrationPlan plan, StatusAggregator status, Instant now) {
        String secretName = m.getSpec().getDatabase().getSecretRef().getName();
        try {
            MigrationEngine engine = engine(m, secret);
            Engine.Observation seen = engine.observe(plan.key());
            status.databaseConnected(true, Names.Reasons.CONNECTED, "PostgreSQL " + seen.serverVersion() + " at "
                    + engine.target().server());
            return new Connected(engine, seen.state(), seen.serverVersion(), secret);
        } catch (CredentialsResolver.CredentialsException e) {
            status.databaseConnected(false, e.reason().name(), e.getMessage());
            status.stalled(e.reason(), e.getMessage());
        } catch (EngineException e) {
            status.databaseConnected(false, e.reason().name(), e.getMessage());
            if (e.isTransient()) {
                status.retrying(e.reason(), e.getMessage(), now.plus(RECHECK));
            } else {
                status.stalled(e.reason(), e.getMessage() + "; check the credentials in Secret " + secretName
                        + " (keys user/username and password, or those inside jdbc-uri or uri)");
            }
        }
        return null;
    }
}
