package dev.tandem.engine;

import dev.tandem.api.v1alpha1.Reason;

import dev.tandem.api.v1alpha1.SchemaMigrationSpec;
import dev.tandem.api.v1alpha1.SyncSpec;
import dev.tandem.plan.BackfillTuning;
import dev.tandem.plan.MigrationPlan;
import dev.tandem.plan.PlanRenderer;
import dev.tandem.plan.Planner;
import dev.tandem.plan.SpecValidator;
import dev.tandem.api.v1alpha1.Step;
import dev.tandem.plan.VerifyTuning;
import dev.tandem.testing.Specs;
import dev.tandem.testing.SyncSpecs;
import dev.tandem.testing.TestDatabase;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.tandem.engine.SyncTriggerTest.rows;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What the sync must never do to the application or to another entry's rows: entries sharing a
 * target, trigger order, the in-place backfill and the application's own triggers, a new key for
 * the same old row, rows an expression cannot handle, and mappings that do not fit the catalog.
 */
class SyncSafetyTest {

    private static MigrationPlan plan(String name, String expandSql, List<SyncSpec> sync) {
        SchemaMigrationSpec spec = Specs.of(expandSql, null, null, null);
        spec.setSync(sync);
        assertThat(SpecValidator.validate(spec, false)).isEmpty();
        return Planner.plan("ns", name, spec);
    }

    private static MigrationPlan expand(DatabaseTarget db, String expandSql, List<SyncSpec> sync) throws Exception {
        MigrationPlan plan = plan("safety", expandSql, sync);
        EngineStepTest.engine(db).apply(plan, Step.EXPAND, null, StepListener.NONE);
        return plan;
    }

    private static void backfill(DatabaseTarget db, MigrationPlan plan) throws Exception {
        new Backfiller(db, EngineSettings.defaults("test"), BackfillTuning.defaults()).run(plan, 0, 1, Backfiller.Listener.NONE);
    }

    private static String error(DatabaseTarget db, String sql) {
        try {
            TestDatabase.exec(db, sql);
            return null;
        } catch (IllegalStateException e) {
            return e.getMessage();
        }
    }

    // ------------------------------------------------------------------ entries sharing a target (defect 2)

    private static final String LEGACY = "CREATE TABLE http_destinations (id bigint PRIMARY KEY, namespace_id bigint NOT NULL, "
            + "name text NOT NULL, url text);"
            + "CREATE TABLE s3_destinations (id bigint PRIMARY KEY, namespace_id bigint NOT NULL, name text NOT NULL, bucket text)";
    private static final String DESTINATIONS = "CREATE TABLE destinations (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "
            + "namespace_id bigint NOT NULL, name text NOT NULL, category text NOT NULL, config jsonb, "
            + "UNIQUE (namespace_id, name));"
            + "CREATE TABLE destination_headers (destination_id bigint NOT NULL REFERENCES destinations (id) ON DELETE CASCADE, "
            + "header text NOT NULL)";

    private static List<SyncSpec> destinationEntries() {
        SyncSpec http = SyncSpecs.entry("http", "http_destinations", List.of("id"), null, "destinations",
                List.of("namespace_id", "name"), Map.of("namespace_id", "namespace_id", "name", "name",
                        "category", "'http'", "config", "jsonb_build_object('url', url)"));
        http.getTo().setWhere("category = 'http'");
        SyncSpec s3 = SyncSpecs.entry("aws", "s3_destinations", List.of("id"), null, "destinations",
                List.of("namespace_id", "name"), Map.of("namespace_id", "namespace_id", "name", "name",
                        "category", "'aws'", "config", "jsonb_build_object('bucket', bucket)"));
        s3.getTo().setWhere("category = 'aws'");
        return List.of(http, s3);
    }

    @Test
    void anEntryNeverTakesOverOrRemovesTheRowOfAnotherEntrySharingItsTarget() throws Exception {
        DatabaseTarget db = TestDatabase.fresh("safe_shared");
        TestDatabase.exec(db, LEGACY);
        expand(db, DESTINATIONS, destinationEntries());
        TestDatabase.exec(db, "INSERT INTO http_destinations VALUES (1, 10, 'audit', 'https://a')");
        String collision = error(db, "INSERT INTO s3_destinations VALUES (1, 10, 'audit', 'bkt')");
        assertThat(collision).contains("sync entry aws cannot write destinations key (10,audit)")
                .contains("belongs to sync entry http");
        TestDatabase.exec(db, "INSERT INTO s3_destinations VALUES (2, 10, 'archive', 'bkt')");
        String rename = error(db, "UPDATE s3_destinations SET name = 'audit' WHERE id = 2");
        assertThat(rename).contains("sync entry aws cannot write destinations key (10,audit)");
        TestDatabase.exec(db, "DELETE FROM s3_destinations WHERE name = 'audit'"); // nothing of aws is called audit
        TestDatabase.exec(db, "DELETE FROM http_destinations WHERE id = 1");
        assertThat(rows(db, "SELECT namespace_id, name, category FROM destinations ORDER BY 1, 2"))
                .containsExactly("10|archive|aws");
    }

    @Test
    void expandRefusesExistingRowsThatCollideListingTheKeysAndChangesNothing() throws Exception {
        DatabaseTarget db = TestDatabase.fresh("safe_collide");
        TestDatabase.exec(db, LEGACY + "; INSERT INTO http_destinations VALUES (1, 10, 'audit', 'u'), (2, 10, 'siem', 'v');"
                + "INSERT INTO s3_destinations VALUES (1, 10, 'audit', 'b'), (2, 20, 'audit', 'c')");
        MigrationPlan plan = plan("collide", DESTINATIONS, destinationEntries());
        assertThatThrownBy(() -> EngineStepTest.engine(db).apply(plan, Step.EXPAND, null, StepListener.NONE))
                .isInstanceOfSatisfying(EngineException.class, e -> {
                    assertThat(e.reason()).isEqualTo(Reason.KeysCollide);
                    assertThat(e.getMessage()).contains("(10,audit) (2 rows of aws, http)").doesNotContain("siem")
                            .contains("nothing was changed");
                });
        assertThat(TestDatabase.tableExists(db, "destinations")).isFalse();
        assertThat(TestDatabase.query(db, "SELECT to_regnamespace('tandem') IS NULL")).isEqualTo(true);
    }

    @Test
    void thePlanSaysWhichRowsEachSharingEntryOwns() {
        String text = PlanRenderer.render(plan("shared", DESTINATIONS, destinationEntries()));
        assertThat(text).contains("shares destinations with [aws]; owns the rows where category = 'http'")
                .contains("a write that would change or remove another entry's row fails with an error naming both");
    }

    // ------------------------------------------------------------------ a new key for the same old row (defect 5)

    @Test
    void aRenameUnderTheBridgeKeyKeepsTheNewRowAndWhatReferencesIt() throws Exception {
        DatabaseTarget db = TestDatabase.fresh("safe_rename");
        TestDatabase.exec(db, LEGACY);
        expand(db, DESTINATIONS, destinationEntries());
        TestDatabase.exec(db, "INSERT INTO http_destinations VALUES (1, 10, 'audit', 'https://a');"
                + "INSERT INTO destination_headers SELECT id, 'X-Token' FROM destinations");
        Object id = TestDatabase.query(db, "SELECT id FROM destinations");
        TestDatabase.exec(db, "UPDATE http_destinations SET name = 'audit-2', url = 'https://b' WHERE id = 1");
        assertThat(rows(db, "SELECT id, name, config->>'url' FROM destinations")).containsExactly(id + "|audit-2|https://b");
        assertThat(rows(db, "SELECT count(*) FROM destination_headers")).containsExactly("1");
    }

    // ------------------------------------------------------------------ trigger order (defect 3)

    private static final String PROXIES = "CREATE TABLE proxies (id bigint PRIMARY KEY, backend_api_id bigint NOT NULL);"
            + "CREATE TABLE proxy_rules (id bigint PRIMARY KEY, proxy_id bigint NOT NULL REFERENCES proxies (id), pattern text);"
            + "INSERT INTO proxies VALUES (1, 100), (2, 200);"
            + "INSERT INTO proxy_rules VALUES (1, 1, '/a'), (2, 2, '/b')";
    private static final String OWNERS = "ALTER TABLE proxy_rules ADD COLUMN owner_id bigint;"
            + "CREATE TABLE proxy_rules_proxies (proxy_rule_id bigint PRIMARY KEY REFERENCES proxy_rules (id) ON DELETE CASCADE, "
            + "proxy_id bigint NOT NULL)";

    @Test
    void aJoinEntryListedBeforeAnInPlaceEntryFiresOnceTheRowItReferencesExists() throws Exception {
        DatabaseTarget db = TestDatabase.fresh("safe_order");
        TestDatabase.exec(db, PROXIES);
        SyncSpec join = SyncSpecs.entry("join", "proxy_rules", List.of("id"), null, "proxy_rules_proxies",
                List.of("proxy_rule_id"), Map.of("proxy_rule_id", "id", "proxy_id", "proxy_id"));
        SyncSpec owner = SyncSpecs.entry("owner", "proxy_rules", List.of("id"), null, "proxy_rules", List.of(),
                Map.of("owner_id", "(SELECT p.backend_api_id FROM proxies p WHERE p.id = proxy_rules.proxy_id)"));
        MigrationPlan plan = expand(db, OWNERS, List.of(join, owner));
        assertThat(plan.sync().get(0).before()).isFalse();
        TestDatabase.exec(db, "INSERT INTO proxy_rules (id, proxy_id, pattern) VALUES (3, 2, '/c')");
        assertThat(rows(db, "SELECT r.id, r.owner_id, j.proxy_id FROM proxy_rules r JOIN proxy_rules_proxies j "
                + "ON j.proxy_rule_id = r.id")).containsExactly("3|200|2");
        backfill(db, plan);
        assertThat(rows(db, "SELECT r.id, r.owner_id, j.proxy_id FROM proxy_rules r JOIN proxy_rules_proxies j "
                + "ON j.proxy_rule_id = r.id ORDER BY 1")).containsExactly("1|100|1", "2|200|2", "3|200|2");
    }

    @Test
    void aLookupWhoseTableReferencesItsSourceCannotFireFirstAndExpandSaysWhy() throws Exception {
        DatabaseTarget db = TestDatabase.fresh("safe_order_fk");
        TestDatabase.exec(db, PROXIES);
        SyncSpec join = SyncSpecs.entry("join", "proxy_rules", List.of("id"), null, "proxy_rules_proxies",
                List.of("proxy_rule_id"), Map.of("proxy_rule_id", "id", "proxy_id", "proxy_id"));
        // The in-place entry reads the join table, so the join entry would have to fire BEFORE the row exists.
        SyncSpec owner = SyncSpecs.entry("owner", "proxy_rules", List.of("id"), null, "proxy_rules", List.of(),
                Map.of("owner_id", "(SELECT j.proxy_id FROM proxy_rules_proxies j WHERE j.proxy_rule_id = proxy_rules.id)"));
        MigrationPlan plan = plan("fk", OWNERS, List.of(join, owner));
        assertThatThrownBy(() -> EngineStepTest.engine(db).apply(plan, Step.EXPAND, null, StepListener.NONE))
                .isInstanceOfSatisfying(EngineException.class, e -> {
                    assertThat(e.reason()).isEqualTo(Reason.SyncInvalid);
                    assertThat(e.getMessage()).contains("spec.sync[0]: this entry must fire before the row change")
                            .contains("proxy_rules_proxies references proxy_rules by a foreign key");
                });
        assertThat(TestDatabase.columnExists(db, "proxy_rules", "owner_id")).isFalse();
    }

    @Test
    void inPlaceEntriesThatReadEachOthersColumnsAreRefusedWhenPlanned() {
        SyncSpec a = SyncSpecs.entry("a", "t", List.of("id"), null, "t", List.of(), Map.of("x", "y + 1"));
        SyncSpec b = SyncSpecs.entry("b", "t", List.of("id"), null, "t", List.of(), Map.of("y", "x + 1"));
        SchemaMigrationSpec spec = Specs.of("SELECT 1", null, null, null);
        spec.setSync(List.of(a, b));
        assertThat(SpecValidator.validate(spec, false)).anySatisfy(e -> assertThat(e)
                .contains("in-place entries [a, b] read each other's derived columns"));
    }

    @Test
    void anInPlaceEntryReadingAColumnAnotherDerivesFiresAfterItWhateverTheListing() throws Exception {
        DatabaseTarget db = TestDatabase.fresh("safe_order_inplace");
        TestDatabase.exec(db, "CREATE TABLE t (id bigint PRIMARY KEY, v int)");
        SyncSpec second = SyncSpecs.entry("second", "t", List.of("id"), null, "t", List.of(), Map.of("y", "x * 10"));
        SyncSpec first = SyncSpecs.entry("first", "t", List.of("id"), null, "t", List.of(), Map.of("x", "v + 1"));
        expand(db, "ALTER TABLE t ADD COLUMN x int, ADD COLUMN y int", List.of(second, first));
        TestDatabase.exec(db, "INSERT INTO t (id, v) VALUES (1, 4)");
        assertThat(rows(db, "SELECT x, y FROM t")).containsExactly("5|50");
    }

    // ------------------------------------------------------------------ the application's own triggers (defect 4)

    private static final String STAMPED = "CREATE TABLE dogs (id bigint PRIMARY KEY, breed text, "
            + "updated_at timestamptz NOT NULL DEFAULT '2020-01-01');"
            + "CREATE FUNCTION stamp() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.updated_at := now(); RETURN NEW; END $$;"
            + "CREATE TRIGGER stamp BEFORE UPDATE ON dogs FOR EACH ROW EXECUTE FUNCTION stamp();"
            + "INSERT INTO dogs (id, breed) SELECT g, 'breed ' || (g % 5) FROM generate_series(1, 500) g";

    private static SyncSpec upperBreed(SyncSpec.AppTriggers triggers) {
        SyncSpec e = SyncSpecs.entry("upper", "dogs", List.of("id"), null, "dogs", List.of(), Map.of("breed_upper", "upper(breed)"));
        e.setAppTriggers(triggers);
        return e;
    }

    @Test
    void anInPlaceBackfillFiresTheApplicationsTriggersUnlessTheEntrySaysSkip() throws Exception {
        for (SyncSpec.AppTriggers mode : SyncSpec.AppTriggers.values()) {
            DatabaseTarget db = TestDatabase.fresh("safe_apptrig");
            TestDatabase.exec(db, STAMPED);
            MigrationPlan plan = expand(db, "ALTER TABLE dogs ADD COLUMN breed_upper text", List.of(upperBreed(mode)));
            backfill(db, plan);
            assertThat(rows(db, "SELECT count(*) FROM dogs WHERE breed_upper = upper(breed)")).containsExactly("500");
            assertThat(rows(db, "SELECT count(*) FROM dogs WHERE updated_at > '2020-01-01'"))
                    .containsExactly(mode == SyncSpec.AppTriggers.Fire ? "500" : "0");
            assertThat(PlanRenderer.render(plan)).contains("an UPDATE of every row of dogs whose derived columns differ")
                    .contains(mode == SyncSpec.AppTriggers.Fire ? "appTriggers: Fire: the table's other row triggers fire"
                            : "appTriggers: Skip: batches run with session_replication_role = replica");
        }
    }

    @Test
    void skippingTheApplicationsTriggersIsRefusedAtExpandForARoleThatMayNot() throws Exception {
        DatabaseTarget admin = TestDatabase.fresh("safe_apptrig_role");
        TestDatabase.exec(TestDatabase.server(), "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = "
                + "'tandem_plain') THEN CREATE ROLE tandem_plain LOGIN PASSWORD 'plain-pw'; END IF; END $$");
        String dbName = String.valueOf(TestDatabase.query(admin, "SELECT current_database()"));
        TestDatabase.exec(admin, "GRANT CREATE ON DATABASE \"" + dbName + "\" TO tandem_plain; "
                + "GRANT CREATE, USAGE ON SCHEMA public TO tandem_plain");
        DatabaseTarget db = DatabaseTarget.ofJdbcUrl(admin.jdbcUrl(), "tandem_plain", "plain-pw");
        TestDatabase.exec(db, STAMPED);
        MigrationPlan plan = plan("skip", "ALTER TABLE dogs ADD COLUMN breed_upper text",
                List.of(upperBreed(SyncSpec.AppTriggers.Skip)));
        assertThatThrownBy(() -> EngineStepTest.engine(db).apply(plan, Step.EXPAND, null, StepListener.NONE))
                .isInstanceOfSatisfying(EngineException.class, e -> assertThat(e.getMessage())
                        .contains("spec.sync[0].appTriggers: Skip needs a superuser or GRANT SET ON PARAMETER "
                                + "session_replication_role"));
        assertThat(TestDatabase.columnExists(admin, "dogs", "breed_upper")).isFalse();
    }

    // ------------------------------------------------------------------ rows an expression cannot handle (defect 6)

    private static final String EVENTS = "CREATE TABLE events (id bigint PRIMARY KEY, data text)";

    private static SyncSpec payload(SyncSpec.OnError onError) {
        SyncSpec e = SyncSpecs.entry("payload", "events", List.of("id"), null, "payloads", List.of("event_id"),
                Map.of("event_id", "id", "body", "data::jsonb"));
        e.setOnError(onError);
        return e;
    }

    private static final String PAYLOADS = "CREATE TABLE payloads (event_id bigint PRIMARY KEY, body jsonb)";

    @Test
    void expandRefusesExistingRowsAnExpressionFailsOnNamingTheirKeys() throws Exception {
        DatabaseTarget db = TestDatabase.fresh("safe_badrows");
        TestDatabase.exec(db, EVENTS + "; INSERT INTO events SELECT g, '{\"n\": ' || g || '}' FROM generate_series(1, 3000) g;"
                + "UPDATE events SET data = 'not json' WHERE id IN (17, 2500)");
        MigrationPlan plan = plan("badrows", PAYLOADS, List.of(payload(SyncSpec.OnError.Record)));
        assertThatThrownBy(() -> EngineStepTest.engine(db).apply(plan, Step.EXPAND, null, StepListener.NONE))
                .isInstanceOfSatisfying(EngineException.class, e -> {
                    assertThat(e.reason()).isEqualTo(Reason.ExistingRowsInvalid);
                    assertThat(e.getMessage()).contains("2 existing rows of events make sync entry payload fail")
                            .contains("id=17 (spec.sync[0].columns.body: invalid input syntax for type json")
                            .contains("id=2500").contains("nothing was changed");
                });
        assertThat(TestDatabase.tableExists(db, "payloads")).isFalse();
        TestDatabase.exec(db, "UPDATE events SET data = '{}' WHERE id IN (17, 2500)");
        EngineStepTest.engine(db).apply(plan, Step.EXPAND, null, StepListener.NONE);
    }

    @Test
    void aWriteAnExpressionFailsOnGoesThroughIsRecordedAndFailsVerificationByKey() throws Exception {
        DatabaseTarget db = TestDatabase.fresh("safe_record");
        TestDatabase.exec(db, EVENTS + "; INSERT INTO events VALUES (1, '{}'), (2, '[1]')");
        MigrationPlan plan = expand(db, PAYLOADS, List.of(payload(SyncSpec.OnError.Record)));
        TestDatabase.exec(db, "INSERT INTO events VALUES (3, 'not json')"); // the application's write works
        TestDatabase.exec(db, "UPDATE events SET data = '{' WHERE id = 1");
        assertThat(rows(db, "SELECT source_key[1], direction, sqlstate FROM tandem.sync_errors ORDER BY at"))
                .containsExactly("3|forward|22P02", "1|forward|22P02");
        backfill(db, plan);
        MigrationEngine engine = EngineStepTest.engine(db);
        engine.apply(plan, Step.BACKFILL, null, StepListener.NONE);
        VerifyState state = new Verifier(db, engine.settings(), VerifyTuning.defaults()).run(plan, 1, "", Verifier.Listener.NONE);
        assertThat(state.passed()).isFalse();
        assertThat(String.join("; ", state.samples())).contains("payload error id=1: invalid input syntax for type json")
                .contains("payload error id=3");
        TestDatabase.exec(db, "UPDATE events SET data = '{\"fixed\": true}' WHERE id IN (1, 3)");
        assertThat(new Verifier(db, engine.settings(), VerifyTuning.defaults()).run(plan, 2, "", Verifier.Listener.NONE)
                .passed()).isTrue();
    }

    @Test
    void aValueTheNewColumnCannotHoldIsRecordedOrFailsTheWriteAsOnErrorSays() throws Exception {
        // A plain column whose value does not fit the new column's type (varchar(5)): the cast raises on an
        // update that keeps the key as on any other write.
        String shortBodies = "CREATE TABLE bodies (event_id bigint PRIMARY KEY, body varchar(5))";
        DatabaseTarget db = TestDatabase.fresh("safe_cast");
        TestDatabase.exec(db, EVENTS + "; INSERT INTO events VALUES (1, 'a'), (2, 'b')");
        SyncSpec record = SyncSpecs.entry("bodies", "events", List.of("id"), "data IS NOT NULL", "bodies",
                List.of("event_id"), Map.of("event_id", "id", "body", "data"));
        expand(db, shortBodies, List.of(record));
        TestDatabase.exec(db, "INSERT INTO bodies VALUES (1, 'a'), (2, 'b')");
        TestDatabase.exec(db, "UPDATE events SET data = 'far too long' WHERE id = 1"); // the application's write works
        TestDatabase.exec(db, "UPDATE events SET data = 'ok' WHERE id = 2");
        assertThat(rows(db, "SELECT source_key[1], direction, sqlstate FROM tandem.sync_errors ORDER BY at"))
                .containsExactly("1|forward|22001");
        assertThat(rows(db, "SELECT event_id, body FROM bodies ORDER BY 1")).containsExactly("1|a", "2|ok");
        assertThat(rows(db, "SELECT data FROM events WHERE id = 1")).containsExactly("far too long");

        DatabaseTarget failing = TestDatabase.fresh("safe_cast_fail");
        TestDatabase.exec(failing, EVENTS + "; INSERT INTO events VALUES (1, 'a')");
        SyncSpec fail = SyncSpecs.entry("bodies", "events", List.of("id"), "data IS NOT NULL", "bodies",
                List.of("event_id"), Map.of("event_id", "id", "body", "data"));
        fail.setOnError(SyncSpec.OnError.Fail);
        expand(failing, shortBodies, List.of(fail));
        TestDatabase.exec(failing, "INSERT INTO bodies VALUES (1, 'a')");
        assertThat(error(failing, "UPDATE events SET data = 'far too long' WHERE id = 1"))
                .contains("value too long for type character varying(5)");
        assertThat(rows(failing, "SELECT data FROM events")).containsExactly("a");
    }

    @Test
    void withOnErrorFailTheApplicationsWriteFailsWithTheError() throws Exception {
        DatabaseTarget db = TestDatabase.fresh("safe_fail");
        TestDatabase.exec(db, EVENTS);
        expand(db, PAYLOADS, List.of(payload(SyncSpec.OnError.Fail)));
        assertThat(error(db, "INSERT INTO events VALUES (3, 'not json')")).contains("invalid input syntax for type json");
        assertThat(rows(db, "SELECT count(*) FROM events")).containsExactly("0");
    }

    @Test
    void theBackfillCopiesEveryOtherRowAndRecordsTheRowsThatRaise() throws Exception {
        DatabaseTarget db = TestDatabase.fresh("safe_backfill_errors");
        // The expression reads a table expand creates, so the rows can only be tried by the backfill (the rows that
        // fail lie past the sample expand evaluates).
        TestDatabase.exec(db, EVENTS + "; INSERT INTO events SELECT g, CASE WHEN g IN (4242, 4900) THEN 'bad' ELSE 'ok' END "
                + "FROM generate_series(1, 5000) g");
        SyncSpec e = SyncSpecs.entry("payload", "events", List.of("id"), null, "payloads", List.of("event_id"),
                Map.of("event_id", "id", "body", "(SELECT jsonb_build_object('v', v) FROM allowed a WHERE a.v = events.data)"
                        + " || CASE WHEN data = 'bad' THEN data::jsonb ELSE '{}' END"));
        MigrationPlan plan = expand(db, PAYLOADS + "; CREATE TABLE allowed (v text PRIMARY KEY); "
                + "INSERT INTO allowed VALUES ('ok'), ('bad')", List.of(e));
        backfill(db, plan);
        assertThat(rows(db, "SELECT count(*) FROM payloads")).containsExactly("4998");
        assertThat(rows(db, "SELECT source_key[1], direction FROM tandem.sync_errors ORDER BY 1"))
                .containsExactly("4242|backfill", "4900|backfill");
        assertThat(new Backfiller(db, EngineSettings.defaults("test"), BackfillTuning.defaults()).progress(plan).failedRows())
                .isEqualTo(2);
    }

    // ------------------------------------------------------------------ mappings that do not fit (defect 7)

    private static final String USERS = "CREATE TABLE users (id bigint PRIMARY KEY, full_name text, age text)";
    private static final String PII = "CREATE TABLE users_pii (user_id bigint PRIMARY KEY, full_name text, age int)";

    private static SyncSpec pii(Map<String, String> columns) {
        return SyncSpecs.entry("full-name", "users", List.of("id"), null, "users_pii", List.of("user_id"), columns);
    }

    private static void refusedAtExpand(String expandSql, SyncSpec entry, String... expected) throws Exception {
        DatabaseTarget db = TestDatabase.fresh("safe_fit");
        TestDatabase.exec(db, USERS + "; INSERT INTO users VALUES (1, 'Ann', '7')");
        MigrationPlan plan = plan("fit", expandSql, List.of(entry));
        assertThatThrownBy(() -> EngineStepTest.engine(db).apply(plan, Step.EXPAND, null, StepListener.NONE))
                .isInstanceOfSatisfying(EngineException.class, e -> {
                    assertThat(e.reason()).isEqualTo(Reason.SyncInvalid);
                    assertThat(e.getMessage()).contains(expected).contains("nothing was changed");
                });
        assertThat(TestDatabase.query(db, "SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'tandem%'")).isEqualTo(0L);
        assertThat(TestDatabase.tableExists(db, "users_pii")).isFalse();
        TestDatabase.exec(db, "INSERT INTO users VALUES (2, 'Bo', '9'); UPDATE users SET full_name = 'B' WHERE id = 2");
    }

    @Test
    void aMisspeltTargetColumnIsRefusedAtExpandWithTheFieldAndTheColumnsThereAre() throws Exception {
        refusedAtExpand(PII, pii(Map.of("user_id", "id", "full_nam", "full_name")),
                "spec.sync[0].columns.full_nam: column \"full_nam\" of relation \"users_pii\" does not exist",
                "the columns of users_pii are: user_id, full_name, age");
    }

    @Test
    void anUnknownSourceColumnIsRefusedAtExpand() throws Exception {
        refusedAtExpand(PII, pii(Map.of("user_id", "id", "full_name", "fullname")),
                "spec.sync[0].columns.full_name: column \"fullname\" does not exist");
    }

    @Test
    void textMappedIntoAnIntegerColumnIsRefusedAtExpand() throws Exception {
        refusedAtExpand(PII, pii(Map.of("user_id", "id", "age", "age")),
                "spec.sync[0].columns.age: column \"age\" is of type integer but expression is of type text",
                "cast the expression to the column's type");
    }

    @Test
    void expandSqlThatDropsAColumnAnEntryReadsIsRefused() throws Exception {
        refusedAtExpand(PII + "; ALTER TABLE users DROP COLUMN full_name", pii(Map.of("user_id", "id", "full_name", "full_name")),
                "spec.sync[0].columns.full_name: column \"full_name\" does not exist");
    }

    @Test
    void aReverseMappingThatDoesNotFitIsRefused() throws Exception {
        SyncSpec e = pii(Map.of("user_id", "id", "full_name", "full_name"));
        e.setReverse(Map.of("full_name", "fullname"));
        refusedAtExpand(PII, e, "spec.sync[0].reverse.full_name: column \"fullname\" does not exist");
    }

    @Test
    void anInPlaceExpressionOverAMissingColumnIsRefused() throws Exception {
        DatabaseTarget db = TestDatabase.fresh("safe_fit_inplace");
        TestDatabase.exec(db, USERS);
        MigrationPlan plan = plan("inplace", "ALTER TABLE users ADD COLUMN initial text", List.of(SyncSpecs.entry("initial",
                "users", List.of("id"), null, "users", List.of(), Map.of("initial", "left(fulname, 1)"))));
        assertThatThrownBy(() -> EngineStepTest.engine(db).apply(plan, Step.EXPAND, null, StepListener.NONE))
                .hasMessageContaining("spec.sync[0].columns.initial: column \"fulname\" does not exist");
        assertThat(TestDatabase.columnExists(db, "users", "initial")).isFalse();
    }

    @Test
    void sourceColumnsNamedLikeTheTriggersOwnVariablesDoNotCaptureThem() throws Exception {
        DatabaseTarget db = TestDatabase.fresh("safe_names");
        TestDatabase.exec(db, "CREATE TABLE things (id bigint PRIMARY KEY, found text, tg_op text, new_in boolean, "
                + "old_in boolean, tandem_v0 text)");
        Map<String, String> columns = new LinkedHashMap<>();
        columns.put("id", "id");
        columns.put("label", "found || '/' || tg_op || '/' || tandem_v0 || '$tandem$'");
        columns.put("flags", "new_in AND old_in");
        SyncSpec e = SyncSpecs.entry("things", "things", List.of("id"), "new_in OR old_in", "things_v2", List.of("id"), columns);
        MigrationPlan plan = expand(db, "CREATE TABLE things_v2 (id bigint PRIMARY KEY, label text, flags boolean)",
                List.of(e));
        TestDatabase.exec(db, "INSERT INTO things VALUES (1, 'f', 'op', true, false, 'v'), (2, 'g', 'op', true, true, 'w');"
                + "UPDATE things SET found = 'F' WHERE id = 1; UPDATE things SET new_in = false, old_in = false WHERE id = 2");
        assertThat(rows(db, "SELECT id, label, flags FROM things_v2")).containsExactly("1|F/op/v$tandem$|f");
        TestDatabase.exec(db, "DELETE FROM things WHERE id = 1");
        assertThat(rows(db, "SELECT count(*) FROM things_v2")).containsExactly("0");
        backfill(db, plan);
    }
}
