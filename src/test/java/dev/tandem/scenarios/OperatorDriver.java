package dev.tandem.scenarios;

import dev.tandem.api.v1alpha1.SchemaMigration;
import dev.tandem.api.v1alpha1.SchemaMigrationStatus;
import dev.tandem.api.v1alpha1.StatusCondition;
import dev.tandem.api.v1alpha1.TargetPhase;
import dev.tandem.engine.DatabaseTarget;
import dev.tandem.operator.Names;
import dev.tandem.plan.MigrationPlan;
import dev.tandem.testing.Manifests;
import dev.tandem.testing.TestDatabase;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.Resource;
import org.awaitility.Awaitility;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.fail;

/**
 * Reaches a phase the way a team does in a cluster: the scenario's manifest is applied (with a
 * Secret for its database) and then promoted by editing {@code spec.targetPhase}; the operator
 * takes the steps, its backfill and verification Jobs run by the Job controller stand-in. Returns
 * when the status shows the phase reached and Ready for the current generation; fails as soon as
 * the migration is Stalled. Every Ready=False reason seen on the way is kept (AwaitingGates,
 * AwaitingQuiet) with its message.
 */
final class OperatorDriver implements ScenarioRun.Driver {
    private static final Duration TIMEOUT = Duration.ofSeconds(90);
    private final KubernetesClient client;
    private final DatabaseTarget db;
    private final List<String> held = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final List<String> oldStorageWrites = new java.util.concurrent.CopyOnWriteArrayList<>();
    private Consumer<TargetPhase> beforePromotion = t -> { };
    private Resource<SchemaMigration> resource;

    OperatorDriver(KubernetesClient client, DatabaseTarget db) {
        this.client = client;
        this.db = db;
    }

    /** Runs before each promotion (e.g. rolls out the application version a gate waits for). */
    OperatorDriver beforePromotion(Consumer<TargetPhase> action) {
        this.beforePromotion = action;
        return this;
    }

    @Override
    public void reach(MigrationPlan plan, SchemaMigration migration, TargetPhase target) {
        beforePromotion.accept(target);
        String ns = migration.getMetadata().getNamespace();
        String name = migration.getMetadata().getName();
        if (resource == null) {
            String secret = migration.getSpec().getDatabase().getSecretRef().getName();
            client.resource(Manifests.secret(ns, secret, db, db.user(), TestDatabase.password())).create();
            SchemaMigration m = new SchemaMigration();
            m.setMetadata(new ObjectMetaBuilder().withNamespace(ns).withName(name).build());
            m.setSpec(migration.getSpec());
            m.getSpec().setTargetPhase(target);
            client.resource(m).create();
            resource = client.resources(SchemaMigration.class).inNamespace(ns).withName(name);
        } else {
            Awaitility.await("promotion to " + target).atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50))
                    .ignoreExceptionsInstanceOf(KubernetesClientException.class).until(() -> {
                        resource.edit(x -> {
                            x.getSpec().setTargetPhase(target);
                            return x;
                        });
                        return true;
                    });
        }
        Awaitility.await(name + " reaches " + target).atMost(TIMEOUT).pollInterval(Duration.ofMillis(100)).until(() -> {
            SchemaMigration m = resource.get();
            SchemaMigrationStatus s = m == null ? null : m.getStatus();
            if (s == null || s.getObservedGeneration() == null
                    || s.getObservedGeneration() < m.getMetadata().getGeneration()) {
                return false;
            }
            if (s.isTrue(Names.Conditions.STALLED)) {
                fail(name + " stalled on the way to " + target + ": " + s.getMessage());
            }
            s.condition(Names.Conditions.READY).filter(c -> "False".equals(c.getStatus()))
                    .map(StatusCondition::getReason).filter(r -> r.startsWith("Awaiting"))
                    .ifPresent(r -> {
                        String seen = r + ": " + s.getMessage();
                        if (!held.contains(seen)) {
                            held.add(seen);
                        }
                    });
            if (s.getOldStorage() != null && s.getOldStorage().getLastWrite() != null
                    && !oldStorageWrites.contains(s.getOldStorage().getLastWrite())) {
                oldStorageWrites.add(s.getOldStorage().getLastWrite());
            }
            return s.getPhase() == target.phase() && s.isTrue(Names.Conditions.READY);
        });
    }

    /** The migration as the cluster shows it now. */
    SchemaMigration current() {
        return resource.get();
    }

    /** Each distinct status.oldStorage.lastWrite seen ("UPDATE public.users by app-v1 (role app)"). */
    List<String> oldStorageWrites() {
        return new ArrayList<>(oldStorageWrites);
    }

    /** Each distinct hold seen ("AwaitingQuiet: contract possible after ..."). */
    List<String> held() {
        return new ArrayList<>(held);
    }
}
