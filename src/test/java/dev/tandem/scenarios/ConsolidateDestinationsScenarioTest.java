package dev.tandem.scenarios;

import dev.tandem.api.v1alpha1.Phase;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Seed 000 end to end: the legacy destination tables (HTTP with headers, S3, GCP; group and
 * instance level) are consolidated while destinations and headers are created, changed, renamed
 * (bridge key), re-keyed and deleted.
 */
class ConsolidateDestinationsScenarioTest {
    /** f(old), computed here independently of the manifest. */
    static final String GROUP = "SELECT namespace_id, name, 'http' AS category, jsonb_build_object('url', url, 'headers', "
            + "COALESCE((SELECT jsonb_object_agg(h.key, h.value) FROM streaming_headers h WHERE h.destination_id = d.id), "
            + "'{}')) AS config FROM http_destinations d "
            + "UNION ALL SELECT namespace_id, name, 'aws', jsonb_build_object('bucket', bucket, 'region', region) FROM s3_destinations "
            + "UNION ALL SELECT namespace_id, name, 'gcp', jsonb_build_object('project_id', project_id, 'log_id', log_id) "
            + "FROM gcp_destinations";
    static final String INSTANCE = "SELECT name, 'http' AS category, jsonb_build_object('url', url, 'headers', '{}'::jsonb) "
            + "AS config FROM instance_http_destinations "
            + "UNION ALL SELECT name, 'aws', jsonb_build_object('bucket', bucket, 'region', region) FROM instance_s3_destinations "
            + "UNION ALL SELECT name, 'gcp', jsonb_build_object('project_id', project_id, 'log_id', log_id) "
            + "FROM instance_gcp_destinations";
    static final String DIFFERING = "SELECT (SELECT count(*) FROM (" + GROUP + ") f FULL JOIN streaming_destinations n "
            + "ON n.namespace_id = f.namespace_id AND n.name = f.name WHERE f.name IS NULL OR n.name IS NULL "
            + "OR f.category IS DISTINCT FROM n.category OR f.config IS DISTINCT FROM n.config) + (SELECT count(*) FROM ("
            + INSTANCE + ") f FULL JOIN instance_streaming_destinations n ON n.name = f.name WHERE f.name IS NULL "
            + "OR n.name IS NULL OR f.category IS DISTINCT FROM n.category OR f.config IS DISTINCT FROM n.config)";
    /** Every consolidated destination has the fields its category needs. */
    static final String INCOMPLETE = "SELECT count(*) FROM (SELECT category, config FROM streaming_destinations "
            + "UNION ALL SELECT category, config FROM instance_streaming_destinations) d WHERE NOT ("
            + "category = 'http' AND config->>'url' IS NOT NULL AND jsonb_typeof(config->'headers') = 'object' "
            + "OR category = 'aws' AND config->>'bucket' IS NOT NULL AND config->>'region' IS NOT NULL "
            + "OR category = 'gcp' AND config->>'project_id' IS NOT NULL AND config->>'log_id' IS NOT NULL)";

    @Test
    void destinationsAreConsolidatedUnderLiveWritesAndTheNewVersionWritesAfterCutoverAndContract() throws Exception {
        ScenarioRun.Report report = ScenarioRun.of(Scenario.load("consolidate-destinations"))
                .compare(DIFFERING)
                .invariant("config complete for its category", INCOMPLETE,
                        Phase.Backfilled, Phase.Verified, Phase.CutOver, Phase.Contracted)
                .gone("http_destinations").gone("streaming_headers").gone("s3_destinations").gone("gcp_destinations")
                .gone("instance_http_destinations").gone("instance_s3_destinations").gone("instance_gcp_destinations")
                .run();
        assertThat(report.differing()).isZero();
        assertThat(report.writesPerKind()).containsKeys("rename http (bridge key)", "add header", "remove header",
                "key change", "delete http", "rename instance s3 (bridge key)");
    }
}
