package dev.tandem.scenarios;

import dev.tandem.api.v1alpha1.GateSpec;
import dev.tandem.api.v1alpha1.GateStatus;
import dev.tandem.api.v1alpha1.Phase;
import dev.tandem.api.v1alpha1.SchemaMigration;
import dev.tandem.api.v1alpha1.TargetPhase;
import dev.tandem.engine.DatabaseTarget;
import dev.tandem.engine.MigrationEngine;
import dev.tandem.plan.Durations;
import dev.tandem.testing.JobControllerStandIn;
import dev.tandem.testing.TestDatabase;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import jakarta.inject.Inject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Seed 004 end to end: users.full_name moves to users_pii while 1.x writes users.full_name and 2.0
 * writes users_pii through the reverse mapping; after cutover a 1.x server left behind renames a
 * user, the watch names it, and contract drops the column only after contract.quietFor without such
 * a write. Once in process (the conductor, as tandem run) and once through the operator on the mock
 * API server, where cutover also waits for the rollout of 2.0.
 */
@QuarkusTest
@WithKubernetesTestServer
class MoveAttributeScenarioTest {
    /** f(old) against new, both ways: every named user's name, and nothing else. */
    static final String DIFFERING = "SELECT (SELECT count(*) FROM (SELECT id, full_name FROM users WHERE full_name IS NOT NULL "
            + "EXCEPT SELECT user_id, full_name FROM users_pii) a) + (SELECT count(*) FROM (SELECT user_id, full_name "
            + "FROM users_pii EXCEPT SELECT id, full_name FROM users WHERE full_name IS NOT NULL) b)";
    static final String NAMELESS = "SELECT count(*) FROM users u WHERE NOT EXISTS (SELECT 1 FROM users_pii p WHERE p.user_id = u.id)";
    static final String LEGACY_RENAME = "UPDATE users SET full_name = 'Renamed by 1.x' WHERE id = (SELECT min(id) FROM users)";

    @Inject
    KubernetesClient client;

    @Inject
    Operator operator;

    private JobControllerStandIn jobController;

    @BeforeEach
    void start() {
        if (!operator.getRuntimeInfo().isStarted()) {
            operator.start();
        }
        jobController = new JobControllerStandIn(client);
    }

    @AfterEach
    void stop() {
        jobController.close();
    }

    private static ScenarioRun run(Scenario scenario) {
        return ScenarioRun.of(scenario)
                .compare(DIFFERING)
                .invariant("every user's name is in users_pii", NAMELESS,
                        Phase.Backfilled, Phase.Verified, Phase.CutOver, Phase.Contracted)
                .gone("users.full_name");
    }

    /** The example with a short quiet (the example waits 1h), on a fresh database holding its data. */
    private static Scenario scenario(DatabaseTarget db, String quietFor) throws Exception {
        Scenario scenario = Scenario.load("move-attribute");
        scenario.migration().getSpec().getContract().setQuietFor(quietFor);
        scenario.loadInto(db, Scenario.rows());
        return scenario;
    }

    private static LegacyWriterAfterCutover legacy(ScenarioRun.Driver driver, DatabaseTarget db, SchemaMigration m) {
        return new LegacyWriterAfterCutover(driver, new MigrationEngine(db, ScenarioRun.settings(m)), "app-v1",
                List.of(LEGACY_RENAME), "UPDATE", "public.users");
    }

    private static void assertNewVersionRan(ScenarioRun.Report report, LegacyWriterAfterCutover legacy) {
        assertThat(report.differing()).isZero();
        assertThat(report.writesPerKind()).containsKeys("sign up", "rename", "key change", "delete");
        System.out.println("  old-storage writes after cutover: " + legacy.seen().writes() + " (last "
                + legacy.seen().describeLast() + "), contract " + legacy.quietWait().toMillis()
                + " ms after it (quietFor " + Durations.format(legacy.quietFor()) + ")");
    }

    @Test
    void theNameMovesUnderLiveWritesOfBothVersionsAndTheColumnIsDroppedAfterTheQuiet() throws Exception {
        DatabaseTarget db = TestDatabase.fresh("scenario_move");
        Scenario scenario = scenario(db, "2s");
        SchemaMigration m = scenario.migration();
        LegacyWriterAfterCutover legacy = legacy(new ConductorDriver(new MigrationEngine(db, ScenarioRun.settings(m))), db, m);
        ScenarioRun.Report report = run(scenario).driver(legacy).run(db);
        assertNewVersionRan(report, legacy);
    }

    @Test
    void throughTheOperatorCutoverWaitsForTheRolloutOf20AndStatusNamesTheLegacyWriter() throws Exception {
        DatabaseTarget db = TestDatabase.fresh("scenario_move_op");
        // long enough for the hold to be seen in status through the API server
        Scenario scenario = scenario(db, "5s");
        SchemaMigration m = scenario.migration();
        String ns = m.getMetadata().getNamespace();
        GateSpec gate = new GateSpec();
        gate.setName("app-2.0");
        GateSpec.RolloutGate rollout = new GateSpec.RolloutGate();
        rollout.setDeployment("shop-api");
        rollout.setImage(":2.0");
        gate.setRollout(rollout);
        m.getSpec().getCutover().setGates(List.of(gate)); // as commented in migration.yaml; not part of the plan hash
        client.resource(deployment(ns, "registry.example/shop-api:1.9", 1)).create();

        OperatorDriver cluster = new OperatorDriver(client, db);
        cluster.beforePromotion(target -> {
            if (target == TargetPhase.CutOver) {
                List<GateStatus> gates = cluster.current().getStatus().getGates();
                assertThat(gates).filteredOn(g -> g.getName().equals("app-2.0")).singleElement()
                        .satisfies(g -> assertThat(g.getPassed()).as("1.9 still runs: the point of no return waits")
                                .isFalse());
                client.apps().deployments().inNamespace(ns).withName("shop-api")
                        .edit(d -> deployment(ns, "registry.example/shop-api:2.0", 2));
                client.apps().deployments().inNamespace(ns).withName("shop-api")
                        .editStatus(d -> deployment(ns, "registry.example/shop-api:2.0", 2));
            }
        });
        LegacyWriterAfterCutover legacy = legacy(cluster, db, m);
        ScenarioRun.Report report = run(scenario).driver(legacy).run(db);
        assertNewVersionRan(report, legacy);
        assertThat(cluster.held()).as("contract held for the quiet, naming the writer")
                .anySatisfy(h -> assertThat(h).startsWith("AwaitingQuiet").contains("app-v1"));
        assertThat(cluster.oldStorageWrites()).as("status.oldStorage while contract waited")
                .anySatisfy(w -> assertThat(w).startsWith("UPDATE public.users by app-v1"));
        assertThat(cluster.current().getStatus().getPhase()).isEqualTo(Phase.Contracted);
    }

    /** The shop's Deployment, fully rolled out at {@code image}. */
    private static Deployment deployment(String ns, String image, long generation) {
        return new DeploymentBuilder().withNewMetadata().withNamespace(ns).withName("shop-api").withGeneration(generation)
                .endMetadata()
                .withNewSpec().withReplicas(2).withNewSelector().addToMatchLabels("app", "shop-api").endSelector()
                .withNewTemplate().withNewMetadata().addToLabels("app", "shop-api").endMetadata()
                .withNewSpec().addNewContainer().withName("api").withImage(image).endContainer().endSpec().endTemplate()
                .endSpec()
                .withStatus(new DeploymentStatusBuilder().withObservedGeneration(generation).withUpdatedReplicas(2)
                        .withAvailableReplicas(2).withReplicas(2).build())
                .build();
    }
}
