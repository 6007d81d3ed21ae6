package dev.tandem.crd;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.cel.common.types.SimpleType;
import dev.cel.compiler.CelCompiler;
import dev.cel.compiler.CelCompilerFactory;
import dev.cel.runtime.CelRuntime;
import dev.cel.runtime.CelRuntimeFactory;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The CRD the build generates (target/kubernetes) is the one committed in crds/ and in the chart,
 * documents every field, and its CEL rules say what the API promises. Runs after packaging.
 */
class CrdIT {
    static final Path GENERATED = Path.of("target/kubernetes/schemamigrations.tandem.dev-v1.yml");
    static final Path COMMITTED = Path.of("crds/schemamigrations.tandem.dev-v1.yml");
    static final Path CHART = Path.of("charts/tandem/crds/schemamigrations.tandem.dev-v1.yml");
    static final String UPDATE = "; regenerate with: ./mvnw -q package -DskipTests && cp " + GENERATED + " " + COMMITTED
            + " && cp " + GENERATED + " " + CHART;

    private static JsonNode crd() throws Exception {
        return new YAMLMapper().readTree(GENERATED.toFile());
    }

    @Test
    void committedCrdsMatchWhatTheBuildGenerates() throws Exception {
        assertThat(GENERATED).as("the build generates the CRD").exists();
        String generated = Files.readString(GENERATED);
        assertThat(Files.readString(COMMITTED)).as(COMMITTED + " drifted from the build output" + UPDATE)
                .isEqualTo(generated);
        assertThat(Files.readString(CHART)).as(CHART + " drifted from the build output" + UPDATE)
                .isEqualTo(generated);
    }

    /**
     * Every field, Kubernetes' own types included: {@code kubectl explain} reads only this schema, so
     * the Job pods' {@code resources} (core/v1 ResourceRequirements) are described here as well. Only
     * apiVersion, kind and metadata are left to the API server, which documents them itself.
     */
    @Test
    void everyFieldHasADescriptionForKubectlExplain() throws Exception {
        JsonNode schema = crd().at("/spec/versions/0/schema/openAPIV3Schema");
        List<String> undocumented = new ArrayList<>();
        walk(schema, "", undocumented);
        assertThat(undocumented).as("fields without description").isEmpty();
        assertThat(schema.path("description").asText()).as("the resource itself (kubectl explain smig)")
                .startsWith("SchemaMigration is an online, zero-downtime PostgreSQL schema migration")
                .contains("spec.targetPhase", "spec.promotion.planHash");
    }

    /** The Jobs declare no pod-level resource claims, so only limits and requests may be given. */
    @Test
    void jobPodResourcesOfferLimitsAndRequestsOnly() throws Exception {
        JsonNode spec = crd().at("/spec/versions/0/schema/openAPIV3Schema/properties/spec/properties");
        for (String job : List.of("backfill", "verify")) {
            JsonNode resources = spec.at("/" + job + "/properties/resources/properties");
            List<String> fields = new ArrayList<>();
            resources.fieldNames().forEachRemaining(fields::add);
            assertThat(fields).as(job + ".resources").containsExactlyInAnyOrder("limits", "requests");
            assertThat(resources.at("/limits/description").asText()).contains("ResourceRequirements.limits");
        }
    }

    /** One condition per type, merged by type: what kstatus, Argo CD and 'kubectl wait' expect. */
    @Test
    void conditionsAreAListMapKeyedByType() throws Exception {
        JsonNode conditions = crd().at("/spec/versions/0/schema/openAPIV3Schema/properties/status/properties/conditions");
        assertThat(conditions.path("x-kubernetes-list-type").asText()).isEqualTo("map");
        assertThat(texts(conditions.path("x-kubernetes-list-map-keys"))).containsExactly("type");
        // the API server refuses a list-map whose key is neither required nor defaulted
        assertThat(texts(conditions.at("/items/required"))).contains("type", "status");
    }

    private static List<String> texts(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    private static void walk(JsonNode node, String path, List<String> undocumented) {
        node.path("properties").fields().forEachRemaining(e -> {
            String p = path + "." + e.getKey();
            if (!e.getValue().has("description") && !p.startsWith(".metadata") && !p.equals(".apiVersion")
                    && !p.equals(".kind")) {
                undocumented.add(p);
            }
            walk(e.getValue(), p, undocumented);
            if (e.getValue().has("items")) {
                walk(e.getValue().get("items"), p + "[]", undocumented);
            }
        });
    }

    @Test
    void printerColumnsAndNamesAreWhatDashboardsShow() throws Exception {
        JsonNode spec = crd().get("spec");
        assertThat(spec.at("/names/shortNames/0").asText()).isEqualTo("smig");
        assertThat(spec.at("/names/categories/0").asText()).isEqualTo("tandem");
        List<String> columns = new ArrayList<>();
        spec.at("/versions/0/additionalPrinterColumns").forEach(c -> columns.add(c.get("name").asText()
                + (c.get("priority").asInt() > 0 ? "(wide)" : "")));
        assertThat(columns).containsExactly("Target", "Phase", "Step", "Progress", "Ready", "Reversible", "Age", "Rows(wide)", "ETA(wide)", "Mismatches(wide)", "Plan(wide)",
                "Message(wide)");
        assertThat(spec.at("/versions/0/subresources/status").isObject()).isTrue();
    }

    private static List<String> rules() throws Exception {
        List<String> rules = new ArrayList<>();
        crd().at("/spec/versions/0/schema/openAPIV3Schema/properties/spec/x-kubernetes-validations")
                .forEach(r -> rules.add(r.get("rule").asText()));
        return rules;
    }

    /** Evaluates every spec rule as the API server would: all must hold for a change to be accepted. */
    private static boolean admitted(Map<String, Object> oldSpec, Map<String, Object> newSpec) throws Exception {
        CelCompiler compiler = CelCompilerFactory.standardCelCompilerBuilder()
                .setStandardMacros(dev.cel.parser.CelStandardMacro.STANDARD_MACROS)
                .addVar("self", SimpleType.DYN).addVar("oldSelf", SimpleType.DYN).build();
        CelRuntime runtime = CelRuntimeFactory.standardCelRuntimeBuilder().build();
        for (String rule : rules()) {
            boolean transition = rule.contains("oldSelf");
            if (transition && oldSpec == null) {
                continue; // transition rules do not run on create
            }
            Map<String, Object> vars = new HashMap<>();
            vars.put("self", newSpec);
            if (transition) {
                vars.put("oldSelf", oldSpec);
            }
            Object result = runtime.createProgram(compiler.compile(rule).getAst()).eval(vars);
            if (!Boolean.TRUE.equals(result)) {
                return false;
            }
        }
        return true;
    }

    private static Map<String, Object> spec(String target, String planHash) {
        Map<String, Object> spec = new HashMap<>();
        spec.put("targetPhase", target);
        spec.put("database", Map.of("secretRef", Map.of("name", "db")));
        if (planHash != null) {
            spec.put("promotion", Map.of("planHash", planHash));
        }
        return spec;
    }

    @Test
    void celRequiresAPlanHashForCutOverAndContracted() throws Exception {
        assertThat(rules()).hasSize(4);
        assertThat(admitted(null, spec("Verified", null))).isTrue();
        assertThat(admitted(null, spec("CutOver", null))).isFalse();
        assertThat(admitted(null, spec("CutOver", ""))).isFalse();
        assertThat(admitted(null, spec("CutOver", "3f9a1c2b7d01"))).isTrue();
        assertThat(admitted(spec("Verified", null), spec("Contracted", null))).isFalse();
    }

    @Test
    void celRefusesATargetPhaseThatLeavesCutOverOrContracted() throws Exception {
        assertThat(admitted(spec("CutOver", "h"), spec("Verified", "h"))).isFalse();
        assertThat(admitted(spec("CutOver", "h"), spec("RolledBack", "h"))).isFalse();
        assertThat(admitted(spec("CutOver", "h"), spec("Contracted", "h"))).isTrue();
        assertThat(admitted(spec("Contracted", "h"), spec("CutOver", "h"))).isFalse();
        assertThat(admitted(spec("Contracted", "h"), spec("Contracted", "h"))).isTrue();
        assertThat(admitted(spec("Verified", null), spec("RolledBack", null))).isTrue();
        assertThat(admitted(spec("Verified", null), spec("Expanded", null))).isTrue();
    }

    /** The rules of one field, evaluated with self = value, as the API server would on create. */
    private static boolean fieldAdmits(String pointer, Object value) throws Exception {
        JsonNode rules = crd().at("/spec/versions/0/schema/openAPIV3Schema/properties/spec" + pointer
                + "/x-kubernetes-validations");
        assertThat(rules.isArray()).as(pointer + " has CEL rules").isTrue();
        CelCompiler compiler = CelCompilerFactory.standardCelCompilerBuilder()
                .setStandardMacros(dev.cel.parser.CelStandardMacro.STANDARD_MACROS)
                .addVar("self", SimpleType.DYN).build();
        CelRuntime runtime = CelRuntimeFactory.standardCelRuntimeBuilder().build();
        for (JsonNode rule : rules) {
            Object result = runtime.createProgram(compiler.compile(rule.get("rule").asText()).getAst())
                    .eval(Map.of("self", value));
            if (!Boolean.TRUE.equals(result)) {
                return false;
            }
        }
        return true;
    }

    @Test
    void celBoundsEveryDurationAndTheTrackingSchema() throws Exception {
        Map<String, List<String>> admittedAndNot = Map.of(
                "/properties/lockTimeout", List.of("2s", "500ms", "1h", "|", "0s", "0.5ms", "2h", "90m"),
                "/properties/statementTimeout", List.of("15m", "1s", "24h", "|", "500ms", "25h", "1000h"),
                "/properties/backfill/properties/targetBatchTime", List.of("200ms", "10m", "|", "5ms", "11m"),
                "/properties/backfill/properties/throttle/properties/maxReplicationLag", List.of("10s", "|", "0s", "25h"),
                "/properties/backfill/properties/throttle/properties/maxTransactionAge", List.of("5m", "168h", "|", "169h"),
                "/properties/verify/properties/reverifyEvery", List.of("30m", "1h30m", "1s", "720h", "|", "500ms", "721h"),
                "/properties/database/properties/trackingSchema", List.of("tandem", "ledger_2", "|", "public",
                        "information_schema", "pg_tandem"));
        for (Map.Entry<String, List<String>> e : admittedAndNot.entrySet()) {
            boolean admitted = true;
            for (String value : e.getValue()) {
                if (value.equals("|")) {
                    admitted = false;
                    continue;
                }
                assertThat(fieldAdmits(e.getKey(), value)).as(e.getKey() + " = " + value).isEqualTo(admitted);
            }
        }
        JsonNode batchSize = crd().at("/spec/versions/0/schema/openAPIV3Schema/properties/spec/properties/backfill"
                + "/properties/batchSize/pattern");
        java.util.regex.Pattern pattern = java.util.regex.Pattern.compile(batchSize.asText());
        assertThat(List.of("auto", "1", "5000", "999999", "1000000")).allMatch(v -> pattern.matcher(v).find());
        assertThat(List.of("0", "-5", "1000001", "99999999999999999999", "10k")).noneMatch(v -> pattern.matcher(v).find());
    }

    @Test
    void celKeepsARolledBackMigrationRolledBack() throws Exception {
        for (String target : List.of("Expanded", "Backfilled", "Verified")) {
            assertThat(admitted(spec("RolledBack", null), spec(target, null))).as("RolledBack -> " + target).isFalse();
        }
        assertThat(admitted(spec("RolledBack", null), spec("CutOver", "h"))).isFalse();
        assertThat(admitted(spec("RolledBack", null), spec("Contracted", "h"))).isFalse();
        assertThat(admitted(spec("RolledBack", null), spec("RolledBack", null))).as("unchanged target").isTrue();
        assertThat(admitted(null, spec("RolledBack", null))).as("create: transition rules do not run").isTrue();
        assertThat(admitted(spec("Expanded", null), spec("RolledBack", null))).as("rolling back is allowed").isTrue();
    }
}
