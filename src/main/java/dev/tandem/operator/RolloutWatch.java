package dev.tandem.operator;

import dev.tandem.api.v1alpha1.GateSpec;
import dev.tandem.api.v1alpha1.SchemaMigration;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;

import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;

/** Reconciles a migration when a Deployment or StatefulSet one of its rollout gates names changes. */
final class RolloutWatch {
    private RolloutWatch() {
    }

    static List<InformerEventSource<?, SchemaMigration>> eventSources(EventSourceContext<SchemaMigration> context) {
        context.getPrimaryCache().addIndexer(Names.ROLLOUT_INDEX, RolloutWatch::keys);
        return List.of(source(context, Deployment.class, "deployments", "deployment"),
                source(context, StatefulSet.class, "statefulsets", "statefulset"));
    }

    private static <R extends HasMetadata> InformerEventSource<R, SchemaMigration> source(
            EventSourceContext<SchemaMigration> context, Class<R> type, String name, String kind) {
        InformerEventSourceConfiguration<R> config = InformerEventSourceConfiguration.from(type, SchemaMigration.class)
                .withName(name)
                .withSecondaryToPrimaryMapper(r -> context.getPrimaryCache()
                        .byIndex(Names.ROLLOUT_INDEX, kind + "/" + r.getMetadata().getNamespace() + "/" + r.getMetadata().getName())
                        .stream().map(ResourceID::fromResource).collect(Collectors.toSet()))
                .withPrimaryToSecondaryMapper((SchemaMigration m) -> Set.of())
                .build();
        return new InformerEventSource<>(config, context);
    }

    private static List<String> keys(SchemaMigration m) {
        if (m.getSpec() == null || m.getSpec().getCutover() == null || m.getSpec().getCutover().getGates() == null) {
            return List.of();
        }
        return m.getSpec().getCutover().getGates().stream().filter(Objects::nonNull).map(GateSpec::getRollout)
                .filter(Objects::nonNull)
                .map(r -> (r.getDeployment() != null ? "deployment/" : "statefulset/") + m.getMetadata().getNamespace()
                        + "/" + (r.getDeployment() != null ? r.getDeployment() : r.getStatefulSet()))
                .toList();
    }
}
