package dev.tandem.scenarios;

import dev.tandem.api.v1alpha1.Phase;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Seed 001 end to end: proxy rules' owner moves from their proxy to its backend API (a lookup on
 * proxies) and proxy_rules_proxies is built, while rules are written, moved between proxies, re-keyed
 * and deleted, and proxies move to other backend APIs.
 */
class ProxyRulesScenarioTest {
    /** Every rule's owner is its proxy's backend API. */
    static final String WRONG_OWNERS = "SELECT count(*) FROM proxy_rules r JOIN proxies p ON p.id = r.proxy_id "
            + "WHERE r.owner_id IS DISTINCT FROM p.backend_api_id OR r.owner_type IS DISTINCT FROM 'BackendApi'";
    /** f(old) = new: the owners, and proxy_rules_proxies = {(id, proxy_id)} of proxy_rules. */
    static final String DIFFERING = "SELECT (" + WRONG_OWNERS + ") + (SELECT count(*) FROM proxy_rules r "
            + "FULL JOIN proxy_rules_proxies x ON x.proxy_rule_id = r.id WHERE r.id IS NULL OR x.proxy_rule_id IS NULL "
            + "OR x.proxy_id IS DISTINCT FROM r.proxy_id)";
    /** The new model: a rule is owned by the backend API of a proxy it belongs to. */
    static final String OWNED_THROUGH_ITS_PROXY = "SELECT count(*) FROM proxy_rules r LEFT JOIN proxy_rules_proxies x "
            + "ON x.proxy_rule_id = r.id LEFT JOIN proxies p ON p.id = x.proxy_id "
            + "WHERE p.id IS NULL OR p.backend_api_id IS DISTINCT FROM r.owner_id OR r.owner_type IS DISTINCT FROM 'BackendApi'";

    static ScenarioRun scenario() throws Exception {
        return ScenarioRun.of(Scenario.load("proxy-rules"))
                .compare(DIFFERING)
                .invariant("every rule's owner is its proxy's backend API", WRONG_OWNERS)
                .invariant("every rule owned through a proxy of its own", OWNED_THROUGH_ITS_PROXY,
                        Phase.Backfilled, Phase.Verified, Phase.CutOver, Phase.Contracted)
                .gone("proxy_rules.proxy_id");
    }

    @Test
    void rulesMoveToTheirBackendApiUnderLiveWritesAndTheNewVersionWritesAfterCutoverAndContract() throws Exception {
        ScenarioRun.Report report = scenario().run();
        assertThat(report.differing()).isZero();
        assertThat(report.writesPerKind()).containsKeys("move proxy to another backend API", "move rule to another proxy",
                "key change", "delete rule");
    }
}
