-- :rows headers on :rows/2 group HTTP destinations; :rows/4 S3 and :rows/8 GCP destinations;
-- :rows/100 of each kind at instance level. Names carry their kind, so no two kinds collide.
INSERT INTO http_destinations (namespace_id, name, url)
SELECT 1 + g % 97, 'http-' || g, 'https://hooks.example/' || g FROM generate_series(1, GREATEST(1, :rows / 2)) g;
INSERT INTO streaming_headers (destination_id, key, value)
SELECT 1 + g % GREATEST(1, :rows / 2), 'X-Header-' || (g / GREATEST(1, :rows / 2)), 'value ' || g
FROM generate_series(0, :rows - 1) g;
INSERT INTO s3_destinations (namespace_id, name, bucket, region)
SELECT 1 + g % 97, 's3-' || g, 'audit-' || g, (ARRAY['eu-west-1', 'us-east-1'])[1 + g % 2]
FROM generate_series(1, GREATEST(1, :rows / 4)) g;
INSERT INTO gcp_destinations (namespace_id, name, project_id, log_id)
SELECT 1 + g % 97, 'gcp-' || g, 'proj-' || g, 'audit' FROM generate_series(1, GREATEST(1, :rows / 8)) g;
INSERT INTO instance_http_destinations (name, url)
SELECT 'http-' || g, 'https://instance-hooks.example/' || g FROM generate_series(1, GREATEST(1, :rows / 100)) g;
INSERT INTO instance_s3_destinations (name, bucket, region)
SELECT 's3-' || g, 'instance-audit-' || g, 'eu-west-1' FROM generate_series(1, GREATEST(1, :rows / 100)) g;
INSERT INTO instance_gcp_destinations (name, project_id, log_id)
SELECT 'gcp-' || g, 'instance-proj-' || g, 'audit' FROM generate_series(1, GREATEST(1, :rows / 100)) g;
