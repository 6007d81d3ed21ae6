package dev.tandem.engine;

import dev.tandem.plan.MigrationPlan;
import dev.tandem.testing.TestDatabase;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

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
}
