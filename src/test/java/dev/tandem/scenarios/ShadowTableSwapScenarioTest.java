package dev.tandem.scenarios;

import dev.tandem.api.v1alpha1.Phase;
import dev.tandem.api.v1alpha1.SchemaMigration;
import dev.tandem.api.v1alpha1.TargetPhase;
import dev.tandem.engine.DatabaseTarget;
import dev.tandem.engine.MigrationEngine;
import dev.tandem.plan.Durations;
import dev.tandem.plan.MigrationPlan;
import dev.tandem.testing.TestDatabase;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Seed 002 end to end: events is copied into a shadow table without title and data, push payloads
 * into push_event_payloads, while the application inserts, updates (renumbering ids too) and
 * deletes events; cutover hands the id sequence over and swaps the names, the new version inserts
 * events with the ids and timestamps of the new table's defaults, and contract drops the old table
 * but not the sequence.
 */
class ShadowTableSwapScenarioTest {
    static final String EVENT_COLUMNS = "id, project_id, author_id, action, created_at";
    static final String PAYLOAD = "id, data->>'ref', (data->>'commit_count')::int, data->>'commit_to'";
    static final String PUSHES = "action = 'pushed' AND data IS NOT NULL";

    /** f(old) against new, both ways: events without title and data, and the payloads of push events. */
    static String differing(String old, String shadow) {
        return "SELECT (SELECT count(*) FROM (SELECT " + EVENT_COLUMNS + " FROM " + old + " EXCEPT SELECT " + EVENT_COLUMNS
                + " FROM " + shadow + ") a) + (SELECT count(*) FROM (SELECT " + EVENT_COLUMNS + " FROM " + shadow
                + " EXCEPT SELECT " + EVENT_COLUMNS + " FROM " + old + ") b) + (SELECT count(*) FROM (SELECT " + PAYLOAD
                + " FROM " + old + " WHERE " + PUSHES + " EXCEPT SELECT event_id, ref, commit_count, commit_to FROM "
                + "push_event_payloads) c) + (SELECT count(*) FROM (SELECT event_id, ref, commit_count, commit_to FROM "
                + "push_event_payloads EXCEPT SELECT " + PAYLOAD + " FROM " + old + " WHERE " + PUSHES + ") d)";
    }

    /** Every push event of {@code table} has its payload row. */
    static String pushWithoutPayload(String table, String where) {
        return "SELECT count(*) FROM " + table + " e WHERE " + where + " AND NOT EXISTS "
                + "(SELECT 1 FROM push_event_payloads p WHERE p.event_id = e.id)";
    }

    @Test
    void eventsMoveToTheShadowTableUnderLiveWritesAndTheNewVersionInsertsAfterTheSwap() throws Exception {
        Scenario scenario = Scenario.load("shadow-table-swap");
        SchemaMigration migration = scenario.migration();
        // The example waits 10m without writes to events_old; here seconds, to see the wait.
        migration.getSpec().getContract().setQuietFor("2s");
        DatabaseTarget db = TestDatabase.fresh("scenario_swap");
        scenario.loadInto(db, Scenario.rows());
        MigrationEngine engine = new MigrationEngine(db, ScenarioRun.settings(migration));
        MaxIdAtCutover ids = new MaxIdAtCutover(new LegacyWriterAfterCutover(new ConductorDriver(engine), engine, "app-v1",
                List.of("UPDATE events_old SET project_id = project_id + 1 WHERE id = (SELECT min(id) FROM events_old)",
                        "DELETE FROM events_old WHERE id = (SELECT max(id) FROM events_old)"),
                "DELETE", "public.events_old"), db);

        ScenarioRun.Report report = ScenarioRun.of(scenario)
                .invariant("differing rows, events against events_for_migration",
                        differing("events", "events_for_migration"), Phase.Backfilled, Phase.Verified)
                .invariant("differing rows, events_old against events after the swap",
                        differing("events_old", "events"), Phase.CutOver)
                .invariant("every push event's payload is in push_event_payloads",
                        pushWithoutPayload("events", PUSHES), Phase.Backfilled, Phase.Verified)
                .invariant("every push event's payload is in push_event_payloads",
                        pushWithoutPayload("events_old", PUSHES), Phase.CutOver)
                .invariant("every push event of the new table has its payload",
                        pushWithoutPayload("events", "action = 'pushed'"), Phase.CutOver, Phase.Contracted)
                .gone("events_old")
                .driver(ids)
                .run(db);

        assertThat(report.differing()).isZero();
        assertThat(report.writesPerKind()).containsKeys("insert push", "comment becomes push", "push becomes comment",
                "key change", "delete");
        assertThat(TestDatabase.query(db, "SELECT count(*) FROM events WHERE created_at >= '" + ids.at + "'"))
                .as("the new version's events").isNotEqualTo(0L);
        assertThat(TestDatabase.query(db, "SELECT count(*) FROM events WHERE created_at >= '" + ids.at + "' AND id <= "
                + ids.max)).as("ids keep increasing after the swap: the new table draws from the old sequence").isEqualTo(0L);
        assertThat(TestDatabase.query(db, "SELECT pg_get_serial_sequence('events', 'id')"))
                .as("the sequence is the new table's, and contract left it").isEqualTo("public.events_id_seq");
        assertThat(TestDatabase.query(db, "SELECT column_default FROM information_schema.columns "
                + "WHERE table_name = 'events' AND column_name = 'created_at'")).isEqualTo("now()");
        assertThat(TestDatabase.tableExists(db, "events_for_migration")).isFalse();
        System.out.println("  old-storage writes after cutover: " + ids.legacy.seen().writes() + " (last "
                + ids.legacy.seen().describeLast() + "), contract " + ids.legacy.quietWait().toMillis()
                + " ms after the last one (quietFor " + Durations.format(ids.legacy.quietFor()) + "); ids after the swap start above " + ids.max);
    }

    /** Remembers, right after cutover, the largest id and the database's clock. */
    private static final class MaxIdAtCutover implements ScenarioRun.Driver {
        final LegacyWriterAfterCutover legacy;
        final DatabaseTarget db;
        long max;
        String at;

        MaxIdAtCutover(LegacyWriterAfterCutover legacy, DatabaseTarget db) {
            this.legacy = legacy;
            this.db = db;
        }

        @Override
        public void reach(MigrationPlan plan, SchemaMigration migration, TargetPhase target) throws Exception {
            legacy.reach(plan, migration, target);
            if (target == TargetPhase.CutOver) {
                max = ((Number) TestDatabase.query(db, "SELECT max(id) FROM events")).longValue();
                at = TestDatabase.query(db, "SELECT now()::text").toString();
            }
        }
    }
}
