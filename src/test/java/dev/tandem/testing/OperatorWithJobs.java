package dev.tandem.testing;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * Base of the operator tests whose migrations run Jobs: those the operator creates are run by the
 * in-process {@link JobControllerStandIn}.
 */
public abstract class OperatorWithJobs extends OperatorTest {
    protected JobControllerStandIn jobController;

    @BeforeEach
    void startJobs() {
        jobController = new JobControllerStandIn(client);
    }

    @AfterEach
    void stopJobs() {
        jobController.close();
    }

    /** Edits a migration's spec, retrying when the operator's status write got in between (409 Conflict). */
    protected static dev.tandem.api.v1alpha1.SchemaMigration edit(
            io.fabric8.kubernetes.client.dsl.Resource<dev.tandem.api.v1alpha1.SchemaMigration> r,
            java.util.function.UnaryOperator<dev.tandem.api.v1alpha1.SchemaMigration> change) {
        java.util.concurrent.atomic.AtomicReference<dev.tandem.api.v1alpha1.SchemaMigration> edited =
                new java.util.concurrent.atomic.AtomicReference<>();
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(20))
                .pollInterval(java.time.Duration.ofMillis(50))
                .ignoreExceptionsInstanceOf(io.fabric8.kubernetes.client.KubernetesClientException.class)
                .until(() -> {
                    edited.set(r.edit(change));
                    return true;
                });
        return edited.get();
    }
}
