package dev.tandem.testing;

import dev.tandem.api.v1alpha1.SchemaMigration;
import dev.tandem.api.v1alpha1.SchemaMigrationStatus;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.javaoperatorsdk.operator.Operator;
import jakarta.inject.Inject;
import org.junit.jupiter.api.BeforeEach;

import java.time.Duration;
import java.util.function.Predicate;

import static org.awaitility.Awaitility.await;

/**
 * Base of the tests that run the operator against the mock API server: the binary starts the
 * operator only for {@code tandem operator}, so the test plays that command; a migration is
 * applied as kubectl would and its status awaited.
 */
public abstract class OperatorTest {
    protected static final Duration TIMEOUT = Duration.ofSeconds(60);

    @Inject
    protected KubernetesClient client;

    @Inject
    protected Operator operator;

    @BeforeEach
    void startOperator() {
        if (!operator.getRuntimeInfo().isStarted()) {
            operator.start();
        }
    }

    /** Creates the migration; returns its resource. */
    protected Resource<SchemaMigration> apply(SchemaMigration m) {
        client.resource(m).create();
        return client.resources(SchemaMigration.class).inNamespace(m.getMetadata().getNamespace())
                .withName(m.getMetadata().getName());
    }

    /** Waits (at most {@link #TIMEOUT}) until the migration's status satisfies {@code until}; returns it. */
    protected static SchemaMigrationStatus awaitStatus(Resource<SchemaMigration> r, Predicate<SchemaMigrationStatus> until) {
        await().atMost(TIMEOUT).pollInterval(Duration.ofMillis(100)).until(() -> {
            SchemaMigration m = r.get();
            return m != null && m.getStatus() != null && until.test(m.getStatus());
        });
        return r.get().getStatus();
    }
}
