package dev.tandem.operator;

import dev.tandem.api.v1alpha1.EventReason;

import dev.tandem.api.v1alpha1.SchemaMigration;
import dev.tandem.engine.Redaction;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.time.Clock;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.ThreadLocalRandom;

/** Emits Kubernetes Events on a migration. Never fails a reconcile: an event lost is logged. */
@ApplicationScoped
public class EventRecorder {
    private static final Logger LOG = Logger.getLogger(EventRecorder.class);
    private final KubernetesClient client;
    private final Clock clock;

    public EventRecorder(KubernetesClient client, Clock clock) {
        this.client = client;
        this.clock = clock;
    }

    public void record(SchemaMigration m, EventReason reason, String rawMessage) {
        String message = Redaction.scrub(rawMessage);
        String now = DateTimeFormatter.ISO_INSTANT.format(Instant.now(clock).truncatedTo(ChronoUnit.SECONDS));
        String name = m.getMetadata().getName() + "." + Long.toHexString(System.currentTimeMillis())
                + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x1000));
        try {
            client.v1().events().inNamespace(m.getMetadata().getNamespace()).resource(new EventBuilder()
                    .withNewMetadata().withName(name).withNamespace(m.getMetadata().getNamespace()).endMetadata()
                    .withInvolvedObject(new ObjectReferenceBuilder()
                            .withApiVersion(SchemaMigration.API_VERSION).withKind(SchemaMigration.KIND)
                            .withName(m.getMetadata().getName()).withNamespace(m.getMetadata().getNamespace())
                            .withUid(m.getMetadata().getUid()).withResourceVersion(m.getMetadata().getResourceVersion())
                            .build())
                    .withReason(reason.name())
                    .withMessage(message.length() > 1000 ? message.substring(0, 1000) : message)
                    .withType(reason.type())
                    .withFirstTimestamp(now).withLastTimestamp(now).withCount(1)
                    .withNewSource().withComponent(Names.FIELD_MANAGER).endSource()
                    .build()).create();
        } catch (KubernetesClientException e) {
            LOG.warnf("could not record event %s on %s/%s: %s", reason, m.getMetadata().getNamespace(),
                    m.getMetadata().getName(), e.getMessage());
        }
        LOG.infof("%s/%s %s: %s", m.getMetadata().getNamespace(), m.getMetadata().getName(), reason, message);
    }
}
