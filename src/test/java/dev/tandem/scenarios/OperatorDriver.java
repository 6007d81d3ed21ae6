package dev.tandem.scenarios;

import dev.tandem.api.v1alpha1.SchemaMigration;
import dev.tandem.api.v1alpha1.SchemaMigrationStatus;
import dev.tandem.api.v1alpha1.TargetPhase;
import dev.tandem.engine.DatabaseTarget;
import dev.tandem.operator.Names;
import dev.tandem.plan.MigrationPlan;
import dev.tandem.testing.Manifests;
import dev.tandem.testing.TestDatabase;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.Resource;
import org.awaitility.Awaitility;

import java.time.Duration;

import static org.assertj.core.api.Assertions.fail;

/**
 * Reaches a phase the way a team does in the cluster: the example's manifest applied as is (its
 * Secret created from the test database), then spec.targetPhase moved one phase at a time, each
 * awaited in status with Ready=True. The operator starts the backfill and verification Jobs; a Job
 * stand-in runs them.
 */
final class OperatorDriver implements ScenarioRun.Driver {
    private static final Duration PER_PHASE = Duration.ofSeconds(90);
    private final KubernetesClient client;
    private final DatabaseTarget db;
    private Resource<SchemaMigration> resource;

    OperatorDriver(KubernetesClient client, DatabaseTarget db) {
        this.client = client;
        this.db = db;
    }

    @Override
    public void reach(MigrationPlan plan, SchemaMigration manifest, TargetPhase target) {
        if (resource == null) {
            String ns = manifest.getMetadata().getNamespace();
            client.resource(Manifests.secret(ns, manifest.getSpec().getDatabase().getSecretRef().getName(), db, db.user(),
                    TestDatabase.password())).create();
            SchemaMigration m = new SchemaMigration();
            m.setMetadata(new ObjectMetaBuilder().withNamespace(ns).withName(manifest.getMetadata().getName()).build());
            m.setSpec(manifest.getSpec());
            m.getSpec().setTargetPhase(target);
            client.resource(m).create();
            resource = client.resources(SchemaMigration.class).inNamespace(ns).withName(manifest.getMetadata().getName());
        } else {
            resource.edit(m -> {
                m.getSpec().setTargetPhase(target);
                return m;
            });
        }
        Awaitility.await(target.toString()).atMost(PER_PHASE).pollInterval(Duration.ofMillis(100)).until(() -> {
            SchemaMigrationStatus s = resource.get().getStatus();
            if (s != null && s.isTrue(Names.Conditions.STALLED)) {
                fail("stalled on the way to " + target + ": " + s.getMessage());
            }
            return s != null && s.getPhase() == target.phase() && s.isTrue(Names.Conditions.READY);
        });
    }
}
