package dev.tandem.plan;

import dev.tandem.api.v1alpha1.GateSpec;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Checks spec.cutover.gates: one kind per gate, unique names, a query that is one query, sane durations. */
final class GateValidator {
    private static final String NAME = "[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?";
    private static final String K8S_NAME = "[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?";

    private GateValidator() {
    }

    static void validate(List<String> errors, List<GateSpec> gates) {
        if (gates == null) {
            return;
        }
        Set<String> names = new HashSet<>();
        for (int i = 0; i < gates.size(); i++) {
            GateSpec g = gates.get(i);
            String at = "spec.cutover.gates[" + i + "]";
            if (g == null) {
                errors.add(at + ": empty; give a name and one of rollout, sql, verification");
                continue;
            }
            if (g.getName() == null || !g.getName().matches(NAME)) {
                errors.add(at + ".name: give a name of letters, digits, '-', '_' or '.' (at most 63)");
            } else if (!names.add(g.getName())) {
                errors.add(at + ".name: '" + g.getName() + "' is used twice; gate names must be unique");
            }
            int kinds = (g.getRollout() != null ? 1 : 0) + (g.getSql() != null ? 1 : 0) + (g.getVerification() != null ? 1 : 0);
            if (kinds != 1) {
                errors.add(at + ": give exactly one of rollout, sql, verification (found " + kinds + ")");
                continue;
            }
            if (g.getRollout() != null) {
                rollout(errors, at + ".rollout", g.getRollout());
            } else if (g.getSql() != null) {
                if (g.getSql().isBlank()) {
                    errors.add(at + ".sql: empty; give a read-only query returning one boolean, true when cutover may go");
                } else {
                    SqlFragment.queryError(g.getSql()).ifPresent(problem -> errors.add(at + ".sql: " + problem
                            + "; a gate is one query returning one row with one boolean"));
                }
            } else {
                SpecValidator.checkDuration(errors, at + ".verification.maxAge", g.getVerification().getMaxAge(),
                        Duration.ofSeconds(1), Duration.ofDays(30));
            }
        }
        long verificationGates = gates.stream().filter(g -> g != null && g.getVerification() != null).count();
        if (verificationGates > 1) {
            errors.add("spec.cutover.gates: " + verificationGates + " verification gates; give at most one");
        }
    }

    private static void rollout(List<String> errors, String at, GateSpec.RolloutGate r) {
        if ((r.getDeployment() == null) == (r.getStatefulSet() == null)) {
            errors.add(at + ": give exactly one of deployment, statefulSet");
            return;
        }
        String name = r.getDeployment() != null ? r.getDeployment() : r.getStatefulSet();
        String field = at + (r.getDeployment() != null ? ".deployment" : ".statefulSet");
        if (!name.matches(K8S_NAME)) {
            errors.add(field + ": '" + SpecValidator.abbreviate(name) + "' is not a Kubernetes object name "
                    + "(lower-case letters, digits, '-' and '.')");
        }
        if (r.getImage() != null && r.getImage().isBlank()) {
            errors.add(at + ".image: empty; give an image reference, or a tag (':2.0') or digest ('@sha256:…') to match");
        }
        for (Map.Entry<String, Map<String, String>> e : Map.of("labels", nullToEmpty(r.getLabels()),
                "annotations", nullToEmpty(r.getAnnotations())).entrySet()) {
            for (Map.Entry<String, String> kv : e.getValue().entrySet()) {
                if (kv.getKey() == null || kv.getKey().isBlank() || kv.getValue() == null) {
                    errors.add(at + "." + e.getKey() + ": every entry needs a key and a value");
                }
            }
        }
    }

    private static Map<String, String> nullToEmpty(Map<String, String> m) {
        return m == null ? Map.of() : m;
    }
}
