-- Seed 000: per-kind legacy streaming-destination tables, to be merged into one table with a
-- category and a config column; (namespace_id, name) is the bridge key.
CREATE TABLE http_destinations (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    namespace_id bigint NOT NULL,
    name         text NOT NULL,
    url          text NOT NULL,
    UNIQUE (namespace_id, name)
);
CREATE TABLE s3_destinations (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    namespace_id bigint NOT NULL,
    name         text NOT NULL,
    bucket       text NOT NULL,
    region       text NOT NULL,
    UNIQUE (namespace_id, name)
);
CREATE TABLE gcp_destinations (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    namespace_id bigint NOT NULL,
    name         text NOT NULL,
    project_id   text NOT NULL,
    log_id       text NOT NULL,
    UNIQUE (namespace_id, name)
);

INSERT INTO http_destinations (namespace_id, name, url)
SELECT g, 'http-' || g, 'https://hooks.example/' || g FROM generate_series(1, 3000) g;
INSERT INTO s3_destinations (namespace_id, name, bucket, region)
SELECT g, 's3-' || g, 'audit-' || g, 'eu-west-1' FROM generate_series(1, 2000) g;
INSERT INTO gcp_destinations (namespace_id, name, project_id, log_id)
SELECT g, 'gcp-' || g, 'proj-' || g, 'audit' FROM generate_series(1, 1000) g;
