package dev.tandem.operator;

import dev.tandem.api.v1alpha1.SchemaMigration;
import io.fabric8.kubernetes.api.model.Secret;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;

import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/** Reconciles a migration when the Secret it reads appears or changes (e.g. a fixed password). */
final class SecretWatch {
    private SecretWatch() {
    }

    static InformerEventSource<Secret, SchemaMigration> eventSource(EventSourceContext<SchemaMigration> context) {
        context.getPrimaryCache().addIndexer(Names.SECRET_INDEX, m -> List.of(secretKey(m)));
        InformerEventSourceConfiguration<Secret> secrets = InformerEventSourceConfiguration
                .from(Secret.class, SchemaMigration.class)
                .withName("secrets")
                .withSecondaryToPrimaryMapper(secret -> context.getPrimaryCache()
                        .byIndex(Names.SECRET_INDEX, secret.getMetadata().getNamespace() + "/" + secret.getMetadata().getName())
                        .stream().map(ResourceID::fromResource).collect(Collectors.toSet()))
                .withPrimaryToSecondaryMapper((SchemaMigration m) -> m.getSpec() == null || m.getSpec().getDatabase() == null
                        || m.getSpec().getDatabase().getSecretRef() == null ? Set.of()
                        : Set.of(new ResourceID(m.getSpec().getDatabase().getSecretRef().getName(), m.getMetadata().getNamespace())))
                .build();
        return new InformerEventSource<>(secrets, context);
    }

    private static String secretKey(SchemaMigration m) {
        return m.getSpec() == null || m.getSpec().getDatabase() == null || m.getSpec().getDatabase().getSecretRef() == null
                ? "" : m.getMetadata().getNamespace() + "/" + m.getSpec().getDatabase().getSecretRef().getName();
    }

}
