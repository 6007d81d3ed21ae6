package dev.tandem.operator;

import dev.tandem.api.v1alpha1.GateSpec;
import dev.tandem.engine.conductor.Gatekeeper;
import dev.tandem.plan.CrossingPolicy;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Answers rollout gates from the API server: a Deployment or StatefulSet of the migration's
 * namespace is fully rolled out (its controller observed the latest generation, every replica is
 * updated and available) and its pod template matches the gate's image, labels and annotations.
 */
final class RolloutGatekeeper implements Gatekeeper {
    private final KubernetesClient client;
    private final String namespace;

    RolloutGatekeeper(KubernetesClient client, String namespace) {
        this.client = client;
        this.namespace = namespace;
    }

    @Override
    public Verdict rollout(CrossingPolicy.Gate gate) {
        GateSpec.RolloutGate r = gate.rollout();
        try {
            if (r.getDeployment() != null) {
                Deployment d = client.apps().deployments().inNamespace(namespace).withName(r.getDeployment()).get();
                if (d == null) {
                    return missing(r);
                }
                int desired = d.getSpec().getReplicas() == null ? 1 : d.getSpec().getReplicas();
                var st = d.getStatus();
                return judge(r, d, d.getSpec().getTemplate(), desired, st == null ? null : st.getObservedGeneration(),
                        st == null ? null : st.getUpdatedReplicas(), st == null ? null : st.getAvailableReplicas(),
                        st == null ? null : st.getReplicas());
            }
            StatefulSet s = client.apps().statefulSets().inNamespace(namespace).withName(r.getStatefulSet()).get();
            if (s == null) {
                return missing(r);
            }
            int desired = s.getSpec().getReplicas() == null ? 1 : s.getSpec().getReplicas();
            var st = s.getStatus();
            return judge(r, s, s.getSpec().getTemplate(), desired, st == null ? null : st.getObservedGeneration(),
                    st == null ? null : st.getUpdatedReplicas(), st == null ? null : st.getAvailableReplicas(),
                    st == null ? null : st.getReplicas());
        } catch (KubernetesClientException e) {
            return new Verdict(false, "could not read " + r.describe() + ": " + e.getMessage());
        }
    }

    private Verdict missing(GateSpec.RolloutGate r) {
        return new Verdict(false, r.describe() + " not found in namespace " + namespace);
    }

    static Verdict judge(GateSpec.RolloutGate r, HasMetadata workload, PodTemplateSpec template, int desired,
                         Long observed, Integer updated, Integer available, Integer total) {
        List<String> problems = new ArrayList<>(templateProblems(r, template));
        long generation = workload.getMetadata().getGeneration() == null ? 0 : workload.getMetadata().getGeneration();
        if (observed == null || observed < generation) {
            problems.add("its controller has not observed generation " + generation + " yet");
        }
        int up = updated == null ? 0 : updated;
        int av = available == null ? 0 : available;
        int all = total == null ? 0 : total;
        if (up < desired) {
            problems.add(up + " of " + desired + " replicas updated");
        }
        if (av < desired) {
            problems.add(av + " of " + desired + " replicas available");
        }
        if (all > desired) {
            problems.add(all - desired + " old replicas still running");
        }
        if (problems.isEmpty()) {
            return new Verdict(true, r.describe() + " rolled out: " + desired + " of " + desired + " replicas updated and "
                    + "available");
        }
        return new Verdict(false, r.describe() + ": " + String.join(", ", problems));
    }

    private static List<String> templateProblems(GateSpec.RolloutGate r, PodTemplateSpec template) {
        List<String> problems = new ArrayList<>();
        if (r.getImage() != null) {
            List<String> images = template == null || template.getSpec() == null ? List.of()
                    : template.getSpec().getContainers().stream().map(Container::getImage).filter(Objects::nonNull).toList();
            if (images.stream().noneMatch(i -> imageMatches(r.getImage(), i))) {
                problems.add("no container runs image " + r.getImage() + " (runs " + String.join(", ", images) + ")");
            }
        }
        Map<String, String> labels = template == null || template.getMetadata() == null ? null
                : template.getMetadata().getLabels();
        Map<String, String> annotations = template == null || template.getMetadata() == null ? null
                : template.getMetadata().getAnnotations();
        missing(problems, "label", r.getLabels(), labels);
        missing(problems, "annotation", r.getAnnotations(), annotations);
        return problems;
    }

    /** A full reference matches exactly; ':tag' or '@digest' alone matches a reference ending with it. */
    static boolean imageMatches(String wanted, String image) {
        if (wanted.startsWith(":") || wanted.startsWith("@")) {
            return image.endsWith(wanted);
        }
        return image.equals(wanted);
    }

    private static void missing(List<String> problems, String what, Map<String, String> wanted, Map<String, String> actual) {
        if (wanted == null) {
            return;
        }
        wanted.forEach((k, v) -> {
            String has = actual == null ? null : actual.get(k);
            if (!v.equals(has)) {
                problems.add("pod template " + what + " " + k + " is " + (has == null ? "missing" : "'" + has + "'")
                        + ", not '" + v + "'");
            }
        });
    }
}
