package dev.tandem.engine;

import dev.tandem.plan.BackfillTuning;

import dev.tandem.api.v1alpha1.SchemaMigrationSpec;
import dev.tandem.api.v1alpha1.SyncSpec;
import dev.tandem.plan.MigrationPlan;
import dev.tandem.plan.Planner;
import dev.tandem.api.v1alpha1.Step;
import dev.tandem.testing.Specs;
import dev.tandem.testing.SyncSpecs;
import dev.tandem.testing.TestDatabase;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The generated sync triggers keep new == f(old), row by row, for every kind of write. */
class SyncTriggerTest {

    private static MigrationPlan expand(DatabaseTarget db, String expandSql, List<SyncSpec> sync) throws Exception {
        SchemaMigrationSpec spec = Specs.of(expandSql, null, null, null);
        spec.setSync(sync);
        MigrationPlan plan = Planner.plan("ns", "sync", spec);
        EngineStepTest.engine(db).apply(plan, Step.EXPAND, null, StepListener.NONE);
        return plan;
    }

    /** All rows of a query, each as "a|b|c", in the query's order. */
    static List<String> rows(DatabaseTarget db, String sql) throws Exception {
        List<String> out = new ArrayList<>();
        try (Connection c = db.connect("test"); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            int n = rs.getMetaData().getColumnCount();
            while (rs.next()) {
                StringBuilder row = new StringBuilder();
                for (int i = 1; i <= n; i++) {
                    row.append(i > 1 ? "|" : "").append(rs.getString(i));
                }
                out.add(row.toString());
            }
        }
        return out;
    }

    private static void sameRows(DatabaseTarget db, String actual, String expected) throws Exception {
        assertThat(rows(db, actual)).as(actual).containsExactlyElementsOf(rows(db, expected));
    }

    @Test
    void crossTableSyncFollowsInsertsUpdatesKeyChangesWhereMovesAndDeletes() throws Exception {
        DatabaseTarget db = TestDatabase.fresh("trig_cross");
        TestDatabase.exec(db, "CREATE TABLE users (id bigint PRIMARY KEY, email text, full_name text)");
        expand(db, "CREATE TABLE users_pii (user_id bigint PRIMARY KEY, full_name text NOT NULL)",
                List.of(SyncSpecs.entry("full-name", "users", List.of("id"), "full_name IS NOT NULL", "users_pii",
                        List.of("user_id"), Map.of("user_id", "id", "full_name", "full_name"))));
        String actual = "SELECT user_id, full_name FROM users_pii ORDER BY 1";
        String expected = "SELECT id, full_name FROM users WHERE full_name IS NOT NULL ORDER BY 1";

        TestDatabase.exec(db, "INSERT INTO users VALUES (1, 'a@x', 'Ann'), (2, 'b@x', NULL), (3, 'c@x', 'Cid')");
        sameRows(db, actual, expected);
        assertThat(rows(db, actual)).containsExactly("1|Ann", "3|Cid");
        TestDatabase.exec(db, "UPDATE users SET full_name = 'Anne' WHERE id = 1");
        sameRows(db, actual, expected);
        TestDatabase.exec(db, "UPDATE users SET full_name = NULL WHERE id = 3"); // leaves where
        sameRows(db, actual, expected);
        TestDatabase.exec(db, "UPDATE users SET full_name = 'Bo' WHERE id = 2"); // enters where
        sameRows(db, actual, expected);
        TestDatabase.exec(db, "UPDATE users SET id = 100 WHERE id = 1"); // key change
        sameRows(db, actual, expected);
        assertThat(rows(db, actual)).containsExactly("2|Bo", "100|Anne");
        TestDatabase.exec(db, "UPDATE users SET email = 'new@x'"); // unrelated column
        sameRows(db, actual, expected);
        TestDatabase.exec(db, "DELETE FROM users WHERE id = 2");
        sameRows(db, actual, expected);
        TestDatabase.exec(db, "INSERT INTO users SELECT g, 'u' || g, 'n' || g FROM generate_series(1000, 1999) g");
        TestDatabase.exec(db, "UPDATE users SET full_name = upper(full_name) WHERE id % 3 = 0");
        TestDatabase.exec(db, "DELETE FROM users WHERE id % 7 = 0");
        sameRows(db, actual, expected);
    }

    @Test
    void anInPlaceDerivationSeesALookupRowWrittenByTheEntryBeforeIt() throws Exception {
        DatabaseTarget db = TestDatabase.fresh("trig_dogs");
        TestDatabase.exec(db, "CREATE TABLE dogs (id bigint PRIMARY KEY, name text NOT NULL, breed text)");
        expand(db, "CREATE TABLE breeds (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL UNIQUE);"
                        + "ALTER TABLE dogs ADD COLUMN breed_id bigint REFERENCES breeds (id)",
                List.of(keep(SyncSpecs.entry("breeds", "dogs", List.of("id"), "breed IS NOT NULL", "breeds",
                                List.of("name"), Map.of("name", "breed"))),
                        SyncSpecs.entry("breed-id", "dogs", List.of("id"), null, "dogs", List.of(),
                                Map.of("breed_id", "(SELECT b.id FROM breeds b WHERE b.name = dogs.breed)"))));
        String actual = "SELECT d.id, d.breed, b.name FROM dogs d LEFT JOIN breeds b ON b.id = d.breed_id ORDER BY 1";
        TestDatabase.exec(db, "INSERT INTO dogs (id, name, breed) VALUES (1, 'Rex', 'Beagle'), (2, 'Fido', NULL)");
        assertThat(rows(db, actual)).containsExactly("1|Beagle|Beagle", "2|null|null");
        TestDatabase.exec(db, "INSERT INTO dogs (id, name, breed) VALUES (3, 'Bolt', 'Never Seen Before')");
        TestDatabase.exec(db, "UPDATE dogs SET breed = 'Poodle' WHERE id = 2");
        TestDatabase.exec(db, "UPDATE dogs SET breed = 'Beagle' WHERE id = 3");
        assertThat(rows(db, actual)).containsExactly("1|Beagle|Beagle", "2|Poodle|Poodle", "3|Beagle|Beagle");
        TestDatabase.exec(db, "UPDATE dogs SET breed = NULL WHERE id = 1");
        assertThat(rows(db, actual)).containsExactly("1|null|null", "2|Poodle|Poodle", "3|Beagle|Beagle");
        assertThat(rows(db, "SELECT name FROM breeds ORDER BY 1"))
                .containsExactly("Beagle", "Never Seen Before", "Poodle"); // onDelete: Keep
    }

    @Test
    void severalLegacyTablesFeedOneTable() throws Exception {
        DatabaseTarget db = TestDatabase.fresh("trig_many");
        TestDatabase.exec(db, "CREATE TABLE http_destinations (id bigint PRIMARY KEY, namespace_id bigint, name text, url text);"
                + "CREATE TABLE s3_destinations (id bigint PRIMARY KEY, namespace_id bigint, name text, bucket text)");
        SyncSpec http = SyncSpecs.entry("http", "http_destinations", List.of("id"), null, "destinations",
                List.of("namespace_id", "name"), Map.of("namespace_id", "namespace_id", "name", "name",
                        "category", "'http'", "config", "jsonb_build_object('url', url)"));
        SyncSpec s3 = SyncSpecs.entry("s3", "s3_destinations", List.of("id"), null, "destinations",
                List.of("namespace_id", "name"), Map.of("namespace_id", "namespace_id", "name", "name",
                        "category", "'s3'", "config", "jsonb_build_object('bucket', bucket)"));
        http.getTo().setWhere("category = 'http'");
        s3.getTo().setWhere("category = 's3'");
        expand(db, "CREATE TABLE destinations (namespace_id bigint, name text, category text NOT NULL, config jsonb,"
                + " PRIMARY KEY (namespace_id, name))", List.of(http, s3));
        TestDatabase.exec(db, "INSERT INTO http_destinations VALUES (1, 10, 'audit', 'https://a'), (2, 10, 'siem', 'https://s');"
                + "INSERT INTO s3_destinations VALUES (1, 10, 'archive', 'bkt'), (2, 20, 'audit', 'bkt2');"
                + "UPDATE http_destinations SET url = 'https://a2' WHERE id = 1;"
                + "UPDATE s3_destinations SET name = 'archive-2' WHERE id = 1;"
                + "DELETE FROM http_destinations WHERE id = 2");
        assertThat(rows(db, "SELECT namespace_id, name, category, config->>'url', config->>'bucket' FROM destinations ORDER BY 1, 2"))
                .containsExactly("10|archive-2|s3|null|bkt", "10|audit|http|https://a2|null", "20|audit|s3|null|bkt2");
    }

    @Test
    void aReverseMappingWritesBackWithoutRecursion() throws Exception {
        DatabaseTarget db = TestDatabase.fresh("trig_reverse");
        TestDatabase.exec(db, "CREATE TABLE users (id bigint PRIMARY KEY, full_name text)");
        SyncSpec e = SyncSpecs.entry("full-name", "users", List.of("id"), null, "users_pii", List.of("user_id"),
                Map.of("user_id", "id", "full_name", "full_name"));
        e.setReverse(Map.of("full_name", "full_name"));
        expand(db, "CREATE TABLE users_pii (user_id bigint PRIMARY KEY, full_name text)", List.of(e));
        TestDatabase.exec(db, "INSERT INTO users VALUES (1, 'Ann'), (2, 'Bo')");
        TestDatabase.exec(db, "UPDATE users_pii SET full_name = 'Ann B.' WHERE user_id = 1"); // the new application
        TestDatabase.exec(db, "UPDATE users SET full_name = 'Bob' WHERE id = 2");             // the old application
        String both = "SELECT u.id, u.full_name, p.full_name FROM users u JOIN users_pii p ON p.user_id = u.id ORDER BY 1";
        assertThat(rows(db, both)).containsExactly("1|Ann B.|Ann B.", "2|Bob|Bob");
        assertThat(TestDatabase.query(db, "SELECT current_setting('tandem.sync_skip', true)")).isIn(null, "");
    }

    @Test
    void compositeUuidAndTextKeysFollowKeyChanges() throws Exception {
        DatabaseTarget db = TestDatabase.fresh("trig_keys");
        TestDatabase.exec(db, "CREATE TABLE events (tenant text, id uuid, payload text, PRIMARY KEY (tenant, id))");
        expand(db, "CREATE TABLE events_v2 (tenant text, event_id uuid, body text, PRIMARY KEY (tenant, event_id))",
                List.of(SyncSpecs.entry("events", "events", List.of("tenant", "id"), null, "events_v2",
                        List.of("tenant", "event_id"), Map.of("tenant", "tenant", "event_id", "id", "body", "upper(payload)"))));
        TestDatabase.exec(db, "INSERT INTO events VALUES ('t1', '00000000-0000-0000-0000-000000000001', 'a'),"
                + " ('t1', '00000000-0000-0000-0000-000000000002', 'b'), ('t2', '00000000-0000-0000-0000-000000000001', 'c');"
                + "UPDATE events SET id = '00000000-0000-0000-0000-0000000000ff' WHERE tenant = 't1' AND payload = 'b';"
                + "UPDATE events SET tenant = 't3' WHERE tenant = 't2';"
                + "DELETE FROM events WHERE payload = 'a'");
        sameRows(db, "SELECT tenant, event_id, body FROM events_v2 ORDER BY 1, 2",
                "SELECT tenant, id, upper(payload) FROM events ORDER BY 1, 2");
        assertThat(rows(db, "SELECT count(*) FROM events_v2")).containsExactly("2");
    }

    @Test
    void aKeyUpdatedToAnEqualButDifferentValueMovesTheNewRowWhenTheNewKeyChanges() throws Exception {
        // 1.0 = 1.00 as numeric, but the text keys they map to differ: the update moves the new row, as any key
        // change does (an update keeping the new key's columns takes a shorter path only when they are unchanged
        // byte for byte).
        DatabaseTarget db = TestDatabase.fresh("trig_equal_key");
        TestDatabase.exec(db, "CREATE TABLE items (id numeric PRIMARY KEY, name text)");
        expand(db, "CREATE TABLE items_v2 (code text PRIMARY KEY, name text)",
                List.of(SyncSpecs.entry("items", "items", List.of("id"), "name IS NOT NULL", "items_v2", List.of("code"),
                        Map.of("code", "id", "name", "name"))));
        TestDatabase.exec(db, "INSERT INTO items VALUES (1.0, 'a'), (2, 'b')");
        TestDatabase.exec(db, "UPDATE items SET id = 1.00, name = 'a2' WHERE id = 1");
        TestDatabase.exec(db, "UPDATE items SET id = 2, name = 'b2' WHERE id = 2");
        assertThat(rows(db, "SELECT code, name FROM items_v2 ORDER BY 1")).containsExactly("1.00|a2", "2|b2");
        TestDatabase.exec(db, "UPDATE items SET name = NULL WHERE id = 2"); // leaves where, key kept
        TestDatabase.exec(db, "UPDATE items SET name = 'c' WHERE id = 2"); // enters where, key kept
        assertThat(rows(db, "SELECT code, name FROM items_v2 ORDER BY 1")).containsExactly("1.00|a2", "2|c");
    }

    @Test
    void aConditionOverColumnsAndLiteralsSelectsTheSameRowsAsTheQueryItIsWrittenAs() throws Exception {
        DatabaseTarget db = TestDatabase.fresh("trig_condition");
        TestDatabase.exec(db, "CREATE TABLE accounts (id bigint PRIMARY KEY, \"State\" text, active boolean, deleted_at timestamptz, "
                + "score integer)");
        String where = "accounts.\"State\" <> 'closed' AND active IS NOT FALSE AND (deleted_at IS NULL OR score >= 10)";
        expand(db, "CREATE TABLE accounts_v2 (account_id bigint PRIMARY KEY, score integer)",
                List.of(SyncSpecs.entry("accounts", "accounts", List.of("id"), where, "accounts_v2", List.of("account_id"),
                        Map.of("account_id", "id", "score", "score"))));
        TestDatabase.exec(db, "INSERT INTO accounts SELECT g, CASE WHEN g % 5 = 0 THEN 'closed' WHEN g % 7 = 0 THEN NULL "
                + "ELSE 'open' END, CASE WHEN g % 3 = 0 THEN NULL ELSE g % 2 = 0 END, CASE WHEN g % 4 = 0 THEN now() END, "
                + "CASE WHEN g % 11 = 0 THEN NULL ELSE g % 20 END FROM generate_series(1, 400) g");
        TestDatabase.exec(db, "UPDATE accounts SET active = NOT active, score = score + 3 WHERE id % 2 = 0");
        TestDatabase.exec(db, "UPDATE accounts SET \"State\" = 'closed' WHERE id % 9 = 0");
        TestDatabase.exec(db, "UPDATE accounts SET deleted_at = NULL, \"State\" = 'open' WHERE id % 8 = 0");
        TestDatabase.exec(db, "DELETE FROM accounts WHERE id % 13 = 0");
        sameRows(db, "SELECT account_id, score FROM accounts_v2 ORDER BY 1",
                "SELECT id, score FROM accounts WHERE COALESCE((" + where + "), false) ORDER BY 1");
    }

    @Test
    void aTargetWithoutAUniqueKeyIsRefusedAtExpandAndNothingIsInstalled() throws Exception {
        DatabaseTarget db = TestDatabase.fresh("trig_nokey");
        TestDatabase.exec(db, "CREATE TABLE users (id bigint PRIMARY KEY, full_name text)");
        SchemaMigrationSpec spec = Specs.of("CREATE TABLE users_pii (user_id bigint, full_name text)", null, null, null);
        spec.setSync(List.of(SyncSpecs.entry("full-name", "users", List.of("id"), null, "users_pii", List.of("user_id"),
                Map.of("user_id", "id", "full_name", "full_name"))));
        MigrationPlan plan = Planner.plan("ns", "sync", spec);
        org.assertj.core.api.Assertions.assertThatThrownBy(() ->
                        EngineStepTest.engine(db).apply(plan, Step.EXPAND, null, StepListener.NONE))
                .isInstanceOf(EngineException.class).hasMessageContaining("spec.sync[0].to.key: (user_id) of users_pii is not a unique key");
        assertThat(TestDatabase.tableExists(db, "users_pii")).isFalse();
    }

    @Test
    void cutoverRemovesEveryTrigger() throws Exception {
        DatabaseTarget db = TestDatabase.fresh("trig_cutover");
        TestDatabase.exec(db, "CREATE TABLE users (id bigint PRIMARY KEY, full_name text)");
        MigrationPlan plan = expand(db, "CREATE TABLE users_pii (user_id bigint PRIMARY KEY, full_name text)",
                List.of(SyncSpecs.entry("full-name", "users", List.of("id"), null, "users_pii", List.of("user_id"),
                        Map.of("user_id", "id", "full_name", "full_name"))));
        assertThat(TestDatabase.query(db, "SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'tandem_%'")).isEqualTo(1L);
        MigrationEngine engine = EngineStepTest.engine(db);
        new Backfiller(db, engine.settings(), BackfillTuning.defaults()).run(plan, 0, 1, Backfiller.Listener.NONE);
        engine.apply(plan, Step.BACKFILL, null, StepListener.NONE);
        new Verifier(db, engine.settings(), dev.tandem.plan.VerifyTuning.defaults()).run(plan, 1, "", Verifier.Listener.NONE);
        engine.apply(plan, Step.VERIFY, null, StepListener.NONE);
        engine.apply(plan, Step.CUTOVER, null, StepListener.NONE);
        // the sync triggers are gone; what is left is the old-storage watch (removed by contract)
        assertThat(TestDatabase.query(db, "SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'tandem_%' "
                + "AND tgname NOT LIKE 'tandem_watch_%'")).isEqualTo(0L);
        assertThat(TestDatabase.query(db, "SELECT count(*) FROM pg_proc WHERE proname LIKE 'tandem_%' "
                + "AND proname NOT LIKE 'tandem_watch_%'")).isEqualTo(0L);
        assertThat(TestDatabase.query(db, "SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'tandem_watch_%'")).isEqualTo(2L);
    }

    private static SyncSpec keep(SyncSpec s) {
        s.setOnDelete(SyncSpec.OnDelete.Keep);
        return s;
    }
}
