-- Seed 002: events carries unused title and data columns; push events keep their payload in data.
CREATE TABLE events (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id  bigint NOT NULL,
    author_id   bigint NOT NULL,
    action      text NOT NULL,
    title       text,
    data        jsonb,
    created_at  timestamptz NOT NULL DEFAULT now()
);

INSERT INTO events (project_id, author_id, action, title, data)
SELECT g % 100, g % 977, CASE WHEN g % 3 = 0 THEN 'pushed' ELSE 'commented' END, 'event ' || g,
       CASE WHEN g % 3 = 0 THEN jsonb_build_object('ref', 'refs/heads/main', 'commit_count', g % 7 + 1,
                                                   'commit_to', md5(g::text)) END
FROM generate_series(1, 30000) AS g;
ANALYZE events;
