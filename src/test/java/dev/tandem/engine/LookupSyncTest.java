package dev.tandem.engine;

import dev.tandem.plan.MigrationPlan;
import dev.tandem.testing.TestDatabase;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import dev.tandem.api.v1alpha1.SchemaMigrationSpec;
import dev.tandem.api.v1alpha1.Step;
import dev.tandem.api.v1alpha1.SyncLookup;
import dev.tandem.api.v1alpha1.SyncSpec;
import dev.tandem.plan.Planner;
import dev.tandem.testing.Specs;
import dev.tandem.testing.SyncSpecs;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A write to a looked-up table re-derives the dependent new values (seed 001: a rule's owner is its proxy's backend API). */
class LookupSyncTest {

    @ParameterizedTest(name = "in place: {0}")
    @ValueSource(booleans = {true, false})
    void changingAProxysBackendApiMovesItsRulesToTheNewOwner(boolean inPlace) throws Exception {
        DatabaseTarget db = Seed001.database("lookup_moves", 2_000);
        MigrationPlan plan = Seed001.plan(inPlace);
        Seed001.expand(db, plan);
        Seed001.backfill(db, plan);
        assertThat(Seed001.wrongOwners(db, inPlace)).isZero();

        TestDatabase.exec(db, "UPDATE proxies SET backend_api_id = 9 WHERE id = 7");       // rules 6, 56, ... move to 9
        assertThat(Seed001.owner(db, inPlace, 6)).isEqualTo(9L);
        TestDatabase.exec(db, "UPDATE proxies SET backend_api_id = NULL WHERE id = 8");    // no owner
        assertThat(Seed001.owner(db, inPlace, 7)).isNull();
        TestDatabase.exec(db, "UPDATE proxies SET name = 'renamed' WHERE id = 9");         // not a column the entry reads
        TestDatabase.exec(db, "INSERT INTO proxies VALUES (51, 10, 'new'); INSERT INTO proxy_rules VALUES (5001, 51, '/n')");
        assertThat(Seed001.owner(db, inPlace, 5001)).isEqualTo(10L);
        TestDatabase.exec(db, "UPDATE proxy_rules SET proxy_id = 51 WHERE id = 10");        // the rule changes proxy
        assertThat(Seed001.owner(db, inPlace, 10)).isEqualTo(10L);
        TestDatabase.exec(db, "UPDATE proxy_rules SET proxy_id = 51 WHERE proxy_id = 1; DELETE FROM proxies WHERE id = 1");
        TestDatabase.exec(db, "UPDATE proxies SET backend_api_id = backend_api_id % 5 + 2");  // every proxy at once
        assertThat(Seed001.wrongOwners(db, inPlace)).isZero();

        assertThat(Seed001.verify(db, plan, 1).result()).isEqualTo(VerifyState.PASSED);
    }

    @ParameterizedTest(name = "in place: {0}")
    @ValueSource(booleans = {true, false})
    void verificationFindsAPlantedDivergenceOfALookedUpValue(boolean inPlace) throws Exception {
        DatabaseTarget db = Seed001.database("lookup_verify", 2_000);
        MigrationPlan plan = Seed001.plan(inPlace);
        Seed001.expand(db, plan);
        Seed001.backfill(db, plan);
        assertThat(Seed001.verify(db, plan, 1).result()).isEqualTo(VerifyState.PASSED);
        // The looked-up value changes with every trigger off, as a bug or a manual fix outside the migration would.
        VerifierTest.plant(db, "UPDATE proxies SET backend_api_id = 10 WHERE id = 7");
        VerifyState s = Seed001.verify(db, plan, 2);
        assertThat(s.result()).isEqualTo(VerifyState.FAILED);
        assertThat(s.different()).isEqualTo(2_000 / Seed001.PROXIES);
        assertThat(VerifierTest.recorded(db, 2)).contains((inPlace ? "owner" : "rules") + " different id=56");
    }

    @Test
    void expandRefusesALookupTheCatalogDoesNotHaveNamingTheField() throws Exception {
        DatabaseTarget db = Seed001.database("lookup_catalog", 10);
        assertThatThrownBy(() -> Seed001.expand(db, plan("proxy", "proxy.id = proxy_rules.proxy_id")))
                .isInstanceOf(EngineException.class)
                .hasMessageContaining("spec.sync[0].lookups[0].table: table proxy does not exist");
        assertThatThrownBy(() -> Seed001.expand(db, plan("proxies", "proxies.id + proxy_rules.proxy_id")))
                .isInstanceOf(EngineException.class)
                .hasMessageContaining("spec.sync[0].lookups[0].on: argument of WHERE must be type boolean");
        assertThatThrownBy(() -> Seed001.expand(db, plan("proxies", "proxies.idd = proxy_rules.proxy_id")))
                .isInstanceOf(EngineException.class)
                .hasMessageContaining("spec.sync[0].lookups[0].on: column proxies.idd does not exist");
        assertThat(TestDatabase.tableExists(db, "backend_api_rules")).as("nothing installed").isFalse();
        // A condition matching many looked-up rows is refused on the existing rows, by key.
        assertThatThrownBy(() -> Seed001.expand(db, plan("proxies", "proxies.id >= proxy_rules.proxy_id")))
                .isInstanceOf(EngineException.class).hasMessageContaining("more than one row");
    }

    private static MigrationPlan plan(String table, String on) {
        SchemaMigrationSpec spec = Specs.of("CREATE TABLE backend_api_rules (id bigint PRIMARY KEY, owner_id bigint)",
                null, null, null);
        SyncSpec entry = SyncSpecs.entry("rules", "proxy_rules", List.of("id"), null, "backend_api_rules", List.of("id"),
                Map.of("id", "id", "owner_id", table + ".backend_api_id"));
        SyncLookup lookup = new SyncLookup();
        lookup.setTable(table);
        lookup.setOn(on);
        entry.setLookups(List.of(lookup));
        spec.setSync(List.of(entry));
        return Planner.plan("ns", "bad-" + Math.abs(on.hashCode()), spec);
    }

    /**
     * Seed 000's shape: a destination's config folds in its headers (many rows per destination), read
     * by a subquery of the expression's own; inserting, changing and deleting headers re-derives it.
     */
    @Test
    void aLookupOfManyRowsReadByAnAggregateFollowsEveryChangeOfThem() throws Exception {
        DatabaseTarget db = TestDatabase.fresh("lookup_headers");
        TestDatabase.exec(db, "CREATE TABLE destinations (id bigint PRIMARY KEY, url text NOT NULL);"
                + "CREATE TABLE headers (id bigint PRIMARY KEY, destination_id bigint NOT NULL REFERENCES destinations(id), "
                + "key text NOT NULL, value text NOT NULL);"
                + "INSERT INTO destinations SELECT g, 'https://h' || g FROM generate_series(1, 100) g;"
                + "INSERT INTO headers SELECT g, g % 100 + 1, 'k' || g, 'v' || g FROM generate_series(1, 300) g");
        SchemaMigrationSpec spec = Specs.of("CREATE TABLE streaming_destinations (id bigint PRIMARY KEY, config jsonb)",
                null, null, null);
        SyncSpec entry = SyncSpecs.entry("http", "destinations", List.of("id"), null, "streaming_destinations",
                List.of("id"), Map.of("id", "id", "config", "jsonb_build_object('url', url, 'headers', (SELECT "
                        + "coalesce(jsonb_object_agg(h.key, h.value), '{}') FROM headers h WHERE h.destination_id = destinations.id))"));
        SyncLookup lookup = new SyncLookup();
        lookup.setTable("headers");
        lookup.setOn("headers.destination_id = destinations.id");
        entry.setLookups(List.of(lookup));
        spec.setSync(List.of(entry));
        MigrationPlan plan = Planner.plan("ns", "headers", spec);
        Seed001.expand(db, plan);
        Seed001.backfill(db, plan);
        TestDatabase.exec(db, "INSERT INTO headers VALUES (1001, 5, 'auth', 'secret'); UPDATE headers SET value = 'x' "
                + "WHERE id = 4; UPDATE headers SET destination_id = 9 WHERE id = 10; DELETE FROM headers WHERE id = 20");
        assertThat(TestDatabase.query(db, "SELECT config->'headers'->>'auth' FROM streaming_destinations WHERE id = 5"))
                .isEqualTo("secret");
        assertThat(TestDatabase.query(db, "SELECT count(*) FROM destinations d JOIN streaming_destinations n ON n.id = d.id "
                + "WHERE n.config IS DISTINCT FROM jsonb_build_object('url', d.url, 'headers', (SELECT "
                + "coalesce(jsonb_object_agg(h.key, h.value), '{}') FROM headers h WHERE h.destination_id = d.id))"))
                .isEqualTo(0L);
        assertThat(Seed001.verify(db, plan, 1).result()).isEqualTo(VerifyState.PASSED);
        EngineStepTest.engine(db).apply(plan, Step.VERIFY, null, StepListener.NONE);
    }

    /**
     * onError Record: a looked-up change that makes a related row's expression raise goes through;
     * the row is recorded (and verification names it) until a later change fixes it.
     */
    @ParameterizedTest(name = "in place: {0}")
    @ValueSource(booleans = {true, false})
    void aLookedUpChangeThatMakesARowsExpressionRaiseGoesThroughAndIsRecorded(boolean inPlace) throws Exception {
        DatabaseTarget db = Seed001.database("lookup_errors", 500);
        MigrationPlan plan = Seed001.plan(inPlace, "100 / proxies.backend_api_id");
        Seed001.expand(db, plan);
        Seed001.backfill(db, plan);
        TestDatabase.exec(db, "INSERT INTO backend_apis VALUES (0, 'zero'); UPDATE proxies SET backend_api_id = 0 WHERE id = 7");
        assertThat(TestDatabase.query(db, "SELECT count(DISTINCT source_key) FROM tandem.sync_errors"))
                .isEqualTo((long) 500 / Seed001.PROXIES);
        assertThat(Seed001.verify(db, plan, 1).result()).isEqualTo(VerifyState.FAILED);
        TestDatabase.exec(db, "UPDATE proxies SET backend_api_id = 4 WHERE id = 7");
        assertThat(Seed001.owner(db, inPlace, 56)).isEqualTo(25L);
    }

    /** An entry with a reverse mapping: the re-derived new rows do not write back to the old ones. */
    @Test
    void aLookedUpChangeOfAnEntryWithAReverseMappingDoesNotWriteBack() throws Exception {
        DatabaseTarget db = Seed001.database("lookup_reverse", 500);
        SchemaMigrationSpec spec = Specs.of("CREATE TABLE backend_api_rules (id bigint PRIMARY KEY, owner_id bigint, "
                + "pattern text NOT NULL)", null, null, null);
        SyncSpec entry = SyncSpecs.entry("rules", "proxy_rules", List.of("id"), null, "backend_api_rules", List.of("id"),
                Map.of("id", "id", "owner_id", "proxies.backend_api_id", "pattern", "pattern"));
        entry.setReverse(Map.of("pattern", "pattern"));
        SyncLookup lookup = new SyncLookup();
        lookup.setTable("proxies");
        lookup.setOn("proxies.id = proxy_rules.proxy_id");
        entry.setLookups(List.of(lookup));
        spec.setSync(List.of(entry));
        MigrationPlan plan = Planner.plan("ns", "reverse", spec);
        Seed001.expand(db, plan);
        Seed001.backfill(db, plan);
        TestDatabase.exec(db, "CREATE TABLE writes (n int); CREATE FUNCTION count_write() RETURNS trigger LANGUAGE plpgsql "
                + "AS $$ BEGIN INSERT INTO writes VALUES (1); RETURN NULL; END $$; CREATE TRIGGER count_write AFTER UPDATE "
                + "ON proxy_rules FOR EACH ROW EXECUTE FUNCTION count_write()");
        TestDatabase.exec(db, "UPDATE proxies SET backend_api_id = 9 WHERE id = 7");
        assertThat(Seed001.owner(db, false, 56)).isEqualTo(9L);
        assertThat(TestDatabase.query(db, "SELECT count(*) FROM writes")).as("writes back to proxy_rules").isEqualTo(0L);
        TestDatabase.exec(db, "UPDATE backend_api_rules SET pattern = '/rev' WHERE id = 56");
        assertThat(TestDatabase.query(db, "SELECT pattern FROM proxy_rules WHERE id = 56")).isEqualTo("/rev");
        assertThat(Seed001.wrongOwners(db, false)).isZero();
    }
}
