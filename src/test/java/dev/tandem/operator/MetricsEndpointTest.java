package dev.tandem.operator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.marcnuri.helm.Helm;
import dev.tandem.api.v1alpha1.Phase;
import dev.tandem.api.v1alpha1.SchemaMigration;
import dev.tandem.api.v1alpha1.TargetPhase;
import dev.tandem.engine.DatabaseTarget;
import dev.tandem.api.v1alpha1.Reason;
import dev.tandem.api.v1alpha1.Step;
import dev.tandem.testing.Manifests;
import dev.tandem.testing.OperatorStatuses;
import dev.tandem.testing.PromQl;
import dev.tandem.testing.PrometheusText;
import dev.tandem.testing.TestDatabase;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import jakarta.inject.Inject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.tandem.testing.OperatorStatuses.backfillProgress;
import static dev.tandem.testing.OperatorStatuses.upTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * /q/metrics of the running application (Quarkus, Micrometer's Prometheus registry): the metrics
 * docs/metrics.md documents are served under those names and types, and every metric the chart's
 * dashboard and alerts query exists. The operator runs against the Fabric8 mock API server (CRUD
 * mode) and a real PostgreSQL.
 */
@QuarkusTest
@WithKubernetesTestServer
class MetricsEndpointTest {
    private static final Path DOC = Path.of("docs/metrics.md");
    private static final Pattern DOC_ROW = Pattern.compile("^\\| `(tandem_[a-z_]+)` \\| (gauge|counter|histogram|summary) \\|");

    @TestHTTPResource("/q/metrics")
    URL endpoint;

    @Inject
    MigrationMetrics metrics;

    @Inject
    KubernetesClient client;

    @Inject
    Operator operator;

    /** A migration fed through the operator's metrics as the reconciler does, so every lazy series exists. */
    private OperatorStatuses fed;

    @BeforeEach
    void feedAMigrationThroughEveryKindOfStatus() {
        fed = OperatorStatuses.of("metrics", "fed", TargetPhase.Verified);
        fed.intend(Set.of(), Phase.Expanding);
        observe();
        fed.after(Duration.ofSeconds(1)).reconcile(upTo(Step.EXPAND), s -> s.advanced(Phase.Expanded, "expand committed"));
        observe();
        metrics.step(Step.EXPAND.key(), "applied", Duration.ofMillis(40));
        fed.intend(upTo(Step.EXPAND), Phase.Backfilling).after(Duration.ofSeconds(2)).reconcile(upTo(Step.EXPAND),
                s -> s.waiting("paused", backfillProgress(100, 50, 0, "transaction of pid 1 open for 400s"), "fed-b"));
        observe();
        var pass = fed.verifyPass(1, 100, 1);
        fed.after(Duration.ofSeconds(2)).reconcile(upTo(Step.BACKFILL), s -> {
            s.verification(pass, null, null);
            s.stalled(Reason.VerificationFailed, "verification pass 1 failed");
        });
        metrics.verification(fed.uid(), pass);
        observe();
    }

    private void observe() {
        metrics.observe(fed.uid(), fed.migration().getStatus(), fed.now());
    }

    @AfterEach
    void forgetIt() {
        metrics.forget(fed.uid());
    }

    private PrometheusText scrape() throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(endpoint.toURI()).header("Accept", "text/plain").GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(200);
        return PrometheusText.parse(response.body());
    }

    /** Metric families in docs/metrics.md's table, with their documented type. */
    private static Map<String, String> documented() throws IOException {
        Map<String, String> families = new LinkedHashMap<>();
        for (String line : Files.readAllLines(DOC)) {
            Matcher m = DOC_ROW.matcher(line);
            if (m.find()) {
                families.put(m.group(1), m.group(2));
            }
        }
        assertThat(families).as("metrics documented in " + DOC).hasSizeGreaterThan(10);
        return families;
    }

    @Test
    void everyDocumentedMetricIsServedUnderItsNameAndTypeAndNoUndocumentedOne() throws Exception {
        PrometheusText scrape = scrape();
        Map<String, String> documented = documented();
        Map<String, String> served = new LinkedHashMap<>();
        scrape.types().forEach((family, type) -> {
            boolean companion = family.endsWith("_max") && documented.containsKey(family.substring(0, family.length() - 4));
            if (family.startsWith("tandem_") && !companion) {
                served.put(family, type);
            }
        });
        assertThat(served).as("tandem metrics served at /q/metrics vs " + DOC).isEqualTo(documented);
        assertThat(scrape.samples()).filteredOn(s -> s.name().startsWith("tandem_"))
                .allSatisfy(s -> assertThat(s.labels().keySet()).as(s.name())
                        .doesNotContain("name", "namespace", "migration", "uid", "schemamigration"));
        scrape.help().forEach((name, help) -> {
            if (name.startsWith("tandem_")) {
                assertThat(help).as("HELP of " + name).isNotBlank();
            }
        });
        assertThat(scrape.value("tandem_migrations_stalled", "reason", Reason.VerificationFailed.name())).isGreaterThanOrEqualTo(1);
    }

    @Test
    void theDashboardAndTheAlertsQueryOnlyMetricsTheOperatorServes() throws Exception {
        List<String> queries = chartQueries();
        Set<String> queried = new TreeSet<>();
        queries.forEach(q -> queried.addAll(PromQl.metricNames(q)));
        assertThat(queried).as("what the dashboard and alerts read").contains("tandem_migrations_stalled",
                "tandem_backfill_rows_copied_total", "tandem_backfill_throttled_seconds_total",
                "tandem_migrations_verification_failed", "tandem_old_storage_writes_total",
                "tandem_phase_duration_seconds_bucket", "tandem_lock_timeout_retries_total");
        Set<String> served = scrape().names();
        assertThat(queried).as("queried metrics missing from /q/metrics").isSubsetOf(served);
    }

    /** Every PromQL expression of the rendered PrometheusRule and of the dashboard the chart ships. */
    private static List<String> chartQueries() throws IOException {
        String rendered;
        try {
            rendered = new Helm(Path.of("charts", "tandem")).template().withName("tandem").withNamespace("tandem-system")
                    .set("metrics.prometheusRule.enabled", "true").set("metrics.grafanaDashboard.enabled", "true").call();
        } catch (UnsatisfiedLinkError | NoClassDefFoundError e) {
            assumeTrue(false, "SKIPPED: helm-java cannot run on this machine: " + e);
            return List.of();
        }
        List<String> queries = new ArrayList<>();
        try (MappingIterator<JsonNode> docs = new YAMLMapper().readerFor(JsonNode.class).readValues(rendered)) {
            while (docs.hasNext()) {
                JsonNode doc = docs.next();
                if (doc == null) {
                    continue;
                }
                if ("PrometheusRule".equals(doc.path("kind").asText())) {
                    doc.at("/spec/groups").forEach(g -> g.path("rules").forEach(r -> queries.add(r.path("expr").asText())));
                }
                if ("ConfigMap".equals(doc.path("kind").asText()) && doc.at("/data/tandem.json").isTextual()) {
                    JsonNode dashboard = new ObjectMapper().readTree(doc.at("/data/tandem.json").asText());
                    dashboard.path("panels").forEach(p -> p.path("targets").forEach(t -> queries.add(t.path("expr").asText())));
                }
            }
        }
        assertThat(queries).as("alert and panel queries").hasSizeGreaterThan(15);
        return queries;
    }

    /** The reconciler feeds the metrics: a real migration to Expanded shows in phase, step and duration series. */
    @Test
    void aMigrationTheOperatorReconcilesShowsInTheMetrics() throws Exception {
        if (!operator.getRuntimeInfo().isStarted()) {
            operator.start();
        }
        PrometheusText before = scrape();
        String ns = "metrics-live";
        DatabaseTarget db = TestDatabase.fresh(ns);
        TestDatabase.exec(db, Manifests.USERS_SETUP);
        client.resource(Manifests.secret(ns, "db", db, db.user(), TestDatabase.password())).create();
        SchemaMigration m = Manifests.attributeMove(ns, "live", "db", TargetPhase.Expanded);
        client.resource(m).create();
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() -> {
            SchemaMigration now = client.resources(SchemaMigration.class).inNamespace(ns).withName("live").get();
            return now.getStatus() != null && now.getStatus().getPhase() == Phase.Expanded
                    && now.getStatus().isTrue(Names.Conditions.READY);
        });
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            PrometheusText after = scrape();
            assertThat(after.value("tandem_migrations", "phase", "Expanded")).isGreaterThanOrEqualTo(1);
            assertThat(after.value("tandem_phase_duration_seconds_count", "phase", "Expanding", "result", "Succeeded"))
                    .isGreaterThan(before.valueOrZero("tandem_phase_duration_seconds_count", "phase", "Expanding",
                            "result", "Succeeded"));
            assertThat(after.value("tandem_steps_total", "step", "expand", "result", "applied"))
                    .isGreaterThan(before.valueOrZero("tandem_steps_total", "step", "expand", "result", "applied"));
        });
    }
}
