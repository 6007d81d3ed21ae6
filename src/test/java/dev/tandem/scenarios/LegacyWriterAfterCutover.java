package dev.tandem.scenarios;

import dev.tandem.api.v1alpha1.SchemaMigration;
import dev.tandem.api.v1alpha1.TargetPhase;
import dev.tandem.engine.DatabaseTarget;
import dev.tandem.engine.MigrationEngine;
import dev.tandem.engine.OldStorageState;
import dev.tandem.plan.Durations;
import dev.tandem.plan.MigrationPlan;
import dev.tandem.testing.TestDatabase;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Seed 004 step 9 in a run: after cutover a server still on the old version (its
 * application_name that of the old workload) writes the old storage. Wraps the driver that
 * reaches the phases: on the way to Contracted it first runs those writes, checks that the
 * old-storage watch counted each with that name, operation and table, and then lets the driver
 * reach Contracted, which must wait for contract.quietFor after the last of them.
 */
final class LegacyWriterAfterCutover implements ScenarioRun.Driver {
    private final ScenarioRun.Driver driver;
    private final MigrationEngine engine;
    private final String application;
    private final List<String> writes;
    private final String expectedOp;
    private final String expectedTable;
    private Instant cutoverAt;
    private OldStorageState seen;
    private Duration quietWait = Duration.ZERO;
    private Duration quietFor = Duration.ZERO;

    /**
     * @param writes        SQL the legacy server runs after cutover, each changing at least one row of the old storage
     * @param expectedOp    the operation of the last of them, as the watch records it
     * @param expectedTable the table the last of them writes, schema-qualified
     */
    LegacyWriterAfterCutover(ScenarioRun.Driver driver, MigrationEngine engine, String application, List<String> writes,
                             String expectedOp, String expectedTable) {
        this.driver = driver;
        this.engine = engine;
        this.application = application;
        this.writes = List.copyOf(writes);
        this.expectedOp = expectedOp;
        this.expectedTable = expectedTable;
    }

    @Override
    public void reach(MigrationPlan plan, SchemaMigration migration, TargetPhase target) throws Exception {
        if (target == TargetPhase.Contracted) {
            writeOldStorage(engine.target());
            OldStorageState old = engine.oldStorage(plan);
            assertThat(old.writes()).as("the watch counted every legacy write after cutover").isEqualTo(writes.size());
            assertThat(old.lastApp()).as("the watch names the writer").isEqualTo(application);
            assertThat(old.lastOp()).isEqualTo(expectedOp);
            assertThat(old.lastTable()).isEqualTo(expectedTable);
            seen = old;
        }
        driver.reach(plan, migration, target);
        if (target == TargetPhase.CutOver) {
            cutoverAt = Instant.now();
        }
        if (target == TargetPhase.Contracted) {
            quietFor = Durations.parseOr(migration.getSpec().getContract().getQuietFor(), Duration.ZERO);
            Instant contracted = ((java.sql.Timestamp) TestDatabase.query(engine.target(), "SELECT applied_at FROM "
                    + "tandem.steps WHERE step = 'contract' AND migration = '" + plan.key() + "'")).toInstant();
            assertThat(contracted).as("contract waited for quietFor (" + quietFor + ") after the last old-storage write")
                    .isAfterOrEqualTo(seen.lastAt().plus(quietFor));
            quietWait = Duration.between(seen.lastAt(), contracted);
        }
    }

    private void writeOldStorage(DatabaseTarget db) throws SQLException {
        try (Connection c = db.connect(application); Statement s = c.createStatement()) {
            for (String sql : writes) {
                assertThat(s.executeUpdate(sql)).as("the legacy write changes a row: " + sql).isPositive();
            }
        }
    }

    /** When the cutover returned (the driver's view). */
    Instant cutoverAt() {
        return cutoverAt;
    }

    /** What the watch had seen when contract was asked for. */
    OldStorageState seen() {
        return seen;
    }

    /** contract.quietFor of the run. */
    Duration quietFor() {
        return quietFor;
    }

    /** From the last legacy write to the contract's commit. */
    Duration quietWait() {
        return quietWait;
    }
}
