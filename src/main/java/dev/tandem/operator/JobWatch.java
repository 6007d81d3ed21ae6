package dev.tandem.operator;

import dev.tandem.api.v1alpha1.SchemaMigration;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.Mappers;

/** Reconciles a migration when one of its Jobs changes (started, finished, failed), instead of waiting to poll. */
final class JobWatch {
    private JobWatch() {
    }

    static InformerEventSource<Job, SchemaMigration> eventSource(EventSourceContext<SchemaMigration> context) {
        InformerEventSourceConfiguration<Job> jobs = InformerEventSourceConfiguration
                .from(Job.class, SchemaMigration.class)
                .withName("jobs")
                .withLabelSelector(Names.LABEL_MANAGED_BY + "=" + Names.MANAGED_BY)
                .withSecondaryToPrimaryMapper(Mappers.fromOwnerReferences(SchemaMigration.class))
                .build();
        return new InformerEventSource<>(jobs, context);
    }
}
