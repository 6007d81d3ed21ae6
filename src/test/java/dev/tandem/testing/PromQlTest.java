package dev.tandem.testing;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The metric-name extraction the dashboard and alert checks rely on. */
class PromQlTest {
    @Test
    void findsMetricsAndSkipsFunctionsLabelsRangesKeywordsAndVariables() {
        assertThat(PromQl.metricNames("sum by (reason) (rate(tandem_backfill_throttled_seconds_total{reason=\"x\"}[$__rate_interval])) > 0"))
                .containsExactly("tandem_backfill_throttled_seconds_total");
        assertThat(PromQl.metricNames("histogram_quantile(0.9, sum by (le, phase) (rate(tandem_phase_duration_seconds_bucket[6h])))"))
                .containsExactly("tandem_phase_duration_seconds_bucket");
        assertThat(PromQl.metricNames("sum(tandem_migrations{phase=\"Backfilling\"}) > 0 and sum(rate(a_total[10m])) == 0 "
                + "unless on (job) b offset 5m or vector(1e3)"))
                .containsExactly("a_total", "b", "tandem_migrations");
        assertThat(PromQl.metricNames("sum(rate(tandem_made_up_total[5m]))")).containsExactly("tandem_made_up_total");
    }
}
