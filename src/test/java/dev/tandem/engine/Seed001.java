package dev.tandem.engine;

import dev.tandem.api.v1alpha1.SchemaMigrationSpec;
import dev.tandem.api.v1alpha1.Step;
import dev.tandem.api.v1alpha1.SyncLookup;
import dev.tandem.api.v1alpha1.SyncSpec;
import dev.tandem.plan.BackfillTuning;
import dev.tandem.plan.MigrationPlan;
import dev.tandem.plan.Planner;
import dev.tandem.plan.VerifyTuning;
import dev.tandem.testing.Specs;
import dev.tandem.testing.SyncSpecs;
import dev.tandem.testing.TestDatabase;

import java.util.List;
import java.util.Map;

/**
 * Seed 001's shape: proxy rules get a new owner, their proxy's backend API, read from another table
 * through a lookup. In place (proxy_rules.owner_id) or into another table (backend_api_rules).
 */
final class Seed001 {
    static final int PROXIES = 50;
    static final int BACKENDS = 5;

    private Seed001() {
    }

    /** backend_apis 1..5, proxies 1..50 (backend id % 5 + 1), proxy_rules 1..rules (proxy id % 50 + 1). */
    static DatabaseTarget database(String name, int rules) {
        DatabaseTarget db = TestDatabase.fresh(name);
        TestDatabase.exec(db, "CREATE TABLE backend_apis (id bigint PRIMARY KEY, name text NOT NULL);"
                + "CREATE TABLE proxies (id bigint PRIMARY KEY, backend_api_id bigint REFERENCES backend_apis(id), "
                + "name text NOT NULL);"
                + "CREATE TABLE proxy_rules (id bigint PRIMARY KEY, proxy_id bigint NOT NULL REFERENCES proxies(id), "
                + "pattern text NOT NULL);"
                + "INSERT INTO backend_apis SELECT g, 'api ' || g FROM generate_series(1, " + (BACKENDS + 5) + ") g;"
                + "INSERT INTO proxies SELECT g, g % " + BACKENDS + " + 1, 'proxy ' || g FROM generate_series(1, "
                + PROXIES + ") g;"
                + "INSERT INTO proxy_rules SELECT g, g % " + PROXIES + " + 1, '/p/' || g FROM generate_series(1, "
                + rules + ") g; ANALYZE");
        return db;
    }

    static MigrationPlan plan(boolean inPlace) {
        return plan(inPlace, "proxies.backend_api_id");
    }

    /** @param owner the new owner's expression */
    static MigrationPlan plan(boolean inPlace, String owner) {
        SchemaMigrationSpec spec;
        SyncSpec entry;
        if (inPlace) {
            spec = Specs.of("ALTER TABLE proxy_rules ADD COLUMN owner_id bigint, ADD COLUMN owner_type text", null, null, null);
            entry = SyncSpecs.entry("owner", "proxy_rules", List.of("id"), null, "proxy_rules", List.of(),
                    Map.of("owner_id", owner, "owner_type", "'BackendApi'"));
        } else {
            spec = Specs.of("CREATE TABLE backend_api_rules (id bigint PRIMARY KEY, owner_id bigint, pattern text NOT NULL)",
                    null, null, null);
            entry = SyncSpecs.entry("rules", "proxy_rules", List.of("id"), null, "backend_api_rules", List.of("id"),
                    Map.of("id", "id", "owner_id", owner, "pattern", "pattern"));
        }
        SyncLookup lookup = new SyncLookup();
        lookup.setTable("proxies");
        lookup.setOn("proxies.id = proxy_rules.proxy_id");
        entry.setLookups(List.of(lookup));
        spec.setSync(List.of(entry));
        return Planner.plan("ns", (inPlace ? "owner" : "rules") + (owner.equals("proxies.backend_api_id") ? ""
                : "-" + Integer.toHexString(owner.hashCode())), spec);
    }

    static void expand(DatabaseTarget db, MigrationPlan plan) throws Exception {
        EngineStepTest.engine(db).apply(plan, Step.EXPAND, null, StepListener.NONE);
    }

    static void backfill(DatabaseTarget db, MigrationPlan plan) throws Exception {
        new Backfiller(db, EngineSettings.defaults("test"), BackfillTuning.defaults()).run(plan, 0, 1, Backfiller.Listener.NONE);
        EngineStepTest.engine(db).apply(plan, Step.BACKFILL, null, StepListener.NONE);
    }

    static VerifyState verify(DatabaseTarget db, MigrationPlan plan, int pass) throws Exception {
        return new Verifier(db, EngineSettings.defaults("test"), VerifyTuning.defaults().withChunkSize(500))
                .run(plan, pass, "", Verifier.Listener.NONE);
    }

    /** Rules whose new owner is not their proxy's backend API (or, into another table, missing, extra or different). */
    static long wrongOwners(DatabaseTarget db, boolean inPlace) {
        String sql = inPlace
                ? "SELECT count(*) FROM proxy_rules r JOIN proxies p ON p.id = r.proxy_id "
                + "WHERE r.owner_id IS DISTINCT FROM p.backend_api_id OR r.owner_type IS DISTINCT FROM 'BackendApi'"
                : "SELECT count(*) FROM (SELECT r.id, p.backend_api_id, r.pattern FROM proxy_rules r JOIN proxies p "
                + "ON p.id = r.proxy_id) o FULL JOIN backend_api_rules n ON n.id = o.id WHERE o.id IS NULL OR n.id IS NULL "
                + "OR n.owner_id IS DISTINCT FROM o.backend_api_id OR n.pattern IS DISTINCT FROM o.pattern";
        return ((Number) TestDatabase.query(db, sql)).longValue();
    }

    /** The new owner of one rule. */
    static Object owner(DatabaseTarget db, boolean inPlace, long rule) {
        return TestDatabase.query(db, inPlace ? "SELECT owner_id FROM proxy_rules WHERE id = " + rule
                : "SELECT owner_id FROM backend_api_rules WHERE id = " + rule);
    }
}
