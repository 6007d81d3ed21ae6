package dev.tandem.scenarios;

import dev.tandem.engine.DatabaseTarget;
import dev.tandem.testing.TestDatabase;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Seed 001 through the operator (mock API server, Jobs run by a stand-in): the example's manifest
 * promoted phase by phase under the same live writes and checks as {@link ProxyRulesScenarioTest}.
 */
@QuarkusTest
@WithKubernetesTestServer
class ProxyRulesOperatorScenarioTest extends dev.tandem.testing.OperatorWithJobs {

    @Test
    void theOperatorMovesRulesToTheirBackendApiUnderLiveWrites() throws Exception {
        Scenario scenario = Scenario.load("proxy-rules");
        DatabaseTarget db = TestDatabase.fresh("scenario_operator_proxy_rules");
        scenario.loadInto(db, Scenario.rows());
        ScenarioRun.Report report = ProxyRulesScenarioTest.scenario()
                .driver(new OperatorDriver(client, db))
                .run(db);
        assertThat(report.differing()).isZero();
        assertThat(jobController.output).as("the backfill and verification ran as Jobs").isNotEmpty();
    }
}
