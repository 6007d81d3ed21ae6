package dev.tandem.testing;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import jakarta.inject.Inject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * Base of the tests that run the operator against the mock API server with the in-process Job
 * stand-in: the binary starts the operator only for {@code tandem operator}, so the test plays that
 * command; Jobs the operator creates are run by {@link JobControllerStandIn}.
 */
public abstract class OperatorWithJobs {
    @Inject
    protected KubernetesClient client;

    @Inject
    protected Operator operator;

    protected JobControllerStandIn jobController;

    @BeforeEach
    void startOperatorAndJobs() {
        if (!operator.getRuntimeInfo().isStarted()) {
            operator.start();
        }
        jobController = new JobControllerStandIn(client);
    }

    @AfterEach
    void stopJobs() {
        jobController.close();
    }
}
