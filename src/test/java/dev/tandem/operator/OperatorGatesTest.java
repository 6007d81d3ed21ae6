package dev.tandem.operator;

import dev.tandem.api.v1alpha1.GateSpec;
import dev.tandem.api.v1alpha1.GateStatus;
import dev.tandem.api.v1alpha1.Phase;
import dev.tandem.api.v1alpha1.SchemaMigration;
import dev.tandem.api.v1alpha1.SchemaMigrationStatus;
import dev.tandem.api.v1alpha1.TargetPhase;
import dev.tandem.engine.DatabaseTarget;
import dev.tandem.testing.Manifests;
import dev.tandem.testing.TestDatabase;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentStatusBuilder;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Cutover gates in the cluster: a rollout gate follows a Deployment the test moves through a
 * rollout, a SQL gate follows the database; the migration waits with AwaitingGates (not Stalled,
 * healthy for GitOps tools) and crosses once both hold.
 */
@QuarkusTest
@WithKubernetesTestServer
class OperatorGatesTest extends dev.tandem.testing.OperatorWithJobs {

    private Deployment deployment(String ns, String image, long generation, int updated, int available, int total) {
        Deployment d = new DeploymentBuilder().withNewMetadata().withNamespace(ns).withName("app")
                .withGeneration(generation).endMetadata()
                .withNewSpec().withReplicas(2).withNewSelector().addToMatchLabels("app", "app").endSelector()
                .withNewTemplate().withNewMetadata().addToLabels("app", "app").endMetadata()
                .withNewSpec().addNewContainer().withName("app").withImage(image).endContainer().endSpec().endTemplate()
                .endSpec()
                .withStatus(new DeploymentStatusBuilder().withObservedGeneration(generation).withUpdatedReplicas(updated)
                        .withAvailableReplicas(available).withReplicas(total).build())
                .build();
        return d;
    }

    @Test
    void cutoverWaitsForTheRolloutAndTheSqlGateThenCrosses() {
        String ns = "gates";
        DatabaseTarget db = TestDatabase.fresh(ns);
        TestDatabase.exec(db, Manifests.USERS_SETUP + "; CREATE TABLE release_flags (drained boolean NOT NULL); "
                + "INSERT INTO release_flags VALUES (false)");
        client.resource(Manifests.secret(ns, "shop-db", db, db.user(), TestDatabase.password())).create();
        client.resource(deployment(ns, "registry.example/app:1.0", 1, 2, 2, 2)).create();

        SchemaMigration m = Manifests.attributeMove(ns, "gated", "shop-db", TargetPhase.Verified);
        GateSpec rollout = new GateSpec();
        rollout.setName("app-v2");
        GateSpec.RolloutGate r = new GateSpec.RolloutGate();
        r.setDeployment("app");
        r.setImage(":2.0");
        rollout.setRollout(r);
        GateSpec drained = new GateSpec();
        drained.setName("drained");
        drained.setSql("SELECT bool_and(drained) FROM release_flags");
        m.getSpec().getCutover().setGates(List.of(rollout, drained));
        client.resource(m).create();
        Resource<SchemaMigration> res = client.resources(SchemaMigration.class).inNamespace(ns).withName("gated");

        SchemaMigrationStatus s = awaitStatus(res, st -> st.getPhase() == Phase.Verified && st.isTrue(Names.Conditions.READY)
                && st.getGates() != null);
        assertThat(s.getGates()).extracting(GateStatus::getName).containsExactly("app-v2", "drained");
        assertThat(s.getGates()).extracting(GateStatus::getPassed).containsExactly(false, false);
        String hash = s.getPlan().getHash();

        edit(res, x -> {
            Manifests.promote(x, TargetPhase.CutOver, hash);
            return x;
        });
        s = awaitStatus(res, st -> st.getObservedGeneration() == 2 && st.condition(Names.Conditions.READY)
                .map(c -> "AwaitingGates".equals(c.getReason())).orElse(false));
        assertThat(s.getPhase()).as("held before the point of no return, not in flight").isEqualTo(Phase.Verified);
        assertThat(s.isTrue(Names.Conditions.STALLED)).isFalse();
        assertThat(s.isTrue(Names.Conditions.RECONCILING)).isFalse();
        assertThat(s.getMessage()).contains("app-v2 (rollout): deployment app: no container runs image :2.0")
                .contains("drained (sql): returned false");
        assertThat(s.getLastError()).isNull();

        // the new version rolls out: first half-way, then fully
        client.apps().deployments().inNamespace(ns).withName("app").edit(d -> deployment(ns, "registry.example/app:2.0",
                2, 1, 2, 3));
        client.apps().deployments().inNamespace(ns).withName("app").editStatus(d -> deployment(ns, "registry.example/app:2.0",
                2, 1, 2, 3));
        s = awaitStatus(res, st -> st.getGates() != null && st.getGates().get(0).getMessage().contains("1 of 2 replicas updated"));
        assertThat(s.getPhase()).isEqualTo(Phase.Verified);
        client.apps().deployments().inNamespace(ns).withName("app").editStatus(d -> deployment(ns, "registry.example/app:2.0",
                2, 2, 2, 2));
        s = awaitStatus(res, st -> st.getGates() != null && Boolean.TRUE.equals(st.getGates().get(0).getPassed()));
        assertThat(s.getPhase()).as("the SQL gate still holds it").isEqualTo(Phase.Verified);
        assertThat(s.getMessage()).doesNotContain("app-v2").contains("drained");

        TestDatabase.exec(db, "UPDATE release_flags SET drained = true");
        s = awaitStatus(res, st -> st.getPhase() == Phase.CutOver && st.isTrue(Names.Conditions.READY));
        assertThat(s.getGates()).extracting(GateStatus::getPassed).containsExactly(true, true);
        assertThat(s.getOldStorage()).isNotNull();
        assertThat(s.getOldStorage().getMode()).isEqualTo("Watch");
    }

    @Test
    void afterCutoverTheWatchCountsLegacyWritesAndContractWaitsForQuiet() throws Exception {
        String ns = "quiet";
        DatabaseTarget db = TestDatabase.fresh(ns);
        TestDatabase.exec(db, Manifests.USERS_SETUP);
        client.resource(Manifests.secret(ns, "shop-db", db, db.user(), TestDatabase.password())).create();
        SchemaMigration m = Manifests.attributeMove(ns, "quiet", "shop-db", TargetPhase.Verified);
        m.getSpec().setSync(List.of(dev.tandem.testing.SyncSpecs.entry("full-name", "users", List.of("id"), null,
                "users_pii", List.of("user_id"), java.util.Map.of("user_id", "id", "full_name", "full_name"))));
        m.getSpec().setExpand(new dev.tandem.api.v1alpha1.SqlSpec(
                "CREATE TABLE users_pii (user_id bigint PRIMARY KEY, full_name text NOT NULL)"));
        m.getSpec().getContract().setQuietFor("1h");
        client.resource(m).create();
        Resource<SchemaMigration> res = client.resources(SchemaMigration.class).inNamespace(ns).withName("quiet");
        SchemaMigrationStatus s = awaitStatus(res, st -> st.getPhase() == Phase.Verified && st.isTrue(Names.Conditions.READY));
        String hash = s.getPlan().getHash();
        edit(res, x -> {
            Manifests.promote(x, TargetPhase.CutOver, hash);
            return x;
        });
        awaitStatus(res, st -> st.getPhase() == Phase.CutOver && st.isTrue(Names.Conditions.READY));

        try (java.sql.Connection c = db.connect("legacy-worker"); java.sql.Statement st = c.createStatement()) {
            st.execute("UPDATE users SET full_name = 'late' WHERE id = 1");
        }
        edit(res, x -> {
            Manifests.promote(x, TargetPhase.Contracted, hash);
            return x;
        });
        s = awaitStatus(res, st -> st.condition(Names.Conditions.READY).map(c -> "AwaitingQuiet".equals(c.getReason()))
                .orElse(false) && st.getOldStorage() != null && Long.valueOf(1).equals(st.getOldStorage().getWrites()));
        assertThat(s.getPhase()).isEqualTo(Phase.CutOver);
        assertThat(s.isTrue(Names.Conditions.STALLED)).isFalse();
        assertThat(s.getOldStorage().getLastWrite()).startsWith("UPDATE public.users by legacy-worker");
        assertThat(s.getOldStorage().getContractPossibleTime()).isNotNull();
        assertThat(s.getMessage()).startsWith("contract possible after ").contains("legacy-worker")
                .contains("contract.quietFor is 1h");
        await().atMost(TIMEOUT).until(() -> client.v1().events().inNamespace(ns).list().getItems().stream()
                .anyMatch(e -> "OldStorageWritten".equals(e.getReason()) && e.getMessage().contains("legacy-worker")));
        assertThat(TestDatabase.columnExists(db, "users", "full_name")).isTrue();

        edit(res, x -> {
            x.getSpec().getContract().setQuietFor("0s");
            return x;
        });
        awaitStatus(res, st -> st.getPhase() == Phase.Contracted && st.isTrue(Names.Conditions.READY));
        assertThat(TestDatabase.columnExists(db, "users", "full_name")).isFalse();
    }
}
